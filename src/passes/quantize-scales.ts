/**
 * quantize, phase 2: one integer scale S_o per accumulator output channel o — its membrane (or
 * running sum) LSB is 1/S_o — the largest at which every integer it will hold fits its register:
 *
 *   S_o = min( (2^(wb-1)-1) / max_i |W[o,i] a_in(i)|     (clipped at a percentile when asked),
 *              (2^(vb-1)-1) / (2 max_n θ_n),              (the membrane holds 2θ; (T + 1)θ for TPP)
 *              (2^(bb-1)-1) / Σ_projections |b_o|,
 *              (2^(bb-1)-1-4) / max_n,t |B_n(t)| )        (every entry of the folded bias table)
 *
 * over the projections and event values summed into it (an identity shortcut's events count as a
 * weight a_c). Per-tensor granularity takes the minimum over o; the readout always does (its argmax
 * compares channels). Where calibration data overflowed an accumulator or a readout sum, S_o is
 * multiplied by the measured factor f_o ≤ 1 (measured-headroom.ts). With running neuron rounding
 * a per-channel θ is made a whole number of membrane steps by lowering S_o to the nearest scale
 * at which it is.
 */
import { paramAt, populationShape } from '../../ir/neuron-params.js';
import { maxOf } from '../../ir/fixed-arith.js';
import { attrVector } from '../../ir/ops.js';
import { isConstRef, type Graph, type Node } from '../../ir/types.js';
import { percentile } from './balance-thresholds.js';
import { channels, effectiveWeights, isCurrent, type Accumulator, type Currents } from './quantize-currents.js';

/** What bounds the scales: register widths, the weight clip, granularity, and whether θ must be whole. */
export interface ScaleRule {
  readonly weightBits: number;
  readonly vBits: number;
  readonly biasBits: number;
  /** Percentile of |W a| per channel that maps to the largest weight (100 = no clipping). */
  readonly weightClip: number;
  readonly granularity: 'channel' | 'tensor';
  /** Lower each channel's scale until its (one) θ is a whole number of steps (running neuron rounding). */
  readonly wholeThresholds: boolean;
  /** Per accumulator id, factors ≤ 1 of each channel's scale, from measured peaks (measured-headroom.ts). */
  readonly factors?: ReadonlyMap<string, Float64Array>;
}

export function chooseScales(g: Graph, { amp, accs }: Currents, o: ScaleRule): void {
  const wmax = maxOf(o.weightBits);
  const vmax = maxOf(o.vBits);
  const bmax = maxOf(o.biasBits);
  for (const acc of accs) {
    const C = channels(acc.node.type);
    const maxW = new Float64Array(C);
    for (const leaf of acc.leaves) {
      if (isCurrent(leaf)) {
        const e = effectiveWeights(g, leaf, amp);
        for (let r = 0; r < e.rows; r++) {
          const mags = Float32Array.from({ length: e.per }, (_, k) => Math.abs(e.at(r, k)));
          maxW[r] = Math.max(maxW[r], o.weightClip >= 100 ? mags.reduce((m, v) => Math.max(m, v), 0) : percentile(mags, o.weightClip));
        }
      } else {
        const a = amp.get(leaf.id)!;
        for (let c = 0; c < C; c++) maxW[c] = Math.max(maxW[c], Math.abs(a[c]));
      }
    }
    const theta = acc.node.op === 'if' ? largestThreshold(g, acc.node) : undefined;
    // how many θ the membrane must hold: an IF neuron's stays below θ plus a step's current (2θ);
    // a TPP neuron accumulates its whole input first, up to (T + ½)θ for a count still in range
    const held = acc.node.attrs.tpp !== undefined ? g.steps! + 1 : 2;
    const biasMax = new Float64Array(C);
    for (const leaf of acc.leaves) if (isCurrent(leaf) && leaf.inputs[2]) (g.consts.get(leaf.inputs[2].id)!.data as Float32Array).forEach((b, c) => (biasMax[c] += Math.abs(b)));
    // the population's folded table (fold-temporal-bias) holds biases, shift, step bias and v(0) together
    const folded = acc.node.op === 'if' ? foldedBias(g, acc) : undefined;
    const S = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      let s = maxW[c] > 0 ? wmax / maxW[c] : Infinity;
      if (theta) s = Math.min(s, vmax / held / theta[c]);
      if (biasMax[c] > 0) s = Math.min(s, bmax / biasMax[c]);
      if (folded && folded[c] > biasMax[c]) s = Math.min(s, (bmax - BIAS_ROUNDING_SLACK) / folded[c]);
      if (!Number.isFinite(s)) s = 1;
      S[c] = s * (o.factors?.get(acc.node.id)?.[c] ?? 1);
    }
    if (o.granularity === 'tensor' || acc.node.op === 'readout') S.fill(Math.min(...S));
    else if (o.wholeThresholds && theta) exactThresholds(g, acc.node, S);
    acc.scale = S;
  }
}

