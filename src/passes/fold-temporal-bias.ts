/**
 * fold-temporal-bias (snn-fixed -> snn-fixed): everything a population adds to its membrane
 * besides the synaptic events becomes one integer table per population,
 *
 *   B[t] = Σ_projections b  +  shift  +  stepbias[t]  +  (t = 1 ? leak(vinit) : 0)
 *
 * stored compactly: row r serves steps t with min(t, R) = r + 1, so a term constant over t
 * needs one row, an initial-membrane shift two, a per-step table T. v(0) becomes 0: adding
 * leak(vinit) at step 1 gives the same membrane as starting from vinit (leak(0) = 0). Biases
 * leave their projections (a projection is then a pure sum of events, what an event-driven core
 * computes); tables are per channel unless a per-neuron term (e.g. calibrated potentials) needs
 * [R, C, H, W]. Exact unless the accumulator saturates (the bias then lands after narrowing),
 * which the worst-case analysis reports. Every entry must fit the target's bias width.
 */
import { SnncError } from '../../ir/diagnostics.js';
import { leak as leakOf } from '../../ir/fixed-arith.js';
import { attrVector } from '../../ir/ops.js';
import { paramAt } from '../../ir/neuron-params.js';
import { whereOf } from '../../ir/verify.js';
import { isConstRef, type AttrValue, type Node } from '../../ir/types.js';
import { leakOfNode } from '../../ir/engine/neuron-fixed.js';
import type { Pass } from './pass.js';
import { Rewriter } from './rewriter.js';
import { projectionsInto } from './projections.js';

export interface FoldTemporalBiasOptions {
  readonly biasBits: number;
}

export const foldTemporalBias: Pass<FoldTemporalBiasOptions> = {
  name: 'fold-temporal-bias',
  summary: 'static bias, initial membrane, shift and per-step bias -> one integer bias table per population',
  from: 'snn-fixed',
  to: 'snn-fixed',
  run(g, o) {
    const byId = new Map(g.nodes.map((n) => [n.id, n]));
    const T = g.steps!;
    const biasOf = new Map<string, Int32Array>(); // projection id -> bias (removed below)
    const accOf = new Map<string, Node>(); // projection id -> accumulating node
    for (const n of g.nodes) {
      if (n.op !== 'if' && n.op !== 'readout') continue;
      for (const p of projectionsInto(byId, n.inputs[0].id)) {
        if (!p.inputs[2]) continue;
        biasOf.set(p.id, g.consts.get(p.inputs[2].id)!.data as Int32Array);
        accOf.set(p.id, n);
      }
    }
    const rw = new Rewriter(g);
    const limit = 2 ** (o.biasBits - 1) - 1;
    for (const n of g.nodes) {
      if (biasOf.has(n.id)) {
        rw.keep(n, { inputs: n.inputs.slice(0, 2) });
        continue;
      }
      if (n.op !== 'if' && n.op !== 'readout') {
        rw.keep(n);
        continue;
      }
      const C = n.type.shape[1];
      const size = n.type.shape.slice(1).reduce((a, b) => a * b, 1);
      const HW = size / C;
      const statics = new Float64Array(C);
      for (const [p, acc] of accOf) if (acc === n) biasOf.get(p)!.forEach((b, c) => (statics[c] += b));
      const vinit = attrVector(n, 'vinit', g.consts, 0)!;
      const shift = attrVector(n, 'shift', g.consts, 0)!;
      const sbAttr = n.attrs.stepbias;
      const stepbias = isConstRef(sbAttr) ? g.consts.get(sbAttr.const)!.data : undefined;
      const oldAttr = n.attrs.bias;
      const old = isConstRef(oldAttr) ? g.consts.get(oldAttr.const)! : undefined;
      const oldRows = old ? old.type.shape[0] : 0;
      const oldPer = old ? old.data.length / oldRows : 0;
      const sbPer = stepbias ? stepbias.length / T : 0;
      const perNeuron = size !== C && (vinit.length === size || shift.length === size || sbPer === size || oldPer === size);
      const width = perNeuron ? size : C;
      const hasInit = vinit.some((v) => v !== 0);
      const R = Math.min(T, Math.max(stepbias ? T : 1, hasInit ? 2 : 1, oldRows)); // at T = 1 the initial row is the only one
      const leak = n.op === 'if' ? leakOfNode(n) : undefined;
      const table = new Int32Array(R * width);
      let any = false;
      for (let r = 0; r < R; r++) {
        for (let i = 0; i < width; i++) {
          const c = perNeuron ? Math.floor(i / HW) : i;
          let v = statics[c] + paramAt(shift, i, c, size);
          if (stepbias) v += stepbias[Math.min(r, T - 1) * sbPer + (sbPer === C ? c : i)];
          if (old) v += old.data[Math.min(r, oldRows - 1) * oldPer + (oldPer === C ? c : i)];
          if (r === 0 && hasInit) v += leakOf(paramAt(vinit, i, c, size), leak!);
          if (Math.abs(v) > limit) throw new SnncError('SNN0203', `bias table entry ${v} (row ${r}, ${perNeuron ? 'neuron' : 'channel'} ${i}) does not fit ${o.biasBits} bits`, whereOf(n));
          table[r * width + i] = v;
          any ||= v !== 0;
        }
      }
      const attrs: Record<string, AttrValue> = { ...n.attrs };
      delete attrs.vinit;
      delete attrs.shift;
      delete attrs.stepbias;
      delete attrs.bias;
      if (any) {
        let m = 0;
        for (const v of table) m = Math.max(m, Math.abs(v));
        const bits = Math.max(8, Math.ceil(Math.log2(m + 1)) + 1);
        const id = rw.b.constant(`${n.id}.bias`, { dtype: `i${bits}`, shape: perNeuron ? [R, ...n.type.shape.slice(1)] : [R, C] }, table);
        attrs.bias = { const: id };
      }
      rw.keep(n, { attrs });
    }
    return rw.finish();
  },
};
