/**
 * Semantics of the snn-fixed stage (the reference the C back end must match bit for bit; the
 * primitives are in ../fixed-arith.ts, the prose in docs/semantics.md).
 *
 * Integrate-and-fire population, per neuron i of channel c, at step t = 1..T:
 *
 *   a = narrow(x_i(t), accbits)                 synaptic accumulator (x: exact integer current)
 *   u = leak(v_i) + a + B_i(t)                  exact (a mul leak's multiplier: scalar, per channel or per neuron)
 *   v = narrow(u, vbits)                        membrane register
 *   s_i(t) = v >= θ_i                           spike (0 / 1)
 *   v_i = s ? (reset = subtract ? v - θ_i : 0) : v
 *
 * with θ_i the neuron's threshold (given per channel or per neuron), v_i(0) = vinit_i and B_i(t) = bias[min(t,R)-1] + shift + stepbias[t-1] (whichever are
 * present; per channel or per neuron). narrow saturates or wraps as `overflow` says, and every
 * value it changes is counted (accumulator and membrane separately): overflow is never silent.
 *
 * The readout: sum(t) = narrow(leak(sum(t-1)) + x(t) + B(t), sumbits), sum(0) = 0 (leak: none
 * unless a leaky readout, NIR's LI).
 * The synaptic current: i(t) = narrow(leak(i(t-1)) + x(t), ibits), i(0) = 0 (a narrowing that
 * changes i is counted as the unit's `v` overflow).
 * The population update runs as WebAssembly (wasm/kernels.ts, neuronFixed) except with a leak.
 * A two-phase probabilistic (TPP) population accumulates, then fires by the counter-based draws
 * of ../tpp.ts (layer-major windows); its readout adds the bias in its own window.
 */
import { attrInt, attrStr, attrVector } from '../ops.js';
import { isConstRef, type Graph, type Node } from '../types.js';
import { leak as leakOf, maxOf, narrow, shiftRound, type Leak, type Overflow, type Rounding } from '../fixed-arith.js';
import type { NeuronOp, ReadoutOp, StageSemantics, SynapseOp, Unit, UnitEnv } from './engine.js';
import type { Arena } from './arena.js';
import { clearEvents, type Buf } from './plan.js';
import { fireTpp, localStep, tppOf, type TppParams } from '../tpp.js';

/** Saturation / wrap events counted since the last reset of the counters. */
export interface OverflowCounts {
  acc: number;
  v: number;
}

/** A per-channel ([C]) or per-neuron (NCHW) constant as HWC-ordered values of length C or size. */
export function layoutParam(values: Float64Array, buf: Buf, arena?: Arena): { perNeuron: boolean; data: Float64Array } {
  const { C, size } = buf;
  const alloc = (n: number): Float64Array => (arena ? arena.f64(n) : new Float64Array(n));
  if (values.length === 1 || values.length === C) {
    const data = alloc(C);
    if (values.length === 1) data.fill(values[0]);
    else data.set(values);
    return { perNeuron: false, data };
  }
  if (values.length !== size) throw new Error(`internal: parameter of ${values.length} values for ${C} channels / ${size} neurons`);
  const HW = size / C;
  const data = alloc(size);
  for (let c = 0; c < C; c++) for (let p = 0; p < HW; p++) data[p * C + c] = values[c * HW + p];
  return { perNeuron: true, data };
}

/**
 * The additive term of each step as rows (row k serves step min(t, rows) - 1), each of length C
 * (per channel) or size (per neuron), HWC order.
 */
