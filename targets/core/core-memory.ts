/**
 * The memory of the simulated cores — synapse tables, neuron parameters and state — and the two
 * WebAssembly kernels that touch it: the synapse fetch-and-accumulate and the neuron update.
 *
 * Accumulate. A packet of `value` on axon a of core c adds to the current of every target of the
 * axon's runs: for r in axonStart[a] .. axonStart[a+1],
 *
 *   dst[first_c + runTarget[r] + q] += value · weight[runWeight[r] + q],   q < runLength[r].
 *
 * Update. Neuron i of a population slice, at step t (docs/semantics.md, the if op):
 *
 *   a = narrow(current[i], accBits);  v' = narrow(leak(v[i]) + a + bias[t][i], vBits);
 *   v' >= θ[i] ? (spike, v' = subtract ? v' − θ[i] : 0) : no spike;
 *
 * with leak none, shift (v − round(v / 2^s)) or mul (round(v·m / 2^s), m per unit or per neuron),
 * round = floor, trunc or half-up, and each narrowing that changes a value counted.
 *
 * Exactness. Integers are held as float64, widened from the image's 32-bit words exactly; every
 * sum, product and quotient is the IEEE float64 operation, in the same order as the reference
 * interpreter's JavaScript (ir/fixed-arith.ts) — two lanes at a time in the accumulate, each lane
 * the same multiply-then-add — so the results are the same bits, exact while |values| < 2^53,
 * which the verifier guarantees.
 *
 * Layout. One WebAssembly memory, sized by a counting pass (as the spiking engine's arena). Each
 * kind of current (static, this step's, the delayed synapses' next step's) is one block laid out
 * unit after unit, so a core's neurons sit at the same offset in every block. Weight runs are
 * interned: a convolution's expanded table repeats its kernel slices at every position, and each
 * distinct run is stored once. That is host memory only (it keeps the tables in cache); the cycle
 * model still counts every word a core's own table would fetch.
 */
import { Arena } from '../../ir/engine/arena.js';
import { assemble, F64, Fn, I32, V128 } from '../../ir/engine/wasm/asm.js';
import { narrow } from '../../ir/engine/wasm/kernels.js';
import type { CoreImage } from './image.js';

/** accumulate(dst, weight, runTarget, runLength, runWeight, lo, hi, value) -> words fetched; pointers in bytes. */
function accumulateKernel(): Fn {
  const f = new Fn('accumulate', [
    ['dst', I32], ['weight', I32], ['runTarget', I32], ['runLength', I32], ['runWeight', I32], ['lo', I32], ['hi', I32], ['value', F64],
  ], [I32]);
  f.locals(I32, 'r', 'a', 'b', 'len', 'k', 'kend', 'words');
  f.locals(V128, 'vv');
  f.get('value').f64x2Splat().set('vv');
  f.i32(0).set('words');
  f.forRange('r', (g) => g.get('lo'), 'hi', 1, (g) => {
    g.get('dst').addr('runTarget', 'r', 2).loadI32().i32(3).shl().add().set('a');
    g.get('weight').addr('runWeight', 'r', 2).loadI32().i32(2).shl().add().set('b');
    g.addr('runLength', 'r', 2).loadI32().set('len');
    g.get('words').get('len').add().set('words');
    g.get('len').i32(-2).and().set('kend');
    g.forRange('k', (h) => h.i32(0), 'kend', 2, (h) => {
      h.get('a').get('a').loadV128().get('b').loadV64Zero().f64x2FromLowI32x4().get('vv').f64x2Mul().f64x2Add().storeV128();
      h.get('a').i32(16).add().set('a');
      h.get('b').i32(8).add().set('b');
    });
    g.get('len').i32(1).and().ifElse((h) => {
      h.get('a').get('a').loadF64().get('b').loadI32().f64FromI32().get('value').f64Mul().f64Add().storeF64();
    });
  });
  f.get('words');
  return f;
}

