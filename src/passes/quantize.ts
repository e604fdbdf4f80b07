/**
 * quantize (snn-float -> snn-fixed), driven by a target description.
 *
 * Every value becomes an integer. Event tensors (spikes, pooled spike counts, the input) carry a
 * real amplitude per channel: a spike of population P is worth A_P,c (its amplitude, θ_P,c by
 * default; ir/neuron-params.ts); an average pool becomes a
 * sum pool whose counts are worth a/k²; the input is worth its scale. Each accumulating node (an
 * IF population or the readout) owns an integer scale S_o per output channel — its membrane
 * LSB is 1/S_o — and every projection that feeds it (through adds) gets
 *
 *   w_q[o, i] = round(W[o, i] · a_in(i) · S_o)        (the input's amplitude folded into the weights)
 *   b_q[o]    = round(b[o] · S_o),  θ_q[n] = round(θ_n S_o),  vinit/shift/stepbias: round(x θ_q[n])
 *
 * for every neuron n of channel o (θ, vinit, shift and stepbias may be per neuron)
 *
 * (a population that fires at v > θ, fire = gt, gets the integer threshold θ_q + 1: on integers
 * v > θ_q is v >= θ_q + 1; it must reset to zero, since a subtract reset would remove θ_q.)
 *
 * with S_o = min( (2^(wb-1)-1) / max_i |W a|  (clipped at a percentile when asked),
 *                 (2^(vb-1)-1) / (2 max_n θ_n) ,  (2^(bb-1)-1) / max |b_o| ).
 * Per-tensor granularity takes the minimum over o; the readout always does (its argmax compares
 * channels). An identity shortcut into an add becomes mul(events, round(a · S)). Nothing is
 * rescaled at run time: the integer network is exact arithmetic on these numbers. Value dtypes
 * are the narrowest of i8/i16/i32/i64 that the worst-case interval analysis allows.
 *
 * The report gives, per accumulator, the weight quantisation error (relative RMS), the fraction
 * of clipped weights, and the worst-case headroom of the accumulator and the membrane in bits
 * (negative headroom: the value can overflow; it is then saturated or wrapped and counted).
 */
import { TPP_ATTRS } from '../../ir/tpp.js';
import { paramAt, populationShape, spikeAmplitude } from '../../ir/neuron-params.js';
import { SnncError } from '../../ir/diagnostics.js';
import { computeRanges } from '../../ir/fixed-ranges.js';
import { maxOf, roundHalfAway } from '../../ir/fixed-arith.js';
import { attrBool, attrInt, attrInts, attrNum, attrStr, attrVector } from '../../ir/ops.js';
import { whereOf } from '../../ir/verify.js';
import { isConstRef, type AttrValue, type Const, type Graph, type Node, type Ref, type TensorType } from '../../ir/types.js';
import type { TargetDesc } from '../../targets/target.js';
import { percentile } from './balance-thresholds.js';
import type { Pass } from './pass.js';
import { Rewriter } from './rewriter.js';

export interface QuantizeOptions {
  readonly target: TargetDesc;
  readonly weightBits: number;
  readonly granularity: 'channel' | 'tensor';
  /** Real value of one step of the integer input. */
  readonly inputScale: number;
  /** Percentile of |W a| per channel that maps to the largest weight (100 = no clipping). */
  readonly weightClip: number;
  readonly onReport?: (r: LayerReport) => void;
  /** How a projection's real integer-unit weights become integers (nearestRounding when absent). */
  readonly rounding?: WeightRounding;
  /**
   * How a population's constants become integers. step (the default): θ, and each step's bias,
   * shift and per-step bias, each rounded alone. running: a per-channel θ is made a whole number
   * of membrane steps (the channel's scale lowered to the nearest scale at which it is), and the
   * additive terms are rounded on their running sum over the window (a T-row table), so that the
   * integer membrane's constants stay within half a step of the real ones at every step.
   */
  readonly neuronRounding?: 'step' | 'running';
}

/**
 * A projection's weights in integer units, `real` = W·a·S row-major [rows, per] (per = its
 * fan-in), to integers within ±limit. The rule may use data (weight-rounding.ts); it must not
 * change the scales, which quantize has fixed.
 */