export function stepTerms(node: Node, g: Graph, buf: Buf, arena?: Arena): { perNeuron: boolean; rows: Float64Array[] } {
  const parts: { rows: number; perNeuron: boolean; at: (k: number) => Float64Array }[] = [];
  const { C, size } = buf;
  const table = (id: string, what: string): void => {
    const c = g.consts.get(id)!;
    const R = c.type.shape[0];
    const per = c.data.length / R;
    const rows = Array.from({ length: R }, (_, r) => layoutParam(Float64Array.from(c.data.subarray(r * per, (r + 1) * per)), buf));
    if (per !== C && per !== size) throw new Error(`internal: ${what} row of ${per} values`);
    parts.push({ rows: R, perNeuron: rows[0].perNeuron, at: (k) => rows[Math.min(k, R - 1)].data });
  };
  const bias = node.attrs.bias;
  if (isConstRef(bias)) table(bias.const, 'bias');
  const sb = node.attrs.stepbias;
  if (isConstRef(sb)) table(sb.const, 'stepbias');
  const shift = attrVector(node, 'shift', g.consts);
  if (shift) {
    const p = layoutParam(shift, buf);
    parts.push({ rows: 1, perNeuron: p.perNeuron, at: () => p.data });
  }
  const perNeuron = parts.some((p) => p.perNeuron);
  const K = Math.max(1, ...parts.map((p) => p.rows));
  const width = perNeuron ? size : C;
  const rows = Array.from({ length: K }, (_, k) => {
    const row = arena ? arena.f64(width) : new Float64Array(width);
    for (const p of parts) {
      const v = p.at(k);
      if (p.perNeuron || !perNeuron) for (let i = 0; i < width; i++) row[i] += v[i];
      else for (let i = 0; i < width; i++) row[i] += v[i % C];
    }
    return row;
  });
  return { perNeuron, rows };
}

/** A node's leak; with a multiplier per channel or per neuron (`leakmul` a constant), `mul` is 0 and leakMuls() has them. */
export function leakOfNode(node: Node): Leak {
  const kind = attrStr(node, 'leak', 'none') as Leak['kind'];
  const mul = node.attrs.leakmul;
  return { kind, shift: attrInt(node, 'leakshift', 0), mul: typeof mul === 'number' ? mul : 0, round: attrStr(node, 'round', 'floor') as Rounding };
}

/** The leak multipliers of a population when given per channel or per neuron (HWC), else undefined. */
export function leakMuls(node: Node, g: Graph, buf: Buf, arena?: Arena): { perNeuron: boolean; data: Float64Array } | undefined {
  return isConstRef(node.attrs.leakmul) ? layoutParam(attrVector(node, 'leakmul', g.consts)!, buf, arena) : undefined;
}

class FixedNeurons implements Unit {
  readonly v: Float64Array;
  /** Narrowings that changed a value: [accumulator, membrane] (in the engine memory, for the kernel). */
  private readonly counters: Float64Array;
  private readonly v0: Float64Array;
  /** Thresholds, HWC: per channel (length C) or per neuron (length size). */
  private readonly theta: Float64Array;
  private readonly thetaPerNeuron: boolean;
  private readonly terms: { perNeuron: boolean; rows: Float64Array[] };
  private readonly accBits: number;
  private readonly vBits: number;
  private readonly mode: Overflow;
  private readonly subtract: boolean;
  private readonly leak: Leak;
  private readonly muls: { perNeuron: boolean; data: Float64Array } | undefined;
  private readonly tpp: TppParams | undefined;
  private readonly steps: number;

  constructor(
    private readonly op: NeuronOp,
    g: Graph,
    private readonly env: UnitEnv,
  ) {
    const n = op.node;
    const buf = op.out;
    const arena = env.arena;
    const theta = layoutParam(attrVector(n, 'threshold', g.consts)!, buf, arena);
    this.theta = theta.data;
    this.thetaPerNeuron = theta.perNeuron;
    const vinit = layoutParam(attrVector(n, 'vinit', g.consts, 0)!, buf);
    this.v0 = arena.f64(buf.size);
    for (let i = 0; i < buf.size; i++) this.v0[i] = vinit.perNeuron ? vinit.data[i] : vinit.data[i % buf.C];
    this.v = arena.f64(buf.size);
    this.counters = arena.f64(2);
    this.terms = stepTerms(n, g, buf, arena);
    this.accBits = attrInt(n, 'accbits');
    this.vBits = attrInt(n, 'vbits');
    this.mode = attrStr(n, 'overflow') as Overflow;
    this.subtract = attrStr(n, 'reset') === 'subtract';
    this.leak = leakOfNode(n);
    this.muls = leakMuls(n, g, buf, arena);
    this.tpp = tppOf(n);
    this.steps = g.steps!;
  }