/** Round the f64 local `x` divided by the f64 local `d` as `round` says (0 floor, 1 trunc, 2 half-up), into `x`. */
function shiftRound(f: Fn): void {
  f.get('round').i32(2).eq().ifElse((g) => g.get('x').get('d').f64(0.5).f64Mul().f64Add().set('x'));
  f.get('x').get('d').f64Div().set('x');
  f.get('round').i32(1).eq().ifElse(
    (g) => g.get('x').f64Trunc().set('x'),
    (g) => g.get('x').f64Floor().set('x'),
  );
}

/**
 * update(v, cur, bias, th, mul, count, first, accLo, accHi, vLo, vHi, accBits, vBits, wrap,
 * subtract, leak, d, leakMul, round, spikes, fired, nfired, counters) -> nfired: the population
 * update of `count` neurons (element pointers v, cur: f64; bias, th, mul: i32; spikes: u8); leak
 * 0 none, 1 shift, 2 mul, 3 mul per neuron; d = 2^s; round 0 floor, 1 trunc, 2 half-up. A spike of
 * neuron i sets spikes[i] and appends first + i to `fired`.
 */
function updateKernel(): Fn {
  const f = new Fn('update', [
    ['v', I32], ['cur', I32], ['bias', I32], ['th', I32], ['mul', I32], ['count', I32], ['first', I32],
    ['accLo', F64], ['accHi', F64], ['vLo', F64], ['vHi', F64], ['accBits', I32], ['vBits', I32], ['wrap', I32], ['subtract', I32],
    ['leak', I32], ['d', F64], ['leakMul', F64], ['round', I32],
    ['spikes', I32], ['fired', I32], ['nfired', I32], ['counters', I32],
  ], [I32]);
  f.locals(I32, 'i', 'vCounter');
  f.locals(F64, 'a', 'u', 't', 'x');
  f.get('counters').i32(8).add().set('vCounter');
  f.forRange('i', (g) => g.i32(0), 'count', 1, (g) => {
    g.addr('cur', 'i', 3).loadF64().set('a');
    narrow(g, 'a', 'accLo', 'accHi', 'accBits', 'wrap', 'counters');
    g.addr('v', 'i', 3).loadF64().set('u');
    g.get('leak').ifElse((k) => {
      // x = v (shift), v · m (mul) or v · m[i] (mul per neuron); x = round(x / 2^s); u = v − x (shift) or x
      k.get('u').set('x');
      k.get('leak').i32(2).eq().ifElse((m) => m.get('x').get('leakMul').f64Mul().set('x'));
      k.get('leak').i32(3).eq().ifElse((m) => m.get('x').addr('mul', 'i', 2).loadI32().f64FromI32().f64Mul().set('x'));
      shiftRound(k);
      k.get('leak').i32(1).eq().ifElse(
        (m) => m.get('u').get('x').f64Sub().set('u'),
        (m) => m.get('x').set('u'),
      );
    });
    g.get('u').get('a').f64Add().addr('bias', 'i', 2).loadI32().f64FromI32().f64Add().set('u');
    narrow(g, 'u', 'vLo', 'vHi', 'vBits', 'wrap', 'vCounter');
    g.addr('th', 'i', 2).loadI32().f64FromI32().set('t');
    g.get('u').get('t').f64Ge().ifElse((h) => {
      h.get('subtract').ifElse(
        (k) => k.get('u').get('t').f64Sub().set('u'),
        (k) => k.f64(0).set('u'),
      );
      h.get('spikes').get('i').add().i32(1).storeI8();
      h.addr('fired', 'nfired', 2).get('first').get('i').add().storeI32();
      h.get('nfired').i32(1).add().set('nfired');
    });
    g.addr('v', 'i', 3).get('u').storeF64();
  });
  f.get('nfired');
  return f;
}

let compiled: WebAssembly.Module | undefined;

type Accumulate = (dst: number, weight: number, runTarget: number, runLength: number, runWeight: number, lo: number, hi: number, value: number) => number;
type Update = (...args: number[]) => number;

