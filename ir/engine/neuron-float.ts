/**
 * Semantics of the snn-float stage (reference for the float simulator).
 *
 * Integrate-and-fire population with per-channel threshold θ_c, spikes carrying θ_c:
 *
 *   v_i(0) = vinit_i θ_c
 *   v_i(t) = leak v_i(t-1) + x_i(t) + (shift + stepbias[t][c]) θ_c
 *   s_i(t) = v_i(t) >= θ_c;  out_i(t) = θ_c s_i(t)
 *   v_i(t) -= θ_c s_i(t)   (reset = subtract)   or   v_i(t) = 0 if s_i(t)   (reset = zero)
 *
 * where c is the channel of neuron i and x the input current (projection outputs, bias
 * included). The readout is non-spiking: sum_t x(t); its value at step t is that sum / t.
 */
import { attrNum, attrStr, attrVector } from '../ops.js';
import { isConstRef, type Graph } from '../types.js';
import type { NeuronOp, ReadoutOp, StageSemantics, Unit } from './engine.js';

function perChannel(v: Float64Array, C: number, what: string): Float64Array {
  if (v.length === C) return v;
  if (v.length === 1) return new Float64Array(C).fill(v[0]);
  throw new Error(`internal: ${what} has ${v.length} values for ${C} channels`);
}

/** vinit (θ units; scalar, per channel or per neuron in NCHW order) as absolute HWC values. */
export function initialMembrane(op: NeuronOp, g: Graph, theta: Float64Array): Float64Array {
  const { C, size } = op.out;
  const HW = size / C;
  const raw = attrVector(op.node, 'vinit', g.consts, 0)!;
  const v0 = new Float64Array(size);
  for (let c = 0; c < C; c++) {
    for (let p = 0; p < HW; p++) {
      const f = raw.length === size ? raw[c * HW + p] : raw.length === C ? raw[c] : raw[0];
      v0[p * C + c] = f * theta[c];
    }
  }
  return v0;
}

class FloatNeurons implements Unit {
  private readonly v: Float64Array;
  private readonly v0: Float64Array;
  private readonly theta: Float64Array;
  /** Per-step additive term per channel, rows t = 1..T (one row when constant over t). */
  private readonly adds: Float64Array[];
  private readonly leak: number;
  private readonly subtract: boolean;

  constructor(private readonly op: NeuronOp, g: Graph) {
    const { C, size } = op.out;
    this.theta = perChannel(attrVector(op.node, 'threshold', g.consts)!, C, 'threshold');
    this.v0 = initialMembrane(op, g, this.theta);
    this.v = new Float64Array(size);
    this.leak = attrNum(op.node, 'leak', 1);
    this.subtract = attrStr(op.node, 'reset') === 'subtract';
    const shift = attrNum(op.node, 'shift', 0);
    const sb = op.node.attrs.stepbias;
    const rows = isConstRef(sb) ? g.consts.get(sb.const)!.data : undefined;
    const T = g.steps!;
    this.adds = Array.from({ length: rows ? T : 1 }, (_, r) => {
      const a = new Float64Array(C);
      for (let c = 0; c < C; c++) a[c] = (shift + (rows ? rows[r * C + c] : 0)) * this.theta[c];
      return a;
    });
  }

  reset(): void {
    this.v.set(this.v0);
  }

  step(t: number): number {
    const x = this.op.in.store.data;
    const out = this.op.out.store;
    const o = out.data;
    const ev = out.ev;
    // Clear last step's spikes instead of rewriting every output (spikes are sparse).
    for (let e = 0; e < out.nev; e++) o[ev[e]] = 0;
    const v = this.v;
    const th = this.theta;
    const add = this.adds[Math.min(t, this.adds.length) - 1];
    const C = th.length;
    const leak = this.leak;
    const keep = this.subtract ? 1 : 0;
    let n = 0;
    for (let p = 0; p < v.length; p += C) {
      for (let c = 0; c < C; c++) {
        const i = p + c;
        const tc = th[c];
        const u = v[i] * leak + x[i] + add[c];
        // Branch-free fire / reset: f is 0 or 1; a fired neuron keeps u - θ (subtract) or 0 (zero).
        const f = +(u >= tc);
        v[i] = u - f * (keep * tc + (1 - keep) * u);
        ev[n] = i;
        n += f;
      }
    }
    for (let e = 0; e < n; e++) {
      const i = ev[e];
      o[i] = th[i % C];
    }
    out.nev = n;
    out.sparse = true;
    return n;
  }
}

class FloatReadout implements Unit {
  constructor(private readonly op: ReadoutOp) {}
  reset(): void {
    this.op.out.store.data.fill(0);
  }
  step(): number {
    const x = this.op.in.store.data;
    const s = this.op.out.store.data;
    for (let i = 0; i < s.length; i++) s[i] += x[i];
    return 0;
  }
}

export const floatSemantics: StageSemantics = {
  neuron: (op, g) => new FloatNeurons(op, g),
  readout: (op) => new FloatReadout(op),
};