  get overflow(): OverflowCounts {
    return { acc: this.counters[0], v: this.counters[1] };
  }

  reset(): void {
    this.v.set(this.v0);
  }

  step(t: number): number {
    if (this.tpp) return this.stepTpp(t, this.tpp);
    const row = this.terms.rows[Math.min(t, this.terms.rows.length) - 1];
    if (this.leak.kind !== 'none') return this.stepLeaky(row);
    const out = this.op.out.store;
    const accHi = maxOf(this.accBits);
    const vHi = maxOf(this.vBits);
    const n = this.env.wasm!.neuronFixed(
      this.op.in.store.data.byteOffset, this.v.byteOffset, out.data.byteOffset, out.ev.byteOffset, out.nev, this.v.length, this.op.out.C, this.theta.byteOffset,
      this.thetaPerNeuron ? 1 : 0, row.byteOffset, this.terms.perNeuron ? 1 : 0, -accHi - 1, accHi, -vHi - 1, vHi, this.accBits, this.vBits, this.mode === 'wrap' ? 1 : 0, this.subtract ? 1 : 0, this.counters.byteOffset,
    );
    out.nev = n;
    out.sparse = true;
    return n;
  }

  /** A two-phase probabilistic population at global step t (ir/tpp.ts), in JavaScript. */
  private stepTpp(t: number, p: TppParams): number {
    const x = this.op.in.store.data;
    const out = this.op.out.store;
    clearEvents(out);
    const { v, theta: th, thetaPerNeuron: thPerNeuron } = this;
    const C = this.op.out.C;
    const T = this.steps;
    if (t <= p.window + T) {
      const k = localStep(t, p.window, T);
      const row = k ? this.terms.rows[Math.min(k, this.terms.rows.length) - 1] : undefined;
      const perNeuron = this.terms.perNeuron;
      const accHi = maxOf(this.accBits);
      const vHi = maxOf(this.vBits);
      for (let i = 0; i < v.length; i++) {
        let a = x[i];
        if (a > accHi || a < -accHi - 1) {
          a = narrow(a, this.accBits, this.mode);
          this.counters[0]++;
        }
        let w = v[i] + a + (row ? (perNeuron ? row[i] : row[i % C]) : 0);
        if (w > vHi || w < -vHi - 1) {
          w = narrow(w, this.vBits, this.mode);
          this.counters[1]++;
        }
        v[i] = w;
      }
      return 0;
    }
    const k = t - p.window - T;
    if (k > T) return 0;
    let n = 0;
    fireTpp(p, T, k, v, 0, v.length, C, (i, c) => (thPerNeuron ? th[i] : th[c]), (i) => {
      out.ev[n++] = i;
      out.data[i] = 1;
    });
    out.nev = n;
    return n;
  }

