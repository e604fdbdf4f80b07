/**
 * quantize (snn-float -> snn-fixed), driven by a target description.
 *
 * Every value becomes an integer, in three steps, each in its own file:
 *  1. quantize-currents.ts: what every event value is worth (a spike of P: A_P,c; a k×k average
 *     pool's count: a/k²; the input: its scale), and which accumulator (IF population or readout)
 *     each current feeds;
 *  2. quantize-scales.ts: one integer scale S_o per accumulator output channel, its membrane LSB
 *     1/S_o, the largest at which the weights, 2θ and the biases fit their registers;
 *  3. here: every projection that feeds an accumulator (through adds) gets
 *
 *       w_q[o, i] = round(W[o, i] · a_in(i) · S_o)      (the input's amplitude folded into the weights)
 *       b_q[o]    = round(b[o] · S_o)
 *
 *     (or the data-aware WeightRounding the pipeline passes), an identity shortcut into an add
 *     becomes mul(events, round(a · S)), an average pool a sum pool, and each population the
 *     constants of quantize-neurons.ts (θ_q = round(θ S), vinit / shift / stepbias in units of θ_q).
 *
 * Nothing is rescaled at run time: the integer network is exact arithmetic on these numbers.
 * Value dtypes are the narrowest of i8/i16/i32/i64 that the worst-case interval analysis allows.
 * The report gives, per accumulator, the weight quantisation error (relative RMS), the fraction
 * of clipped weights, and the worst-case headroom of the accumulator and the membrane in bits
 * (negative headroom: the value can overflow; it is then saturated or wrapped and counted).
 */
import { computeRanges } from '../../ir/fixed-ranges.js';
import { maxOf, roundHalfAway } from '../../ir/fixed-arith.js';
import { attrInt, attrNum, attrVector } from '../../ir/ops.js';
import { whereOf } from '../../ir/verify.js';
import { SnncError } from '../../ir/diagnostics.js';
import type { AttrValue, Graph, Node, Ref } from '../../ir/types.js';
import type { TargetDesc } from '../../targets/target.js';
import type { Pass } from './pass.js';
import { effectiveWeights, isCurrent, traceCurrents, type Accumulator } from './quantize-currents.js';
import { integerLeak, integerNeuron, type ConstSink } from './quantize-neurons.js';
import { chooseScales } from './quantize-scales.js';
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
  /** Per accumulator id, factors ≤ 1 of each channel's scale, measured on data (measured-headroom.ts). */
  readonly scaleFactors?: ReadonlyMap<string, Float64Array>;
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
  /** The smallest factor its scales were lowered by because calibration data overflowed a register (measured-headroom.ts). */
  readonly measuredFactor?: number;
  /** When measured: log2(register / the calibration data's peak current or sum) at its final scales (measured-headroom.ts). */
  readonly measuredHeadroomBits?: number;
}

/** Integer dtype of a constant holding `values`: the narrowest of i8/i16/i24/i32 (at least `bits`). */
function intDtype(values: ArrayLike<number>, bits = 8): string {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, values[i] < 0 ? -values[i] - 1 : values[i]);
  let b = Math.max(bits, Math.ceil(Math.log2(m + 1)) + 1);
  b = b <= 8 ? 8 : b <= 16 ? 16 : b <= 24 ? 24 : 32;
  return `i${b}`;
}

