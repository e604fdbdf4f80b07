/**
 * The integer primitives of the snn-fixed stage — the one written definition that
 * targets/c/runtime/snnc_fixed.h mirrors function for function (docs/semantics.md).
 *
 * Values are exact integers held in JavaScript numbers; the verifier proves every value of a
 * graph stays below 2^53 in magnitude, so + and * here are exact. Narrowing to a register of
 * B bits either saturates to [-2^(B-1), 2^(B-1) - 1] or wraps modulo 2^B (two's complement).
 */

export type Overflow = 'saturate' | 'wrap';
export type Rounding = 'floor' | 'trunc' | 'half-up';

export function maxOf(bits: number): number {
  return 2 ** (bits - 1) - 1;
}

/** Saturate x to a signed register of `bits` bits. */
export function saturate(x: number, bits: number): number {
  const hi = 2 ** (bits - 1) - 1;
  const lo = -hi - 1;
  return x > hi ? hi : x < lo ? lo : x;
}

/** Wrap x to a signed register of `bits` bits (two's complement, like a hardware adder). */
export function wrap(x: number, bits: number): number {
  const m = 2 ** bits;
  const half = m / 2;
  const r = (((x + half) % m) + m) % m;
  return r - half;
}

export function narrow(x: number, bits: number, mode: Overflow): number {
  return mode === 'saturate' ? saturate(x, bits) : wrap(x, bits);
}

/** x / 2^k rounded as `mode` says: floor (arithmetic shift), trunc (toward zero) or half-up (floor(x/2^k + 1/2)). */
export function shiftRound(x: number, k: number, mode: Rounding): number {
  const d = 2 ** k;
  switch (mode) {
    case 'floor':
      return Math.floor(x / d);
    case 'trunc':
      return Math.trunc(x / d);
    case 'half-up':
      return Math.floor((x + d / 2) / d);
  }
}

export interface Leak {
  readonly kind: 'none' | 'shift' | 'mul';
  readonly shift: number;
  readonly mul: number;
  readonly round: Rounding;
}

/** The membrane after leakage: v (none), v - rnd(v / 2^k) (shift), rnd(v * m / 2^k) (mul). */
export function leak(v: number, l: Leak): number {
  switch (l.kind) {
    case 'none':
      return v;
    case 'shift':
      return v - shiftRound(v, l.shift, l.round);
    case 'mul':
      return shiftRound(v * l.mul, l.shift, l.round);
  }
}

/** Round a real to the nearest integer, halves away from zero (compile-time quantisation only). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}