export type WeightRounding = (projection: Node, real: Float64Array, rows: number, limit: number) => Int32Array;

/** Round half away from zero, then clip to ±limit (clipping only when a weight clip percentile asked for it). */
export const nearestRounding: WeightRounding = (_p, real, _rows, limit) => Int32Array.from(real, (x) => Math.max(-limit, Math.min(limit, roundHalfAway(x))));

export interface LayerReport {
  readonly id: string;
  readonly op: string;
  /** sqrt(Σ (W a S - w_q)²) / sqrt(Σ (W a S)²) over the projections feeding it. */
  readonly weightError: number;
  readonly clipped: number;
  readonly weightBits: number;
  /** Smallest and largest per-channel scale S (integer units per real unit). */
  readonly scale: [number, number];
  readonly threshold?: [number, number];
  /** log2(register limit / worst-case magnitude): negative means it can overflow. */
  readonly accHeadroomBits: number;
  readonly vHeadroomBits?: number;
}

type Amp = Float64Array; // real value of one integer step, per channel (rank 3) or feature (rank 1)

function channels(t: TensorType): number {
  return t.shape.length >= 2 ? t.shape[1] : 1;
}

/** Integer dtype of a constant holding `values`: the narrowest of i8/i16/i32 (at least `bits`). */
function intDtype(values: ArrayLike<number>, bits = 8): string {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, values[i] < 0 ? -values[i] - 1 : values[i]);
  let b = Math.max(bits, Math.ceil(Math.log2(m + 1)) + 1);
  b = b <= 8 ? 8 : b <= 16 ? 16 : b <= 24 ? 24 : 32;
  return `i${b}`;
}

interface Accumulator {
  readonly node: Node;
  /** Projections and event values summed into it (through adds). */
  readonly leaves: Node[];
  readonly adds: Node[];
  scale?: Float64Array;
}

