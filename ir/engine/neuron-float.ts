/**
 * Semantics of the snn-float stage (reference for the float simulator).
 *
 * Integrate-and-fire population with threshold θ_i, spikes carrying their channel's amplitude A_c
 * (A = θ when the node has no amplitude; ../neuron-params.ts):
 *
 *   v_i(0) = vinit_i θ_i
 *   v_i(t) = leak_i v_i(t-1) + x_i(t) + (shift_i + stepbias[t]_i) θ_i     (each scalar, per channel or per neuron)
 *   s_i(t) = v_i(t) >= θ_i  (fire = ge, the default)  or  v_i(t) > θ_i  (fire = gt);  out_i(t) = A_c s_i(t)
 *   v_i(t) -= θ_i s_i(t)   (reset = subtract)   or   v_i(t) = 0 if s_i(t)   (reset = zero)
 *
 * where c is the channel of neuron i and x the input current (projection outputs, bias
 * included). The readout is non-spiking: s(t) = leak · s(t-1) + x(t) (leak 1 unless a NIR LI: the
 * sum); its value at step t is s(t) / t.
 * A synaptic current (synapse): i(t) = decay · i(t-1) + x(t), i(0) = 0, emitted as a current.
 * Values are float32 (each operation rounded to single precision). The population update runs
 * as WebAssembly (wasm/kernels.ts, neuronFloat, or neuronFloatX4 four lanes at a time when C is a
 * multiple of 4), in this order of operations: u = v·leak + x + add.
 * A two-phase probabilistic (TPP) population accumulates u = (v + x) + add, then fires A by the
 * counter-based draws of ../tpp.ts in its layer-major window (its readout's value is s / T).
 */
import { attrNum, attrStr, attrVector } from '../ops.js';
import { isConstRef, type Graph } from '../types.js';
import type { NeuronOp, ReadoutOp, StageSemantics, SynapseOp, Unit, UnitEnv } from './engine.js';
import type { Arena } from './arena.js';
import type { NeuronFloatKernel } from './wasm/kernels.js';
import { clearEvents } from './plan.js';
import { fireTpp, localStep, tppOf, type TppParams } from '../tpp.js';
import { paramAt } from '../neuron-params.js';

/** A parameter given as a scalar, per channel or per neuron (NCHW), as one float32 per neuron in HWC order. */
function perNeuron(raw: Float64Array, buf: { C: number; size: number }, arena: Arena): Float32Array {
  const { C, size } = buf;
  const HW = size / C;
  if (raw.length !== 1 && raw.length !== C && raw.length !== size) throw new Error(`internal: ${raw.length} values for ${C} channels / ${size} neurons`);
  const out = arena.f32(size);
  for (let c = 0; c < C; c++) for (let p = 0; p < HW; p++) out[p * C + c] = paramAt(raw, c * HW + p, c, size);
  return out;
}

/** A parameter as `width` float32 lanes: per channel (width C) or per neuron in HWC order (width size). */
function lanes(raw: Float64Array, buf: { C: number; size: number }, width: number, arena: Arena): Float32Array {
  if (width !== buf.C) return perNeuron(raw, buf, arena);
  if (raw.length !== 1 && raw.length !== buf.C) throw new Error(`internal: ${raw.length} values for ${buf.C} channels`);
  const out = arena.f32(width);
  for (let c = 0; c < width; c++) out[c] = raw.length === 1 ? raw[0] : raw[c];
  return out;
}

class FloatNeurons implements Unit {
  /** Membranes, channel-last (HWC) like every map in the engine. */
  readonly v: Float32Array;
  private readonly v0: Float32Array;
  /**
   * θ, the spike amplitude and the additive term come as lanes: one per channel, rewound at every
   * position, or one per neuron (HWC) when θ or a term is per neuron (then the kernels see one
   * position of `size` channels).
   */
  private readonly theta: Float32Array;
  private readonly amp: Float32Array;
  /** Per-step additive term per lane, rows t = 1..T (one row when constant over t). */
  private readonly adds: Float32Array[];
  /** The leak of every neuron (HWC), walked like v. */
  private readonly leak: Float32Array;
  private readonly subtract: boolean;
  private readonly strict: boolean;
  private readonly tpp: TppParams | undefined;
  private readonly steps: number;
  /** Four lanes at a time when the lanes come in fours (absent in the engine's sizing pass). */
  private readonly kernel?: NeuronFloatKernel;

