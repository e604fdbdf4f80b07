/**
 * A small seeded generator (xorshift32) for reproducible test data, random graphs and fuzz
 * inputs: the same seed gives the same sequence on every machine. Not for the integer
 * semantics (those need a counter-based generator keyed by position, not a stream).
 */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed * 2654435761) >>> 0 || 1;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.s = x;
    return x / 2 ** 32;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** A seed for item `i` of stream `name` under `seed` (FNV-1a over the three). */
export function subSeed(seed: number, name: string, i: number): number {
  let h = 2166136261;
  const mix = (v: number): void => {
    h = Math.imul(h ^ (v & 0xff), 16777619) >>> 0;
  };
  for (const c of `${seed}:${name}:${i}`) mix(c.charCodeAt(0));
  return h;
}
