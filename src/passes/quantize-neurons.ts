/**
 * quantize, the constants of an integer population at its scale S_c (quantize-scales.ts), for every
 * neuron n of channel c (θ, vinit, shift and stepbias may be given per neuron):
 *
 *   θ_q[n] = max(1, round(θ_n S_c)),   vinit / shift / stepbias[t]: round(x θ_q[n])   (step rounding)
 *
 * A population that fires at v > θ (fire = gt) gets the integer threshold θ_q + 1 (on integers
 * v > θ_q is v >= θ_q + 1) and must reset to zero, since a subtract reset would remove θ_q.
 * With running rounding (leak-free populations) the projections' bias residues, the shift and the
 * per-step bias are rounded on their running sum A_t instead, as a T-row table of increments
 * D_t = round(A_t) − round(A_{t−1}), so the integer membrane's constants stay within half a step
 * of the real ones at every step. A leak factor λ becomes v = rnd(v·m / 2^16), m = round(λ 2^16).
 */
import { TPP_ATTRS } from '../../ir/tpp.js';
import { paramAt, populationShape } from '../../ir/neuron-params.js';
import { SnncError } from '../../ir/diagnostics.js';
import { maxOf, roundHalfAway, type Rounding } from '../../ir/fixed-arith.js';
import { attrStr, attrVector } from '../../ir/ops.js';
import { whereOf } from '../../ir/verify.js';
import { isConstRef, type AttrValue, type Const, type Graph, type Node, type Ref } from '../../ir/types.js';
import type { TargetDesc } from '../../targets/target.js';
import { isCurrent, type Accumulator } from './quantize-currents.js';

/** Where the integer constants of the new graph go. */
export interface ConstSink {
  /** An integer constant in the narrowest of i8/i16/i24/i32 that holds it (at least minBits). */
  int(hint: string, shape: readonly number[], values: ArrayLike<number>, minBits?: number): Ref;
  /** One number when every value is the same, else a [n] integer constant. */
  param(hint: string, values: Float64Array): AttrValue;
}

/** The integer leak attributes of factors λ (one, per channel or per neuron); none when nothing leaks. */
export function integerLeak(sink: ConstSink, hint: string, factors: Float64Array, round: Rounding): Record<string, AttrValue> {
  if (factors.every((l) => l >= 1)) return {};
  const muls = Float64Array.from(factors, (l) => Math.round(l * 2 ** 16));
  const leakmul = muls.length === 1 ? muls[0] : { const: constId(sink.int(`${hint}.leakmul`, [muls.length], muls)) };
  return { leak: 'mul', leakmul, leakshift: 16, round };
}

const constId = (r: Ref): string => (r as { id: string }).id;