  /** The same update with a leak (rare in converted networks), in JavaScript. */
  private stepLeaky(row: Float64Array): number {
    const x = this.op.in.store.data;
    const out = this.op.out.store;
    const o = out.data;
    const ev = out.ev;
    for (let e = 0; e < out.nev; e++) o[ev[e]] = 0;
    const { v, theta: th, accBits, vBits, mode, subtract, leak, muls } = this;
    const C = this.op.out.C;
    const perNeuron = this.terms.perNeuron;
    const thPerNeuron = this.thetaPerNeuron;
    const accHi = maxOf(accBits);
    const vHi = maxOf(vBits);
    let n = 0;
    for (let i = 0; i < v.length; i++) {
      const c = i % C;
      let a = x[i];
      if (a > accHi || a < -accHi - 1) {
        a = narrow(a, accBits, mode);
        this.counters[0]++;
      }
      const leaked = muls ? shiftRound(v[i] * (muls.perNeuron ? muls.data[i] : muls.data[c]), leak.shift, leak.round) : leakOf(v[i], leak);
      let w = leaked + a + (perNeuron ? row[i] : row[c]);
      if (w > vHi || w < -vHi - 1) {
        w = narrow(w, vBits, mode);
        this.counters[1]++;
      }
      const t = thPerNeuron ? th[i] : th[c];
      if (w >= t) {
        w = subtract ? w - t : 0;
        ev[n++] = i;
        o[i] = 1;
      }
      v[i] = w;
    }
    out.nev = n;
    out.sparse = true;
    return n;
  }
}

class FixedReadout implements Unit {
  readonly overflow: OverflowCounts = { acc: 0, v: 0 };
  private readonly terms: { perNeuron: boolean; rows: Float64Array[] };
  private readonly bits: number;
  private readonly mode: Overflow;
  private readonly leak: Leak;
  private readonly window: number;
  private readonly steps: number;

  constructor(
    private readonly op: ReadoutOp,
    g: Graph,
    env: UnitEnv,
  ) {
    this.terms = stepTerms(op.node, g, op.out, env.arena);
    this.leak = leakOfNode(op.node);
    this.bits = attrInt(op.node, 'sumbits');
    this.mode = attrStr(op.node, 'overflow') as Overflow;
    this.window = attrInt(op.node, 'window', 0);
    this.steps = g.steps!;
  }

  reset(): void {
    this.op.out.store.data.fill(0);
  }

  step(t: number): number {
    const x = this.op.in.store.data;
    const s = this.op.out.store.data;
    // local step k = t - window: every step of a step-major graph, one window of a layer-major one
    const k = localStep(t, this.window, this.steps);
    if (!k) return 0;
    const row = this.terms.rows[Math.min(k, this.terms.rows.length) - 1];
    const C = this.op.out.C;
    for (let i = 0; i < s.length; i++) {
      const u = leakOf(s[i], this.leak) + x[i] + (this.terms.perNeuron ? row[i] : row[i % C]);
      const w = narrow(u, this.bits, this.mode);
      if (w !== u) this.overflow.v++;
      s[i] = w;
    }
    return 0;
  }
}

class FixedSynapse implements Unit {
  readonly overflow: OverflowCounts = { acc: 0, v: 0 };
  private readonly leak: Leak;
  private readonly bits: number;
  private readonly mode: Overflow;

  constructor(private readonly op: SynapseOp) {
    this.leak = leakOfNode(op.node);
    this.bits = attrInt(op.node, 'ibits');
    this.mode = attrStr(op.node, 'overflow') as Overflow;
  }

  reset(): void {
    this.op.out.store.data.fill(0);
  }

  step(): number {
    const x = this.op.in.store.data;
    const out = this.op.out.store;
    const s = out.data;
    for (let i = 0; i < s.length; i++) {
      const u = leakOf(s[i], this.leak) + x[i];
      const w = narrow(u, this.bits, this.mode);
      if (w !== u) this.overflow.v++;
      s[i] = w;
    }
    out.sparse = false;
    return 0;
  }
}

export const fixedSemantics: StageSemantics = {
  neuron: (op, g, env) => new FixedNeurons(op, g, env),
  readout: (op, g, env) => new FixedReadout(op, g, env),
  synapse: (op) => new FixedSynapse(op),
};

export function overflowOf(u: Unit): OverflowCounts | undefined {
  return (u as { overflow?: OverflowCounts }).overflow;
}

/** The membranes of an integer population (HWC storage order), or undefined for a readout or synapse. */
export function membraneOf(u: Unit): Float64Array | undefined {
  return u instanceof FixedNeurons ? u.v : undefined;
}