/**
 * The distinct weight runs of all cores, each stored once: per core, each run's offset into the
 * pool (identical runs found by a hash of their words, then compared word for word).
 */
function internRuns(image: CoreImage): { words: Int32Array; size: number; runAt: Int32Array[] } {
  let words = new Int32Array(1024);
  let size = 0;
  const seen = new Map<number, number[]>();
  const runAt = image.cores.map((c) => {
    const at = new Int32Array(c.runs);
    let w0 = 0;
    for (let r = 0; r < c.runs; r++) {
      const len = c.runLength[r];
      const run = c.weight.subarray(w0, w0 + len);
      w0 += len;
      let h = len | 0;
      for (let q = 0; q < len; q++) h = Math.imul(h ^ run[q], 0x01000193);
      const same = seen.get(h);
      const hit = same?.find((o) => o + len <= size && words.subarray(o, o + len).every((x, q) => x === run[q]));
      if (hit !== undefined) {
        at[r] = hit;
        continue;
      }
      if (size + len > words.length) {
        const grown = new Int32Array(Math.max(2 * words.length, size + len));
        grown.set(words.subarray(0, size));
        words = grown;
      }
      words.set(run, size);
      at[r] = size;
      if (same) same.push(size);
      else seen.set(h, [size]);
      size += len;
    }
    return at;
  });
  return { words, size, runAt };
}

/** Which current of the receiving unit a packet adds into. */
export type CurrentKind = 'staticCurrent' | 'current' | 'next';

/** A unit's state and parameters in the memory (typed-array views). */
export interface UnitMemory {
  readonly v: Float64Array;
  readonly staticCurrent: Float64Array;
  readonly current: Float64Array;
  readonly next: Float64Array;
  readonly spikes: Uint8Array;
  readonly fired: Int32Array;
  /** Narrowings that changed a value: [accumulator, membrane or sum]. */
  readonly counters: Float64Array;
}

export class CoreMemory {
  readonly units: readonly UnitMemory[];
  /** Byte pointer of each kind's current block. */
  readonly base: Record<CurrentKind, number>;
  /** Per core: the byte offset of its first neuron in a current block, and pointers of its tables. */
  private readonly offset: Int32Array;
  private readonly runTarget: Int32Array;
  private readonly runLength: Int32Array;
  private readonly runWeight: Int32Array;
  /** Byte pointer of the interned weight runs. */
  private readonly weight: number;
  /** Per unit, the index of its first neuron in a current block. */
  private readonly unitAt: Int32Array;
  private readonly axonStart: Int32Array[];
  /** Per unit, its parameters in the memory and the update kernel's arguments that never change. */
  private readonly params: { threshold: Int32Array; bias: Int32Array; leakMuls: Int32Array; perNeuron: boolean; fixed: readonly number[] }[];
  private readonly accumulateRun: Accumulate;
  private readonly updateRun: Update;