/** The attributes of the integer form of IF population `n`, whose current `acc` has its scales. */
export function integerNeuron(g: Graph, n: Node, acc: Accumulator, sink: ConstSink, o: { target: TargetDesc; neuronRounding?: 'step' | 'running' }): Record<string, AttrValue> {
  const where = whereOf(n);
  const S = acc.scale!;
  const { C, size, HW } = populationShape(n);
  // θ_q per channel, or per neuron (NCHW) when θ is: round(θ S_c), at least 1
  const thetaReal = attrVector(n, 'threshold', g.consts)!;
  const perNeuronTheta = thetaReal.length === size && size !== C;
  const thq = perNeuronTheta
    ? Float64Array.from(thetaReal, (t, i) => Math.max(1, roundHalfAway(t * S[Math.floor(i / HW)])))
    : Float64Array.from(S, (s, c) => Math.max(1, roundHalfAway(paramAt(thetaReal, c, c, C) * s)));
  const thqAt = (i: number, c: number): number => (perNeuronTheta ? thq[i] : thq[c]);
  // v > θ on integers is v >= θ + 1; with a subtract reset the two thresholds would differ
  const strict = attrStr(n, 'fire', 'ge') === 'gt';
  if (strict && attrStr(n, 'reset') !== 'zero') throw new SnncError('SNN0202', 'a neuron that fires at v > θ (fire = gt) has an integer form only with reset = zero', where);
  const fireAt = strict ? thq.map((t) => t + 1) : thq;
  if (fireAt.some((t) => t > maxOf(o.target.vBits))) throw new SnncError('SNN0203', `threshold does not fit ${o.target.vBits}-bit membrane`, where);
  const attrs: Record<string, AttrValue> = {
    threshold: sink.param(`${n.id}.theta`, fireAt),
    reset: attrStr(n, 'reset'),
    accbits: o.target.accBits,
    vbits: o.target.vBits,
    overflow: o.target.overflow,
  };
  // vinit, shift and stepbias are in units of the neuron's θ: x θ_q, rounded, in the finer of the two layouts
  const inUnitsOfTheta = (x: ArrayLike<number>): Float64Array => {
    const width = x.length === size || perNeuronTheta ? size : C;
    return Float64Array.from({ length: width }, (_, j) => {
      const c = width === size ? Math.floor(j / HW) : j;
      return roundHalfAway(paramAt(x, j, c, size) * thqAt(j, c));
    });
  };
  const vinit = attrVector(n, 'vinit', g.consts, 0)!;
  if (vinit.some((v) => v !== 0)) {
    const q = inUnitsOfTheta(vinit);
    attrs.vinit = q.length === C ? sink.param(`${n.id}.vinit`, q) : { const: constId(sink.int(`${n.id}.vinit`, [q.length], q)) };
  }
  const shift = attrVector(n, 'shift', g.consts, 0)!;
  const sb = n.attrs.stepbias;
  const steps = isConstRef(sb) ? g.consts.get(sb.const)! : undefined;
  if (o.neuronRounding === 'running' && attrVector(n, 'leak', g.consts, 1)!.every((l) => l === 1)) {
    const table = runningTable(g, n, acc, shift, steps, thqAt, perNeuronTheta);
    if (table) attrs.stepbias = { const: constId(sink.int(`${n.id}.stepbias`, table.shape, table.data, 8)) };
  } else {
    if (shift.some((v) => v !== 0)) attrs.shift = sink.param(`${n.id}.shift`, inUnitsOfTheta(shift));
    if (steps) {
      const T = steps.type.shape[0];
      const per = steps.data.length / T;
      const rows = Array.from({ length: T }, (_, r) => inUnitsOfTheta(steps.data.subarray(r * per, (r + 1) * per)));
      const width = rows[0].length;
      const table = new Float64Array(T * width);
      rows.forEach((row, r) => table.set(row, r * width));
      attrs.stepbias = { const: constId(sink.int(`${n.id}.stepbias`, width === C ? [T, C] : [T, ...n.type.shape.slice(1)], table, 8)) };
    }
  }
  Object.assign(attrs, integerLeak(sink, n.id, attrVector(n, 'leak', g.consts, 1)!, o.target.leakRounding));
  // a TPP population's rule and schedule carry over unchanged
  for (const a of TPP_ATTRS) if (n.attrs[a] !== undefined) attrs[a] = n.attrs[a];
  return attrs;
}

/**
 * Running rounding: what population `n` adds at step t besides its events, in membrane steps — the
 * rounding residue of its projections' biases (they keep round(b S)), shift and stepbias[t] times
 * θ_q — as integer increments of the running sum, one row per step; undefined when every increment is 0.
 */
function runningTable(g: Graph, n: Node, acc: Accumulator, shift: Float64Array, steps: Const | undefined, thqAt: (i: number, c: number) => number, perNeuronTheta: boolean): { shape: number[]; data: Float64Array } | undefined {
  const { C, size, HW } = populationShape(n);
  const T = g.steps!;
  const S = acc.scale!;
  const residue = new Float64Array(C);
  for (const leaf of acc.leaves) {
    if (!isCurrent(leaf) || !leaf.inputs[2]) continue;
    (g.consts.get(leaf.inputs[2].id)!.data as Float32Array).forEach((b, c) => (residue[c] += b * S[c] - roundHalfAway(b * S[c])));
  }
  const per = steps ? steps.data.length / T : 0;
  const width = perNeuronTheta || (shift.length === size && size !== C) || (per === size && size !== C) ? size : C;
  const data = new Float64Array(T * width);
  let any = false;
  for (let j = 0; j < width; j++) {
    const c = width === C ? j : Math.floor(j / HW);
    const i = width === C ? c : j;
    let sum = 0;
    let before = 0;
    for (let t = 0; t < T; t++) {
      const row = steps ? steps.data.subarray(t * per, (t + 1) * per) : undefined;
      sum += residue[c] + (paramAt(shift, i, c, size) + (row ? paramAt(row, i, c, size) : 0)) * thqAt(i, c);
      const now = roundHalfAway(sum);
      data[t * width + j] = now - before;
      if (now !== before) any = true;
      before = now;
    }
  }
  return any ? { shape: width === C ? [T, C] : [T, ...n.type.shape.slice(1)], data } : undefined;
}
