/**
 * A small WebAssembly assembler: enough of the binary format (types, an imported memory,
 * functions with named locals, exports) and of the instruction set (i32 arithmetic, f32, f64,
 * 128-bit SIMD f32x4 and f64x2, structured control flow) to write the engine's hot loops by hand.
 * No toolchain: the module is built as bytes at startup and compiled by the JavaScript engine.
 */

export const I32 = 0x7f;
export const I64 = 0x7e;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof I64 | typeof F32 | typeof F64 | typeof V128;

function leb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...leb(bytes.length), ...bytes];
}

function vec(items: number[][]): number[] {
  return [...leb(items.length), ...items.flat()];
}

function section(id: number, bytes: number[]): number[] {
  return [id, ...leb(bytes.length), ...bytes];
}

const SIMD = (op: number): number[] => [0xfd, ...leb(op)];

/** One function: named parameters and locals, and an instruction stream written through methods. */
export class Fn {
  readonly code: number[] = [];
  private readonly index = new Map<string, number>();
  private readonly localTypes: ValType[] = [];
  private readonly paramTypes: ValType[];

  constructor(
    readonly name: string,
    params: readonly [string, ValType][],
    private readonly results: readonly ValType[] = [],
  ) {
    this.paramTypes = params.map(([, t]) => t);
    params.forEach(([n], i) => this.index.set(n, i));
  }

  /** Declare locals (by name). */
  locals(type: ValType, ...names: string[]): this {
    for (const n of names) {
      this.index.set(n, this.paramTypes.length + this.localTypes.length);
      this.localTypes.push(type);
    }
    return this;
  }

  private at(n: string): number[] {
    const i = this.index.get(n);
    if (i === undefined) throw new Error(`wasm: unknown local ${n}`);
    return leb(i);
  }

  private op(...bytes: number[]): this {
    this.code.push(...bytes);
    return this;
  }