  constructor(
    private readonly op: NeuronOp,
    g: Graph,
    env: UnitEnv,
  ) {
    const { C, size } = op.out;
    const arena = env.arena;
    const node = op.node;
    const T = g.steps!;
    const th = attrVector(node, 'threshold', g.consts)!;
    const shift = attrVector(node, 'shift', g.consts, 0)!;
    const sb = node.attrs.stepbias;
    const rows = isConstRef(sb) ? g.consts.get(sb.const)!.data : undefined;
    const perNeuronTerms = th.length === size || shift.length === size || (rows !== undefined && rows.length === T * size);
    const width = perNeuronTerms && size !== C ? size : C;
    if (env.wasm) this.kernel = width % 4 === 0 ? env.wasm.neuronFloatX4 : env.wasm.neuronFloat;
    this.theta = lanes(th, op.out, width, arena);
    this.amp = node.attrs.amplitude !== undefined ? lanes(attrVector(node, 'amplitude', g.consts)!, op.out, width, arena) : this.theta;
    // v(0) and the additive terms: products of the raw (float64) parameters and the float32 θ, rounded once
    const HW = size / C;
    // lane j -> (NCHW neuron, channel): a channel's lane stands for its neurons, which share its values
    const neuronOf = (j: number): number => (width === C ? j : (j % C) * HW + Math.floor(j / C));
    const vinit = attrVector(node, 'vinit', g.consts, 0)!;
    this.v0 = arena.f32(size);
    for (let c = 0; c < C; c++) for (let p = 0; p < HW; p++) this.v0[p * C + c] = paramAt(vinit, c * HW + p, c, size) * this.theta[width === C ? c : p * C + c];
    this.v = arena.f32(size);
    this.leak = perNeuron(attrVector(node, 'leak', g.consts, 1)!, op.out, arena);
    this.subtract = attrStr(node, 'reset') === 'subtract';
    this.strict = attrStr(node, 'fire', 'ge') === 'gt';
    this.steps = T;
    this.tpp = tppOf(node);
    const per = rows ? rows.length / T : 0;
    this.adds = Array.from({ length: rows ? T : 1 }, (_, r) => {
      const a = arena.f32(width);
      const row = rows?.subarray(r * per, (r + 1) * per);
      for (let j = 0; j < width; j++) {
        const i = neuronOf(j);
        const c = j % C;
        a[j] = (paramAt(shift, i, c, size) + (row ? paramAt(row, i, c, size) : 0)) * this.theta[j];
      }
      return a;
    });
  }

  reset(): void {
    this.v.set(this.v0);
  }

  step(t: number): number {
    if (this.tpp) return this.stepTpp(t, this.tpp);
    const x = this.op.in.store.data;
    const out = this.op.out.store;
    const add = this.adds[Math.min(t, this.adds.length) - 1];
    const n = this.kernel!(x.byteOffset, this.v.byteOffset, out.data.byteOffset, out.ev.byteOffset, out.nev, this.v.length, this.theta.length, this.theta.byteOffset, this.amp.byteOffset, add.byteOffset, this.leak.byteOffset, this.subtract ? 1 : 0, this.strict ? 1 : 0);
    out.nev = n;
    out.sparse = true;
    return n;
  }

  /** A two-phase probabilistic population at global step t (../tpp.ts): accumulate, then fire A by the counter-based draws. */
  private stepTpp(t: number, p: TppParams): number {
    const x = this.op.in.store.data;
    const out = this.op.out.store;
    clearEvents(out);
    const { v, theta, amp } = this;
    const W = theta.length; // lanes: channels, or every neuron
    const C = this.op.out.C;
    const T = this.steps;
    if (t <= p.window + T) {
      const k = localStep(t, p.window, T);
      const add = k ? this.adds[Math.min(k, this.adds.length) - 1] : undefined;
      for (let i = 0; i < v.length; i++) v[i] = add ? Math.fround(Math.fround(v[i] + x[i]) + add[i % W]) : Math.fround(v[i] + x[i]);
      return 0;
    }
    const k = t - p.window - T;
    if (k > T) return 0;
    let n = 0;
    fireTpp(p, T, k, v, 0, v.length, C, (i) => theta[i % W], (i) => {
      out.ev[n++] = i;
      out.data[i] = amp[i % W];
    });
    out.nev = n;
    return n;
  }
}

class FloatReadout implements Unit {
  private readonly leak: number;
  private readonly window: number;
  private readonly steps: number;
  constructor(
    private readonly op: ReadoutOp,
    g: Graph,
  ) {
    this.leak = Math.fround(attrNum(op.node, 'leak', 1));
    this.window = attrNum(op.node, 'window', 0);
    this.steps = g.steps!;
  }
  reset(): void {
    this.op.out.store.data.fill(0);
  }
  step(t: number): number {
    if (!localStep(t, this.window, this.steps)) return 0;
    const x = this.op.in.store.data;
    const s = this.op.out.store.data;
    if (this.leak === 1) for (let i = 0; i < s.length; i++) s[i] += x[i];
    else for (let i = 0; i < s.length; i++) s[i] = Math.fround(s[i] * this.leak) + x[i];
    return 0;
  }
}

class FloatSynapse implements Unit {
  private readonly decay: number;
  constructor(private readonly op: SynapseOp) {
    this.decay = Math.fround(attrNum(op.node, 'decay'));
  }
  reset(): void {
    this.op.out.store.data.fill(0);
  }
  step(): number {
    const x = this.op.in.store.data;
    const out = this.op.out.store;
    const s = out.data;
    for (let i = 0; i < s.length; i++) s[i] = Math.fround(Math.fround(s[i] * this.decay) + x[i]);
    out.sparse = false;
    return 0;
  }
}

export const floatSemantics: StageSemantics = {
  neuron: (op, g, env) => new FloatNeurons(op, g, env),
  readout: (op, g) => new FloatReadout(op, g),
  synapse: (op) => new FloatSynapse(op),
};