export const quantize: Pass<QuantizeOptions> = {
  name: 'quantize',
  summary: 'snn-float -> snn-fixed: integer weights, thresholds and biases for a target',
  from: 'snn-float',
  to: 'snn-fixed',
  run(g, o) {
    const byId = new Map(g.nodes.map((n) => [n.id, n]));
    const wmax = maxOf(o.weightBits);
    const bmax = maxOf(o.target.biasBits);
    const currents = traceCurrents(g, o.inputScale);
    const { amp, accs, accOf, accByNode } = currents;
    chooseScales(g, currents, { weightBits: o.weightBits, vBits: o.target.vBits, biasBits: o.target.biasBits, weightClip: o.weightClip, granularity: o.granularity, wholeThresholds: o.neuronRounding === 'running', ...(o.scaleFactors ? { factors: o.scaleFactors } : {}) });

    // ---- the integer nodes
    const rw = new Rewriter(g, 'snn-fixed', g.steps);
    const report = new Map<string, WeightStat>();
    const sink: ConstSink = {
      int: (hint, shape, values, minBits = 8) => {
        const data = Int32Array.from(values);
        return { kind: 'const', id: rw.b.constant(hint, { dtype: intDtype(data, minBits), shape: [...shape] }, data) };
      },
      param: (hint, values) => {
        const first = values[0];
        if (values.every((v) => v === first)) return first;
        return { const: (sink.int(hint, [values.length], values, 8) as { id: string }).id };
      },
    };
    /** Events worth a_c per unit, as a current in the accumulator's units: mul(events, round(a S)). */
    const eventsAsCurrent = (r: Ref, acc: Accumulator): Ref => {
      const leaf = byId.get(r.id)!;
      const k = Float64Array.from(amp.get(leaf.id)!, (a, c) => roundHalfAway(a * acc.scale![c]));
      if (k.some((v) => Math.abs(v) > wmax)) throw new Error(`internal: shortcut weight exceeds ${o.weightBits} bits`);
      const shape = leaf.type.shape.length === 4 ? [k.length, 1, 1] : [k.length];
      const hint = `${leaf.id}_to_${acc.node.id}`;
      const m = rw.b.node(hint, 'mul', [r, sink.int(`${hint}.k`, shape, k, o.weightBits)], {}, { dtype: 'i64', shape: leaf.type.shape }, leaf.loc);
      return { kind: 'value', id: m.id };
    };
    /** A conv or dense layer's operands in integers at its accumulator's scales (its weight error counted for the report). */
    const integerProjection = (n: Node, acc: Accumulator): Ref[] => {
      const S = acc.scale!;
      const e = effectiveWeights(g, n, amp);
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
      const inputs: Ref[] = [n.inputs[0], { kind: 'const', id: rw.b.constant(`${n.id}.wq`, { dtype: `i${o.weightBits}`, shape: [...wShape] }, wq) }];
      if (n.inputs[2]) {
        const b = g.consts.get(n.inputs[2].id)!.data as Float32Array;
        const bq = Float64Array.from(b, (v, c) => roundHalfAway(v * S[c]));
        if (bq.some((v) => Math.abs(v) > bmax)) throw new SnncError('SNN0203', `bias does not fit ${o.target.biasBits} bits`, whereOf(n));
        inputs.push(sink.int(`${n.id}.bq`, [b.length], bq, 8));
      }
      return inputs;
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
          rw.keep(n, { inputs: integerProjection(n, acc), type: { dtype: 'i64', shape: n.type.shape } });
          break;
        }
        case 'synapse': {
          const acc = accOf.get(n.id);
          if (!acc) throw new SnncError('SNN0202', `the synaptic current %${n.id} feeds no neuron or readout`, where);
          const decay = attrNum(n, 'decay');
          const input = amp.has(n.inputs[0].id) ? eventsAsCurrent(n.inputs[0], acc) : n.inputs[0];
          const attrs: Record<string, AttrValue> = { ibits: o.target.accBits, overflow: o.target.overflow, ...integerLeak(sink, n.id, Float64Array.of(decay), o.target.leakRounding) };
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
        case 'if':
          rw.keep(n, { inputs: currentInput(n), attrs: integerNeuron(g, n, accByNode.get(n.id)!, sink, o), type: { dtype: 'u1', shape: n.type.shape } });
          break;
        case 'readout': {
          const S = accByNode.get(n.id)!.scale!;
          const leakAttrs = integerLeak(sink, n.id, Float64Array.of(attrNum(n, 'leak', 1)), o.target.leakRounding);
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

    if (o.onReport) for (const r of layerReports(fixed, accs, report, o)) o.onReport(r);
    return fixed;
  },
};

/** Squared weight error over squared weights, and clipped weights over all, of one accumulator's projections. */
interface WeightStat {
  num: number;
  den: number;
  clipped: number;
  total: number;
}

/** Per accumulator: its weight error and clipping, scales, thresholds, and worst-case headroom of its registers. */
function layerReports(fixed: Graph, accs: readonly Accumulator[], stats: ReadonlyMap<string, WeightStat>, o: QuantizeOptions): LayerReport[] {
  const ranges = computeRanges(fixed);
  const fixedById = new Map(fixed.nodes.map((n) => [n.id, n]));
  return accs.map((acc) => {
    const stat = stats.get(acc.node.id) ?? { num: 0, den: 0, clipped: 0, total: 0 };
    const node = fixedById.get(acc.node.id)!;
    const cur = ranges.get(node.inputs[0].id)!;
    const curMax = Math.max(Math.abs(cur.min), Math.abs(cur.max), 1);
    const S = acc.scale!;
    const accBits = node.op === 'if' ? o.target.accBits : o.target.sumBits;
    const thq = node.op === 'if' ? attrVector(node, 'threshold', fixed.consts)! : undefined;
    const factors = o.scaleFactors?.get(acc.node.id);
    return {
      id: acc.node.id,
      op: acc.node.op,
      weightError: stat.den > 0 ? Math.sqrt(stat.num / stat.den) : 0,
      clipped: stat.total ? stat.clipped / stat.total : 0,
      weightBits: o.weightBits,
      scale: [Math.min(...S), Math.max(...S)],
      ...(thq ? { threshold: [Math.min(...thq), Math.max(...thq)] as [number, number] } : {}),
      accHeadroomBits: Math.log2((maxOf(accBits) + 1) / curMax),
      // an IF membrane stays below θ + one step's current; a TPP membrane sums every step of its accumulation
      ...(thq ? { vHeadroomBits: Math.log2((maxOf(o.target.vBits) + 1) / (Math.max(...thq) + curMax * (node.attrs.tpp !== undefined ? attrInt(node, 'window', 0) + fixed.steps! : 1))) } : {}),
      ...(factors ? { measuredFactor: Math.min(...factors) } : {}),
    };
  });
}

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