  get(n: string): this {
    return this.op(0x20, ...this.at(n));
  }
  set(n: string): this {
    return this.op(0x21, ...this.at(n));
  }
  tee(n: string): this {
    return this.op(0x22, ...this.at(n));
  }
  i32(v: number): this {
    return this.op(0x41, ...sleb(v));
  }
  add(): this {
    return this.op(0x6a);
  }
  sub(): this {
    return this.op(0x6b);
  }
  mul(): this {
    return this.op(0x6c);
  }
  divS(): this {
    return this.op(0x6d);
  }
  shl(): this {
    return this.op(0x74);
  }
  shrS(): this {
    return this.op(0x75);
  }
  and(): this {
    return this.op(0x71);
  }
  geS(): this {
    return this.op(0x4e);
  }
  ltS(): this {
    return this.op(0x48);
  }
  /** Unsigned a < b. */
  ltU(): this {
    return this.op(0x49);
  }
  shrU(): this {
    return this.op(0x76);
  }
  eqz(): this {
    return this.op(0x45);
  }
  loadI32(offset = 0): this {
    return this.op(0x28, 2, ...leb(offset));
  }
  storeI32(offset = 0): this {
    return this.op(0x36, 2, ...leb(offset));
  }
  loadF32(offset = 0): this {
    return this.op(0x2a, 2, ...leb(offset));
  }
  storeF32(offset = 0): this {
    return this.op(0x38, 2, ...leb(offset));
  }
  f32(v: number): this {
    const b = new Uint8Array(new Float32Array([v]).buffer);
    return this.op(0x43, ...b);
  }
  f32Add(): this {
    return this.op(0x92);
  }
  f32Sub(): this {
    return this.op(0x93);
  }
  f32Mul(): this {
    return this.op(0x94);
  }
  f32Ge(): this {
    return this.op(0x60);
  }
  f32Gt(): this {
    return this.op(0x5e);
  }
  f32x4Splat(): this {
    return this.op(...SIMD(0x13));
  }
  f32x4Add(): this {
    return this.op(...SIMD(0xe4));
  }
  f32x4Mul(): this {
    return this.op(...SIMD(0xe6));
  }
  loadF64(offset = 0): this {
    return this.op(0x2b, 3, ...leb(offset));
  }
  storeF64(offset = 0): this {
    return this.op(0x39, 3, ...leb(offset));
  }
  f64(v: number): this {
    const b = new Uint8Array(new Float64Array([v]).buffer);
    return this.op(0x44, ...b);
  }
  f64Add(): this {
    return this.op(0xa0);
  }
  f64Sub(): this {
    return this.op(0xa1);
  }
  f64Mul(): this {
    return this.op(0xa2);
  }
  f64Div(): this {
    return this.op(0xa3);
  }
  f64Floor(): this {
    return this.op(0x9c);
  }
  f64Trunc(): this {
    return this.op(0x9d);
  }
  storeI8(offset = 0): this {
    return this.op(0x3a, 0, ...leb(offset));
  }
  f64Min(): this {
    return this.op(0xa4);
  }
  f64Max(): this {
    return this.op(0xa5);
  }
  f64Ge(): this {
    return this.op(0x66);
  }
  f64Gt(): this {
    return this.op(0x64);
  }
  f64Lt(): this {
    return this.op(0x63);
  }
  or(): this {
    return this.op(0x72);
  }
  eq(): this {
    return this.op(0x46);
  }
  /** f64 -> i64 (truncating; exact for the integers used), i64 shifts, i64 -> f64. */
  i64TruncF64(): this {
    return this.op(0xb0);
  }
  f64FromI64(): this {
    return this.op(0xb9);
  }
  i64FromI32(): this {
    return this.op(0xac);
  }
  i64Shl(): this {
    return this.op(0x86);
  }
  i64ShrS(): this {
    return this.op(0x87);
  }
  /** if (cond on the stack) { then } else { otherwise } */
  ifElse(then: (f: this) => void, otherwise?: (f: this) => void): this {
    this.op(0x04, 0x40);
    then(this);
    if (otherwise) {
      this.op(0x05);
      otherwise(this);
    }
    return this.op(0x0b);
  }
  /** Return the i32 on the stack. */
  ret(): this {
    return this.op(0x0f);
  }
  loadV128(offset = 0): this {
    return this.op(...SIMD(0x00), 4, ...leb(offset));
  }
  storeV128(offset = 0): this {
    return this.op(...SIMD(0x0b), 4, ...leb(offset));
  }
  f32x4Sub(): this {
    return this.op(...SIMD(0xe5));
  }
  f32x4Ge(): this {
    return this.op(...SIMD(0x46));
  }
  f32x4Gt(): this {
    return this.op(...SIMD(0x44));
  }
  v128And(): this {
    return this.op(...SIMD(0x4e));
  }
  /** a & ~b */
  v128AndNot(): this {
    return this.op(...SIMD(0x4f));
  }
  i32x4Bitmask(): this {
    return this.op(...SIMD(0xa4));
  }
  f64x2Splat(): this {
    return this.op(...SIMD(0x14));
  }
  f64x2Add(): this {
    return this.op(...SIMD(0xf0));
  }
  f64x2Mul(): this {
    return this.op(...SIMD(0xf2));
  }
  /** Load 8 bytes into both halves of a vector (an f64, splat). */
  load64Splat(offset = 0): this {
    return this.op(...SIMD(0x0a), 3, ...leb(offset));
  }
  f64x2ExtractLane(lane: number): this {
    return this.op(...SIMD(0x21), lane);
  }
  /** f64 -> f32, rounded to nearest even. */
  f32DemoteF64(): this {
    return this.op(0xb6);
  }
  /** Load 8 bytes into the low half of a vector (the high half zero). */
  loadV64Zero(offset = 0): this {
    return this.op(...SIMD(0x5d), 3, ...leb(offset));
  }
  /** The two low i32 lanes, as two f64 (exact). */
  f64x2FromLowI32x4(): this {
    return this.op(...SIMD(0xfe));
  }
  f64FromI32(): this {
    return this.op(0xb7);
  }
  /** Push `get(a) + get(b) << shift` (an address). */
  addr(base: string, index: string, shift: number): this {
    return this.get(base).get(index).i32(shift).shl().add();
  }
  block(body: (f: this) => void): this {
    this.op(0x02, 0x40);
    body(this);
    return this.op(0x0b);
  }
  loop(body: (f: this) => void): this {
    this.op(0x03, 0x40);
    body(this);
    return this.op(0x0b);
  }
  br(depth: number): this {
    return this.op(0x0c, ...leb(depth));
  }
  brIf(depth: number): this {
    return this.op(0x0d, ...leb(depth));
  }
  /** for (v = from; v < limit; v += step) body — `limit` is a local, `step` a constant or a local. */
  forRange(v: string, from: (f: this) => void, limit: string, step: number | string, body: (f: this) => void): this {
    from(this);
    this.set(v);
    return this.block((f) =>
      f.loop((g) => {
        g.get(v).get(limit).geS().brIf(1);
        body(g);
        g.get(v);
        if (typeof step === 'number') g.i32(step);
        else g.get(step);
        g.add().set(v).br(0);
      }),
    );
  }

  encode(): number[] {
    const groups: number[][] = [];
    for (const t of this.localTypes) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    const body = [...vec(groups.map(([n, t]) => [...leb(n), t])), ...this.code, 0x0b];
    return [...leb(body.length), ...body];
  }

  signature(): number[] {
    return [0x60, ...vec(this.paramTypes.map((t) => [t])), ...vec(this.results.map((t) => [t]))];
  }
}

/** A module importing `env.mem` (pages of 64 KiB) and exporting every function by name. */
export function assemble(fns: readonly Fn[], minPages: number): Uint8Array {
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...section(1, vec(fns.map((f) => f.signature()))),
    ...section(2, vec([[...name('env'), ...name('mem'), 0x02, 0x00, ...leb(minPages)]])),
    ...section(3, vec(fns.map((_, i) => leb(i)))),
    ...section(7, vec(fns.map((f, i) => [...name(f.name), 0x00, ...leb(i)]))),
    ...section(10, vec(fns.map((f) => f.encode()))),
  ];
  return new Uint8Array(bytes);
}