/** Integer steps the rounding of a folded table's terms may add to it (each term rounds by at most ½). */
const BIAS_ROUNDING_SLACK = 4;

/**
 * Per channel, the largest |B(t)| of a neuron over the steps, in real units:
 * B(t) = Σ projection biases + θ_n (shift + stepbias[t] + (t = 1 ? vinit : 0)), the entry
 * fold-temporal-bias will write (a leak only shrinks vinit), so that every entry fits the bias width.
 */
function foldedBias(g: Graph, acc: Accumulator): Float64Array {
  const n = acc.node;
  const { C, size, HW } = populationShape(n);
  const T = g.steps!;
  const b = new Float64Array(C);
  for (const leaf of acc.leaves) if (isCurrent(leaf) && leaf.inputs[2]) (g.consts.get(leaf.inputs[2].id)!.data as Float32Array).forEach((x, c) => (b[c] += x));
  const th = attrVector(n, 'threshold', g.consts)!;
  const vinit = attrVector(n, 'vinit', g.consts, 0)!;
  const shift = attrVector(n, 'shift', g.consts, 0)!;
  const sb = n.attrs.stepbias;
  const steps = isConstRef(sb) ? g.consts.get(sb.const)!.data : undefined;
  const per = steps ? steps.length / T : 0;
  const largest = new Float64Array(C);
  for (let i = 0; i < size; i++) {
    const c = Math.floor(i / HW);
    const theta = paramAt(th, i, c, size);
    const fixed = paramAt(shift, i, c, size);
    for (let t = 0; t < T; t++) {
      const step = steps ? paramAt(steps.subarray(t * per, (t + 1) * per), i, c, size) : 0;
      const entry = Math.abs(b[c] + theta * (fixed + step + (t === 0 ? paramAt(vinit, i, c, size) : 0)));
      if (entry > largest[c]) largest[c] = entry;
      if (!steps && t > 0) break; // without a table, every later step adds the same
    }
  }
  return largest;
}

/** Per channel, the largest θ of its neurons (the membrane must hold it). */
function largestThreshold(g: Graph, n: Node): Float64Array {
  const { C, size, HW } = populationShape(n);
  const th = attrVector(n, 'threshold', g.consts)!;
  const m = new Float64Array(C);
  for (let i = 0; i < size; i++) m[Math.floor(i / HW)] = Math.max(m[Math.floor(i / HW)], paramAt(th, i, Math.floor(i / HW), size));
  return m;
}

/** S lowered, per channel, to the nearest scale at which the channel's (one) θ is a whole number of steps. */
function exactThresholds(g: Graph, n: Node, S: Float64Array): void {
  const th = attrVector(n, 'threshold', g.consts)!;
  if (th.length !== 1 && th.length !== S.length) return; // θ per neuron: no one scale makes them all whole
  for (let c = 0; c < S.length; c++) {
    const t = th.length === 1 ? th[0] : th[c];
    const q = Math.floor(t * S[c] * (1 + 1e-12));
    if (q >= 1) S[c] = q / t;
  }
}