export const quantize: Pass<QuantizeOptions> = {
  name: 'quantize',
  summary: 'snn-float -> snn-fixed: integer weights, thresholds and biases for a target',
  from: 'snn-float',
  to: 'snn-fixed',
  run(g, o) {
    const byId = new Map(g.nodes.map((n) => [n.id, n]));
    const wmax = maxOf(o.weightBits);
    const vmax = maxOf(o.target.vBits);
    const bmax = maxOf(o.target.biasBits);
    const consts = (r: Ref): Float32Array => g.consts.get(r.id)!.data as Float32Array;

    // ---- phase 1: amplitudes of event values; accumulators and the current trees feeding them
    const amp = new Map<string, Amp>();
    const accOf = new Map<string, Accumulator>(); // projection / add id -> its accumulator
    const accs: Accumulator[] = [];
    const accByNode = new Map<string, Accumulator>(); // if / readout id -> its accumulator
    const isCurrent = (n: Node): boolean => n.op === 'conv2d' || n.op === 'dense' || n.op === 'add' || n.op === 'synapse';
    /** Per channel, the largest θ of its neurons (the membrane must hold it). */
    const largestThreshold = (n: Node): Float64Array => {
      const { C, size, HW } = populationShape(n);
      const th = attrVector(n, 'threshold', g.consts)!;
      const m = new Float64Array(C);
      for (let i = 0; i < size; i++) m[Math.floor(i / HW)] = Math.max(m[Math.floor(i / HW)], paramAt(th, i, Math.floor(i / HW), size));
      return m;
    };
    // a recurrent edge (a delay of a later population) needs that population's spike amplitude first
    for (const n of g.nodes) if (n.op === 'if') amp.set(n.id, spikeAmplitude(n, g.consts));
    for (const n of g.nodes) {
      const where = whereOf(n);
      const inAmp = (i = 0): Amp => {
        const a = amp.get(n.inputs[i].id);
        if (!a) throw new SnncError('SNN0202', `'${n.op}' reads %${n.inputs[i].id}, a synaptic current; only spikes and pooled spikes can be pooled, flattened or concatenated in integers`, where);
        return a;
      };
      switch (n.op) {
        case 'input':
          amp.set(n.id, new Float64Array(channels(n.type)).fill(o.inputScale));
          break;
        case 'if':
          accs.push(collect(n));
          break;
        case 'delay':
          amp.set(n.id, inAmp());
          break;
        case 'readout':
          accs.push(collect(n));
          break;
        case 'spikemaxpool':
        case 'maxpool2d':
          amp.set(n.id, inAmp());
          break;
        case 'avgpool2d': {
          const [kh, kw] = attrInts(n, 'kernel');
          const pads = attrInts(n, 'pads');
          const uniform = (attrBool(n, 'countIncludePad') || pads.every((p) => p === 0)) && !attrBool(n, 'ceilMode');
          if (!uniform) throw new SnncError('SNN0202', 'average pooling whose divisor varies over windows (padding without countIncludePad, or ceil mode) has no integer sum-pool form', where);
          amp.set(n.id, inAmp().map((a) => a / (kh * kw)));
          break;
        }
        case 'globalavgpool': {
          const [, , h, w] = byId.get(n.inputs[0].id)!.type.shape;
          amp.set(n.id, inAmp().map((a) => a / (h * w)));
          break;
        }
        case 'flatten':
        case 'reshape': {
          const a = inAmp();
          const src = byId.get(n.inputs[0].id)!.type.shape;
          const per = src.slice(2).reduce((x, y) => x * y, 1);
          const f = channels(n.type);
          if (n.type.shape.length === 2 && src.length === 4) amp.set(n.id, Float64Array.from({ length: f }, (_, i) => a[Math.floor(i / per)]));
          else amp.set(n.id, a);
          break;
        }
        case 'concat': {
          const parts = n.inputs.map((_, i) => inAmp(i));
          const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
          let at = 0;
          for (const p of parts) {
            out.set(p, at);
            at += p.length;
          }
          amp.set(n.id, out);
          break;
        }
        case 'conv2d':
        case 'dense':
        case 'add':
        case 'synapse':
          break;
        default:
          throw new SnncError('SNN0202', `op '${n.op}' has no integer form`, where);
      }
    }

    function collect(n: Node): Accumulator {
      const acc: Accumulator = { node: n, leaves: [], adds: [] };
      accByNode.set(n.id, acc);
      const walk = (id: string): void => {
        const p = byId.get(id)!;
        if (p.op === 'add' || p.op === 'synapse') {
          // a synaptic current integrates its input in the accumulator's units
          if (p.op === 'add') acc.adds.push(p);
          claim(p);
          for (const r of p.inputs) {
            if (r.kind !== 'value') throw new SnncError('SNN0202', 'add of a constant has no integer form', whereOf(p));
            walk(r.id);
          }
        } else {
          acc.leaves.push(p);
          if (isCurrent(p)) claim(p);
        }
      };
      const claim = (p: Node): void => {
        if (accOf.has(p.id)) throw new SnncError('SNN0202', `%${p.id} feeds two accumulators (%${accOf.get(p.id)!.node.id} and %${n.id}); each current must have one integer scale`, whereOf(p));
        accOf.set(p.id, acc);
      };
      walk(n.inputs[0].id);
      return acc;
    }

    // ---- scales: per accumulator output channel
    const effWeights = (leaf: Node): { rows: number; per: number; at: (o: number, k: number) => number } => {
      const inA = amp.get(leaf.inputs[0].id);
      if (!inA) {
        const src = byId.get(leaf.inputs[0].id)!;
        const what = src.op === 'synapse' ? 'a synaptic current' : `a current (${src.op} %${src.id}, with no neuron population after it: a linear layer such as MobileNet's linear bottleneck)`;
        throw new SnncError('SNN0202', `%${leaf.id} reads ${what}; an integer projection reads spikes or the input`, whereOf(leaf));
      }
      const w = consts(leaf.inputs[1]);
      const shape = g.consts.get(leaf.inputs[1].id)!.type.shape;
      const rows = shape[0];
      const per = w.length / rows;
      if (leaf.op === 'dense') return { rows, per, at: (r, k) => w[r * per + k] * inA[k] };
      const kk = shape[2] * shape[3];
      const Cg = shape[1];
      const Og = rows / attrNum(leaf, 'group');
      return { rows, per, at: (r, k) => w[r * per + k] * inA[Math.floor(r / Og) * Cg + Math.floor(k / kk)] };
    };

    for (const acc of accs) {
      const C = channels(acc.node.type);
      const maxW = new Float64Array(C);
      for (const leaf of acc.leaves) {
        if (isCurrent(leaf)) {
          const e = effWeights(leaf);
          for (let r = 0; r < e.rows; r++) {
            const mags = Float32Array.from({ length: e.per }, (_, k) => Math.abs(e.at(r, k)));
            maxW[r] = Math.max(maxW[r], o.weightClip >= 100 ? mags.reduce((m, v) => Math.max(m, v), 0) : percentile(mags, o.weightClip));
          }
        } else {
          const a = amp.get(leaf.id)!;
          for (let c = 0; c < C; c++) maxW[c] = Math.max(maxW[c], Math.abs(a[c]));
        }
      }
      const S = new Float64Array(C);
      const theta = acc.node.op === 'if' ? largestThreshold(acc.node) : undefined;
      const biasMax = new Float64Array(C);
      for (const leaf of acc.leaves) if (isCurrent(leaf) && leaf.inputs[2]) consts(leaf.inputs[2]).forEach((b, c) => (biasMax[c] += Math.abs(b)));
      for (let c = 0; c < C; c++) {
        let s = maxW[c] > 0 ? wmax / maxW[c] : Infinity;
        if (theta) s = Math.min(s, vmax / 2 / theta[c]);
        if (biasMax[c] > 0) s = Math.min(s, bmax / biasMax[c]);
        if (!Number.isFinite(s)) s = 1;
        S[c] = s;
      }
      if (o.granularity === 'tensor' || acc.node.op === 'readout') S.fill(Math.min(...S));
      else if (o.neuronRounding === 'running' && theta) exactThresholds(acc.node, S);
      acc.scale = S;
    }

    /** S lowered, per channel, to the nearest scale at which the channel's (one) θ is a whole number of steps. */
    function exactThresholds(n: Node, S: Float64Array): void {
      const th = attrVector(n, 'threshold', g.consts)!;
      if (th.length !== 1 && th.length !== S.length) return; // θ per neuron: no one scale makes them all whole
      for (let c = 0; c < S.length; c++) {
        const t = th.length === 1 ? th[0] : th[c];
        const q = Math.floor(t * S[c] * (1 + 1e-12));
        if (q >= 1) S[c] = q / t;
      }
    }

    /**
     * neuronRounding = running: what population `n` adds at step t besides its events, in membrane
     * steps — the rounding residue of its projections' biases (they keep round(b S)), shift and
     * stepbias[t] times θ_q — as integer increments D_t = round(A_t) − round(A_{t−1}) of the running
     * sum A_t, one row per step; undefined when every increment is 0.
     */
    function runningTable(n: Node, shift: Float64Array, steps: Const | undefined, thqAt: (i: number, c: number) => number, perNeuronTheta: boolean): { shape: number[]; data: Float64Array } | undefined {
      const { C, size, HW } = populationShape(n);
      const T = g.steps!;
      const acc = accByNode.get(n.id)!;
      const residue = new Float64Array(C);
      for (const leaf of acc.leaves) {
        if (!isCurrent(leaf) || !leaf.inputs[2]) continue;
        consts(leaf.inputs[2]).forEach((b, c) => (residue[c] += b * acc.scale![c] - roundHalfAway(b * acc.scale![c])));
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

    // ---- phase 2: emit integer nodes
    const rw = new Rewriter(g, 'snn-fixed', g.steps);
    const report = new Map<string, { num: number; den: number; clipped: number; total: number }>();
    const intConst = (hint: string, shape: readonly number[], values: ArrayLike<number>, minBits = 8): Ref => {
      const data = Int32Array.from(values);
      return { kind: 'const', id: rw.b.constant(hint, { dtype: intDtype(data, minBits), shape: [...shape] }, data) };
    };
    const paramAttr = (hint: string, values: Float64Array): AttrValue => {
      const first = values[0];
      if (values.every((v) => v === first)) return first;
      return { const: (intConst(hint, [values.length], values, 8) as { id: string }).id };
    };
    /**
     * A leak factor λ (one, or one per channel or per neuron) as the integer leak v = rnd(v·m / 2^16),
     * m = round(λ·2^16); no attributes when nothing leaks.
     */
    const integerLeak = (hint: string, factors: Float64Array): Record<string, AttrValue> => {
      if (factors.every((l) => l >= 1)) return {};
      const muls = Float64Array.from(factors, (l) => Math.round(l * 2 ** 16));
      const leakmul = muls.length === 1 ? muls[0] : { const: (intConst(`${hint}.leakmul`, [muls.length], muls) as { id: string }).id };
      return { leak: 'mul', leakmul, leakshift: 16, round: o.target.leakRounding };
    };
    /** Events worth a_c per unit, as a current in the accumulator's units: mul(events, round(a S)). */
    const eventsAsCurrent = (r: Ref, acc: Accumulator): Ref => {
      const leaf = byId.get(r.id)!;
      const k = Float64Array.from(amp.get(leaf.id)!, (a, c) => roundHalfAway(a * acc.scale![c]));
      if (k.some((v) => Math.abs(v) > wmax)) throw new Error(`internal: shortcut weight exceeds ${o.weightBits} bits`);
      const shape = leaf.type.shape.length === 4 ? [k.length, 1, 1] : [k.length];
      const hint = `${leaf.id}_to_${acc.node.id}`;
      const m = rw.b.node(hint, 'mul', [r, intConst(`${hint}.k`, shape, k, o.weightBits)], {}, { dtype: 'i64', shape: leaf.type.shape }, leaf.loc);
      return { kind: 'value', id: m.id };
    };
    const currentInput = (n: Node): Ref[] => {
      const r = n.inputs[0];
      return amp.has(r.id) ? [eventsAsCurrent(r, accByNode.get(n.id)!)] : [r];
    };
    for (const n of g.nodes) {
      const where = whereOf(n);
      switch (n.op) {
        case 'input': {
          const dtype = `${o.target.input.signed ? 'i' : 'u'}${o.target.input.bits}`;
          rw.keep(n, { attrs: { scale: o.inputScale, ...(n.attrs.temporal === true ? { temporal: true } : {}) }, type: { dtype, shape: n.type.shape } });
          break;
        }
        case 'conv2d':
        case 'dense': {
          const acc = accOf.get(n.id);
          if (!acc) throw new SnncError('SNN0202', `%${n.id} feeds no neuron or readout`, where);
          const S = acc.scale!;
          const e = effWeights(n);
          const real = new Float64Array(e.rows * e.per);
          for (let r = 0; r < e.rows; r++) for (let k = 0; k < e.per; k++) real[r * e.per + k] = e.at(r, k) * S[r];
          const wq = (o.rounding ?? nearestRounding)(n, real, e.rows, wmax);
          const stat = report.get(acc.node.id) ?? { num: 0, den: 0, clipped: 0, total: 0 };
          for (let j = 0; j < real.length; j++) {
            if (Math.abs(wq[j]) > wmax) throw new Error(`internal: weight rounding of %${n.id} gave ${wq[j]}, outside ±${wmax}`);
            if (Math.abs(roundHalfAway(real[j])) > wmax) stat.clipped++;
            stat.num += (real[j] - wq[j]) ** 2;
            stat.den += real[j] ** 2;
          }
          stat.total += wq.length;
          report.set(acc.node.id, stat);
          const wShape = g.consts.get(n.inputs[1].id)!.type.shape;
          const w: Ref = { kind: 'const', id: rw.b.constant(`${n.id}.wq`, { dtype: `i${o.weightBits}`, shape: [...wShape] }, wq) };
          const inputs: Ref[] = [n.inputs[0], w];
          if (n.inputs[2]) {
            const b = consts(n.inputs[2]);
            const bq = Float64Array.from(b, (v, c) => roundHalfAway(v * S[c]));
            if (bq.some((v) => Math.abs(v) > bmax)) throw new SnncError('SNN0203', `bias does not fit ${o.target.biasBits} bits`, where);
            inputs.push(intConst(`${n.id}.bq`, [b.length], bq, 8));
          }
          rw.keep(n, { inputs, type: { dtype: 'i64', shape: n.type.shape } });
          break;
        }
        case 'synapse': {
          const acc = accOf.get(n.id);
          if (!acc) throw new SnncError('SNN0202', `the synaptic current %${n.id} feeds no neuron or readout`, where);
          const decay = attrNum(n, 'decay');
          const input = amp.has(n.inputs[0].id) ? eventsAsCurrent(n.inputs[0], acc) : n.inputs[0];
          const attrs: Record<string, AttrValue> = { ibits: o.target.accBits, overflow: o.target.overflow, ...integerLeak(n.id, Float64Array.of(decay)) };
          rw.keep(n, { inputs: [input], attrs, type: { dtype: `i${o.target.accBits}`, shape: n.type.shape } });
          break;
        }
        case 'add': {
          const acc = accOf.get(n.id)!;
          // an identity shortcut adds events worth a_c: scale them into this accumulator's units
          const ins = n.inputs.map((r) => (isCurrent(byId.get(r.id)!) ? r : eventsAsCurrent(r, acc)));
          rw.keep(n, { inputs: ins, type: { dtype: 'i64', shape: n.type.shape } });
          break;
        }
        case 'if': {
          const S = accByNode.get(n.id)!.scale!;
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
          if (strict && attrStr(n, 'reset') !== 'zero') throw new SnncError('SNN0202', "a neuron that fires at v > θ (fire = gt) has an integer form only with reset = zero", where);
          const fireAt = strict ? thq.map((t) => t + 1) : thq;
          if (fireAt.some((t) => t > vmax)) throw new SnncError('SNN0203', `threshold does not fit ${o.target.vBits}-bit membrane`, where);
          const attrs: Record<string, AttrValue> = {
            threshold: paramAttr(`${n.id}.theta`, fireAt),
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
            attrs.vinit = q.length === C ? paramAttr(`${n.id}.vinit`, q) : { const: (intConst(`${n.id}.vinit`, [q.length], q) as { id: string }).id };
          }
          const shift = attrVector(n, 'shift', g.consts, 0)!;
          const sb = n.attrs.stepbias;
          const steps = isConstRef(sb) ? g.consts.get(sb.const)! : undefined;
          if (o.neuronRounding === 'running' && attrVector(n, 'leak', g.consts, 1)!.every((l) => l === 1)) {
            const table = runningTable(n, shift, steps, thqAt, perNeuronTheta);
            if (table) attrs.stepbias = { const: (intConst(`${n.id}.stepbias`, table.shape, table.data, 8) as { id: string }).id };
          } else {
            if (shift.some((v) => v !== 0)) attrs.shift = paramAttr(`${n.id}.shift`, inUnitsOfTheta(shift));
            if (steps) {
              const T = steps.type.shape[0];
              const per = steps.data.length / T;
              const rows = Array.from({ length: T }, (_, r) => inUnitsOfTheta(steps.data.subarray(r * per, (r + 1) * per)));
              const width = rows[0].length;
              const table = new Float64Array(T * width);
              rows.forEach((row, r) => table.set(row, r * width));
              attrs.stepbias = { const: (intConst(`${n.id}.stepbias`, width === C ? [T, C] : [T, ...n.type.shape.slice(1)], table, 8) as { id: string }).id };
            }
          }
          Object.assign(attrs, integerLeak(n.id, attrVector(n, 'leak', g.consts, 1)!));
          // a TPP population's rule and schedule carry over unchanged
          for (const a of TPP_ATTRS) if (n.attrs[a] !== undefined) attrs[a] = n.attrs[a];
          rw.keep(n, { inputs: currentInput(n), attrs, type: { dtype: 'u1', shape: n.type.shape } });
          break;
        }
        case 'readout': {
          const S = accByNode.get(n.id)!.scale!;
          const leakAttrs = integerLeak(n.id, Float64Array.of(attrNum(n, 'leak', 1)));
          rw.keep(n, { inputs: currentInput(n), attrs: { sumbits: o.target.sumBits, overflow: o.target.overflow, scale: 1 / S[0], ...leakAttrs, ...(n.attrs.window !== undefined ? { window: n.attrs.window } : {}) }, type: { dtype: `i${o.target.sumBits}`, shape: n.type.shape } });
          break;
        }
        case 'avgpool2d':
          rw.keep(n, { op: 'sumpool2d', attrs: { kernel: n.attrs.kernel, strides: n.attrs.strides, pads: n.attrs.pads }, type: { dtype: 'i64', shape: n.type.shape } });
          break;
        case 'globalavgpool':
          rw.keep(n, { op: 'globalsumpool', attrs: {}, type: { dtype: 'i64', shape: n.type.shape } });
          break;
        case 'spikemaxpool':
        case 'delay':
          rw.keep(n, { type: { dtype: 'u1', shape: n.type.shape } });
          break;
        default:
          rw.keep(n, { type: { dtype: 'i64', shape: n.type.shape } });
      }
    }
    const fixed = tightenDtypes(rw.finish());

    // ---- report
    if (o.onReport) {
      const ranges = computeRanges(fixed);
      const fixedById = new Map(fixed.nodes.map((n) => [n.id, n]));
      for (const acc of accs) {
        const stat = report.get(acc.node.id) ?? { num: 0, den: 0, clipped: 0, total: 0 };
        const node = fixedById.get(acc.node.id)!;
        const cur = ranges.get(node.inputs[0].id)!;
        const curMax = Math.max(Math.abs(cur.min), Math.abs(cur.max), 1);
        const S = acc.scale!;
        const accBits = node.op === 'if' ? o.target.accBits : o.target.sumBits;
        const thq = node.op === 'if' ? attrVector(node, 'threshold', fixed.consts)! : undefined;
        const entry: LayerReport = {
          id: acc.node.id,
          op: acc.node.op,
          weightError: stat.den > 0 ? Math.sqrt(stat.num / stat.den) : 0,
          clipped: stat.total ? stat.clipped / stat.total : 0,
          weightBits: o.weightBits,
          scale: [Math.min(...S), Math.max(...S)],
          ...(thq ? { threshold: [Math.min(...thq), Math.max(...thq)] as [number, number] } : {}),
          accHeadroomBits: Math.log2((maxOf(accBits) + 1) / curMax),
          // an IF membrane stays below θ + one step's current; a TPP membrane sums every step of its accumulation
          ...(thq ? { vHeadroomBits: Math.log2((maxOf(o.target.vBits) + 1) / (Math.max(...thq) + curMax * (node.attrs.tpp !== undefined ? attrInt(node, 'window', 0) + g.steps! : 1))) } : {}),
        };
        o.onReport(entry);
      }
    }
    return fixed;
  },
};

const DATA_MOVEMENT = new Set(['flatten', 'reshape', 'maxpool2d', 'concat']);

/**
 * Give every computed integer value ('i64' placeholder) the narrowest of i8/i16/i32/i64 its
 * worst-case range allows; data movement (flatten, reshape, maxpool2d, concat) keeps the
 * dtype of its input.
 */
export function tightenDtypes(g: Graph): Graph {
  const ranges = computeRanges(g);
  const dtypes = new Map<string, string>();
  const nodes = g.nodes.map((n) => {
    let dtype = n.type.dtype;
    if (DATA_MOVEMENT.has(n.op)) dtype = dtypes.get(n.inputs[0].id) ?? dtype;
    else if (dtype === 'i64') {
      const r = ranges.get(n.id)!;
      const m = Math.max(Math.abs(r.min + 1), Math.abs(r.max));
      dtype = `i${[8, 16, 32, 64].find((b) => m <= 2 ** (b - 1) - 1) ?? 64}`;
    }
    dtypes.set(n.id, dtype);
    return dtype === n.type.dtype ? n : { ...n, type: { ...n.type, dtype } };
  });
  return { ...g, nodes };
}
