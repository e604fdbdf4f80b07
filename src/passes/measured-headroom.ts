/**
 * Measured headroom: scales lowered where calibration data would overflow a register.
 *
 * quantize picks each accumulator's scale S_c from the weights, 2θ and the biases alone
 * (quantize-scales.ts); nothing there bounds the current a step delivers (the synaptic
 * accumulator, accbits) or the readout's running sum over the steps (sumbits), because their
 * worst case — every input at its largest, every weight's sign agreeing — is far above what data
 * reach. On a narrow target (a 16-bit core) a first layer fed 8-bit pixels exceeds its accumulator
 * on real images, and a saturated current or logit sum is a different network. So, when the
 * worst-case interval analysis says an accumulator or a readout sum can overflow, the network
 * lowered at the static scales runs on calibration samples with registers too wide to narrow
 * (ir/wide-registers.ts), and for every accumulator channel c
 *
 *   f_c = min(1, register max / (MARGIN · peak_c)),   peak_c = the largest |value| it held
 *
 * over the steps: a population's accumulator (the current a step delivers), a readout's running
 * sum. quantize multiplies S_c by
 * f_c: the measured peak then fills at most 1/MARGIN of the register, one bit left for data beyond
 * the calibration set (what still saturates is counted and its effect reported, SNN0206). The IF
 * membrane is not measured: its static bound (2θ, (T + 1)θ for TPP) holds every value that can
 * still change a spike, and an IF membrane above it only means a neuron firing at every step.
 */
import { computeRanges } from '../../ir/fixed-ranges.js';
import { maxOf } from '../../ir/fixed-arith.js';
import { FixedInterpreter } from '../../ir/interp-fixed.js';
import { attrInt, attrVector } from '../../ir/ops.js';
import { runSteps } from '../../ir/tpp.js';
import type { Graph, Node } from '../../ir/types.js';
import { withWideRegisters } from '../../ir/wide-registers.js';
import type { IntSamples } from '../data/integer.js';

/** Calibration samples the peaks are measured on (at most). */
export const HEADROOM_SAMPLES = 256;
/** The measured peak fills at most 1/MARGIN of its register. */
export const HEADROOM_MARGIN = 2;

/** Accumulators (IF populations, readouts) whose current or running sum can overflow in the worst case. */
export function mayOverflow(fixed: Graph): Node[] {
  const ranges = computeRanges(fixed);
  const steps = runSteps(fixed);
  return fixed.nodes.filter((n) => {
    if (n.op !== 'if' && n.op !== 'readout') return false;
    const cur = ranges.get(n.inputs[0].id)!;
    const peak = Math.max(Math.abs(cur.min), Math.abs(cur.max));
    if (n.op === 'if') return peak > maxOf(attrInt(n, 'accbits'));
    // the running sum of every step's current and bias
    const bias = attrVector(n, 'bias', fixed.consts, 0)!.reduce((m, b) => Math.max(m, Math.abs(b)), 0);
    return steps * (peak + bias) > maxOf(attrInt(n, 'sumbits'));
  });
}

export interface MeasuredHeadroom {
  /** Per accumulator that needs it, the factor f_c ≤ 1 of each output channel's scale (absent: 1). */
  readonly factors: Map<string, Float64Array>;
  /** Per accumulator measured, log2(register max / its peak) at the lowered scales: the bits to spare on the calibration data. */
  readonly bits: Map<string, number>;
}

/** The measured peaks of every accumulator that can overflow in the worst case, and the factors that give them the margin. */
export function measureHeadroom(fixed: Graph, samples: IntSamples, onProgress?: (samples: number) => void): MeasuredHeadroom {
  const watched = mayOverflow(fixed);
  const factors = new Map<string, Float64Array>();
  const bits = new Map<string, number>();
  if (!watched.length) return { factors, bits };
  const interp = new FixedInterpreter(withWideRegisters(fixed));
  const bufs = interp.engine.plan.bufs;
  // the register each watched unit narrows: a population's accumulator holds its input current,
  // a readout's running sum its own value
  const probes = watched.map((n) => {
    const population = n.op === 'if';
    return { node: n, C: n.type.shape[1], held: bufs.get(population ? n.inputs[0].id : n.id)!, max: maxOf(attrInt(n, population ? 'accbits' : 'sumbits')), peaks: new Float64Array(n.type.shape[1]) };
  });
  const channelPeaks = (data: ArrayLike<number>, C: number, peaks: Float64Array): void => {
    // storage order is HWC (or one value per feature): the channel of element i is i mod C
    for (let i = 0; i < data.length; i++) {
      const a = Math.abs(data[i]);
      const c = i % C;
      if (a > peaks[c]) peaks[c] = a;
    }
  };
  for (let s = 0; s < samples.count; s++) {
    interp.run(samples.data, s * samples.size, () => {
      for (const p of probes) channelPeaks(p.held.store.data, p.C, p.peaks);
    });
    onProgress?.(1);
  }
  for (const { node, C, max, peaks } of probes) {
    const f = Float64Array.from(peaks, (peak) => (peak > 0 ? Math.min(1, max / (HEADROOM_MARGIN * peak)) : 1));
    // the peaks scale with S: at the lowered scales each is peak_c · f_c
    let spare = Infinity;
    for (let c = 0; c < C; c++) if (peaks[c] > 0) spare = Math.min(spare, Math.log2(max / (peaks[c] * f[c])));
    if (Number.isFinite(spare)) bits.set(node.id, spare);
    if (f.some((x) => x < 1)) factors.set(node.id, f);
  }
  return { factors, bits };
}