  constructor(private readonly image: CoreImage) {
    const pool = internRuns(image);
    const unitAt = new Int32Array(image.unitCount);
    let neurons = 0;
    image.units.forEach((u, k) => {
      unitAt[k] = neurons;
      neurons += u.size;
    });
    this.unitAt = unitAt;
    const lay = (arena: Arena) => {
      const blocks = { staticCurrent: arena.f64(neurons), current: arena.f64(neurons), next: arena.f64(neurons) };
      const units = image.units.map((u) => ({
        v: arena.f64(u.size),
        spikes: arena.u8(u.size),
        fired: arena.i32(u.size),
        counters: arena.f64(2),
        threshold: arena.i32(u.size),
        bias: arena.i32(u.bias.length),
        leakMuls: arena.i32(u.leakMuls.length),
      }));
      const weight = arena.i32(pool.size);
      const cores = image.cores.map((c) => ({ runTarget: arena.i32(c.runs), runLength: arena.i32(c.runs), runWeight: arena.i32(c.runs) }));
      return { blocks, units, weight, cores };
    };
    const counting = new Arena();
    lay(counting);
    const memory = Arena.memoryFor(counting);
    const { blocks, units, weight, cores } = lay(new Arena(memory));
    compiled ??= new WebAssembly.Module(assemble([accumulateKernel(), updateKernel()], 1));
    const exports = new WebAssembly.Instance(compiled, { env: { mem: memory } }).exports;
    this.accumulateRun = exports.accumulate as unknown as Accumulate;
    this.updateRun = exports.update as unknown as Update;
    const view = (block: Float64Array, k: number): Float64Array => block.subarray(unitAt[k], unitAt[k] + image.units[k].size);
    this.units = units.map((m, k) => ({ v: m.v, spikes: m.spikes, fired: m.fired, counters: m.counters, staticCurrent: view(blocks.staticCurrent, k), current: view(blocks.current, k), next: view(blocks.next, k) }));
    this.params = units.map((m, k) => {
      const u = image.units[k];
      m.threshold.set(u.threshold);
      m.bias.set(u.bias);
      m.leakMuls.set(u.leakMuls);
      const accHi = 2 ** (u.accBits - 1) - 1;
      const vHi = 2 ** (u.vBits - 1) - 1;
      const perNeuron = u.leakMulCount > 0;
      const leak = u.leakKind === 0 ? 0 : perNeuron ? 3 : u.leakKind;
      // accLo .. round of the kernel's signature
      const fixed = [-accHi - 1, accHi, -vHi - 1, vHi, u.accBits, u.vBits, u.overflow === 1 ? 1 : 0, u.subtract ? 1 : 0, leak, 2 ** u.leakShift, u.leakMul, u.leakRound];
      return { threshold: m.threshold, bias: m.bias, leakMuls: m.leakMuls, perNeuron, fixed };
    });
    const ptr = (a: Float64Array | Int32Array): number => a.byteOffset;
    this.base = { staticCurrent: ptr(blocks.staticCurrent), current: ptr(blocks.current), next: ptr(blocks.next) };
    weight.set(pool.words.subarray(0, pool.size));
    this.weight = ptr(weight);
    const n = image.coreCount;
    this.offset = new Int32Array(n);
    this.runTarget = new Int32Array(n);
    this.runLength = new Int32Array(n);
    this.runWeight = new Int32Array(n);
    image.cores.forEach((c, k) => {
      const t = cores[k];
      t.runTarget.set(c.runTarget);
      t.runLength.set(c.runLength);
      t.runWeight.set(pool.runAt[k]);
      this.offset[k] = (unitAt[c.unit] + c.start) * 8;
      this.runTarget[k] = ptr(t.runTarget);
      this.runLength[k] = ptr(t.runLength);
      this.runWeight[k] = ptr(t.runWeight);
    });
    this.axonStart = image.cores.map((c) => c.axonStart);
  }

  /** A packet of `value` on axon a of core c, into the current block at byte pointer `into` (a `base`); returns the words fetched. */
  deliver(c: number, a: number, value: number, into: number): number {
    const axons = this.axonStart[c];
    return this.accumulateRun(into + this.offset[c], this.weight, this.runTarget[c], this.runLength[c], this.runWeight[c], axons[a], axons[a + 1], value);
  }

  /**
   * Update neurons start .. start + count of population `unit` at step t, with the bias row of
   * step min(t, rows); appends the spikes to its fired list from `nfired`; returns the new length.
   */
  update(unit: number, start: number, count: number, t: number, nfired: number): number {
    const u = this.image.units[unit];
    const m = this.units[unit];
    const p = this.params[unit];
    const row = (Math.min(t, u.biasRows) - 1) * u.size;
    return this.updateRun(
      m.v.byteOffset + start * 8, this.base.current + (this.unitAt[unit] + start) * 8, p.bias.byteOffset + (row + start) * 4, p.threshold.byteOffset + start * 4, p.perNeuron ? p.leakMuls.byteOffset + start * 4 : 0,
      count, start, ...p.fixed, m.spikes.byteOffset + start, m.fired.byteOffset, nfired, m.counters.byteOffset,
    );
  }
}
