/**
 * The compiler pipeline, top to bottom:
 *
 *   ONNX --import--> ann --canonicalize--> --fold-batchnorm--> --recognize-qcfs--> ann'
 *   ann' + calibration data --calibrate--> activation statistics --balance-thresholds--> θ per layer
 *   [method with K replicas] ann' --replicate-neurons(K)--> ann' with K copies of every activation (θ copied)
 *   ann' + θ --convert(T, method)--> snn-float
 *     then the method's steps, as data (snnSteps): [--dither-replicas--> copy j rounds at (2j+1)/2K]
 *     [--weight-calibration(ann', data)--> weights
 *     fitted to the ANN's pre-activations] [--snn-calibration(ann', data)--> bias or
 *     initial-membrane correction] [--ftbc(ann', data)--> per-step biases] [--tpp--> two-phase
 *     populations on the layer-major schedule] (the two calibrations after tpp when named after it)
 *   snn-float --quantize(target)--> snn-fixed --fold-temporal-bias--> snn-fixed (one bias table per layer)
 *   [target with synaptic delay 1] --insert-delays--> snn-fixed (a one-step delay after every population)
 *   snn-fixed --emit(target)--> C sources / memory image
 *
 * Every arrow except calibrate is a pass (src/passes/), verified after it runs.
 */
import { SnncError } from '../ir/diagnostics.js';
import type { Graph } from '../ir/types.js';
import type { TargetDesc } from '../targets/target.js';
import type { Images, SampleSource } from './data/dataset.js';
import type { Method } from './methods.js';
import { computeThresholds } from './passes/balance-thresholds.js';
import { canonicalize } from './passes/canonicalize.js';
import { collectActivations, type ActivationStats } from './passes/calibrate.js';
import { convert } from './passes/convert.js';
import { ftbc } from './passes/ftbc.js';
import { weightCalibration } from './passes/weight-calibration.js';
import { tpp } from './passes/tpp.js';
import { attrNum } from '../ir/ops.js';
import { SNN_CALIBRATION_BATCH, snnCalibration } from './passes/snn-calibration.js';
import { isNeuronSource } from './passes/activations.js';
import { foldBatchNorm } from './passes/fold-batchnorm.js';
import { runPass, type Pass } from './passes/pass.js';
import { recognizeQcfs } from './passes/recognize-qcfs.js';
import { foldTemporalBias } from './passes/fold-temporal-bias.js';
import { insertDelays } from './passes/insert-delays.js';
import { ditherReplicas, replicateNeurons, replicateThresholds } from './passes/replicate-neurons.js';
import type { AnnForward } from './exec/ort-forward.js';
import { quantize, type LayerReport, type WeightRounding } from './passes/quantize.js';
import { gptqRounding, inputGrams } from './passes/weight-rounding.js';
import { calibrationBatch } from './passes/layer-runs.js';
import { HEADROOM_SAMPLES, measureHeadroom, mayOverflow } from './passes/measured-headroom.js';
import { integerSamples, type IntSamples } from './data/integer.js';

/** ann -> ann ready for conversion. */
export function prepareAnn(g: Graph): Graph {
  let x = runPass(canonicalize, g, undefined);
  x = runPass(foldBatchNorm, x, undefined);
  x = runPass(recognizeQcfs, x, undefined);
  return x;
}

/** Activation statistics of the ann on the calibration data; `forward` picks the forward pass (ort-forward.ts). */
export function calibrate(ann: Graph, calib: Images | SampleSource, threads: number, onProgress?: (n: number) => void, forward: AnnForward = 'auto'): Promise<ActivationStats> {
  return collectActivations(ann, calib, threads, onProgress, { forward });
}

/**
 * The passes a method runs after `convert`, in order, as data. A `calibration` step reads the
 * calibration data (and the ANN, its per-layer targets); `work` is how many sample runs it makes,
 * for progress bars. Thresholds come before convert (they read statistics, not samples).
 */
export type SnnStep =
  | { readonly kind: 'transform'; readonly name: string; run(snn: Graph): Graph }
  | { readonly kind: 'calibration'; readonly name: string; work(ann: Graph, calib: Images | SampleSource): number; run(snn: Graph, calib: Images | SampleSource, onProgress?: (samples: number) => void): Graph };

/** What every data-reading pass takes besides its own options. */
interface DataPassOptions {
  readonly calib: Images | SampleSource;
  readonly onProgress?: (samples: number) => void;
}

/** The method's steps after convert: the replicas' rounding points, weight calibration, SNN Calibration, FTBC, TPP (whichever it names; the calibrations last when they measure the TPP network). `ann`: the network converted (replicated when the method is). `baseStart`: each population's v(0) as converted. */
export function snnSteps(method: Method, ann: Graph, baseStart: ReadonlyMap<string, number>): SnnStep[] {
  const layers = (): number => ann.nodes.filter(isNeuronSource).length;
  const steps: SnnStep[] = [];
  /** A step that runs `pass` on the calibration data, `samples(calib)` sample runs per layer. */
  const reading = <O extends DataPassOptions>(pass: Pass<O>, samples: (calib: Images | SampleSource) => number, options: Omit<O, keyof DataPassOptions>): SnnStep => ({
    kind: 'calibration',
    name: pass.name,
    work: (_, calib) => samples(calib) * layers(),
    run: (snn, calib, onProgress) => runPass(pass, snn, { ...options, calib, ...(onProgress ? { onProgress } : {}) } as O),
  });
  const level = method.calibration;
  const calibration = (): void => {
    if (level) steps.push(reading(snnCalibration, (calib) => Math.min(SNN_CALIBRATION_BATCH, calib.count), { level, ann, batchSize: SNN_CALIBRATION_BATCH }));
  };
  const wc = method.weightCalibration;
  const weights = (): void => {
    if (wc) steps.push(reading(weightCalibration, (calib) => Math.min(wc.samples, calib.count), { ...wc, ann }));
  };
  const t = method.tpp;
  const tppStep = (): void => {
    if (t) steps.push({ kind: 'transform', name: tpp.name, run: (snn) => runPass(tpp, snn, { ...t, baseStart }) });
  };
  const K = method.replicas ?? 1;
  if (K > 1) {
    const populations = new Set(ann.nodes.filter(isNeuronSource).map((n) => n.id));
    steps.push({ kind: 'transform', name: ditherReplicas.name, run: (snn) => runPass(ditherReplicas, snn, { copies: K, populations }) });
  }
  if (!method.weightCalibrationOnTpp) weights();
  if (!method.calibrationOnTpp) calibration();
  const f = method.ftbc;
  if (f) steps.push(reading(ftbc, (calib) => f.batches * (f.iterations ?? 1) * Math.min(f.batchSize, calib.count), { ...f, ann }));
  tppStep();
  // weight and SNN Calibration of the TPP network: its rates over the layer-major schedule
  if (method.weightCalibrationOnTpp) weights();
  if (method.calibrationOnTpp) calibration();
  return steps;
}

/**
 * ann' + statistics -> snn-float with T steps, then the method's steps (snnSteps); a calibration
 * step reads `calib`. `progress(total)` makes the progress callback of the data-reading steps,
 * asked only when there are any (total: their sample runs). With K replicas the thresholds are
 * chosen for K·T levels on the original activations and copied to the replicated network, which
 * every later step (and its calibration targets) works on.
 */
export function toSnn(original: Graph, stats: ActivationStats, method: Method, steps: number, calib?: Images | SampleSource, progress?: (total: number) => (samples: number) => void): Graph {
  const K = method.replicas ?? 1;
  const chosen = computeThresholds(stats, method.threshold, steps * K);
  const ann = K > 1 ? runPass(replicateNeurons, original, { copies: K }) : original;
  const thresholds = K > 1 ? replicateThresholds(chosen, original, K) : chosen;
  let snn = runPass(convert, ann, { ...method, steps, thresholds });
  const baseStart = new Map(snn.nodes.filter((n) => n.op === 'if').map((n) => [n.id, attrNum(n, 'vinit', 0)]));
  const plan = snnSteps(method, ann, baseStart);
  const reading = plan.filter((s) => s.kind === 'calibration');
  if (reading.length && !calib) throw new SnncError('SNN0504', `method ${method.name} calibrates on data (${reading.map((s) => s.name).join(', ')}) and needs the calibration data`);
  const onProgress = reading.length && calib ? progress?.(reading.reduce((n, s) => n + s.work(ann, calib), 0)) : undefined;
  for (const step of plan) snn = step.kind === 'transform' ? step.run(snn) : step.run(snn, calib!, onProgress);
  return snn;
}

/** How quantize rounds weights to integers: to the nearest, or by GPTQ on calibration data (passes/weight-rounding.ts). */
export type WeightRoundingRule = 'nearest' | 'gptq';

/** How quantize rounds a population's threshold and additive terms: each alone, or exact θ and running sums (quantize.ts). */
export type NeuronRoundingRule = 'step' | 'running';

/** Calibration samples GPTQ measures each projection's input on (at most). */
export const GPTQ_SAMPLES = 256;

export interface FixedOptions {
  readonly weightBits?: number;
  readonly granularity?: 'channel' | 'tensor';
  readonly inputScale: number;
  readonly weightClip?: number;
  readonly weightRounding?: WeightRoundingRule;
  /** How θ and the additive terms are rounded (quantize.ts); step when absent. */
  readonly neuronRounding?: NeuronRoundingRule;
  /** The calibration data (gptq and the measured headroom read their first 256 samples). */
  readonly calib?: Images | SampleSource;
  /** Progress of a measuring run on calibration data when one is made ('headroom', 'gptq'), in samples. */
  readonly progress?: (phase: 'headroom' | 'gptq', total: number) => (samples: number) => void;
  readonly onReport?: (r: LayerReport) => void;
}

/**
 * snn-float -> snn-fixed for a target: quantize, fold every additive term into bias tables, and
 * for a target whose synapses deliver at the next step, insert that delay after every population.
 * With calibration data, where the worst case says a current or a readout sum can overflow its
 * register, the network lowered at the static scales runs on calibration samples and the scales
 * are lowered where they overflowed (passes/measured-headroom.ts). With gptq rounding, the
 * network is lowered with nearest rounding, run on calibration samples to measure each
 * projection's integer input, and lowered again with those weights rounded by GPTQ (the scales,
 * thresholds and biases are the same both times).
 */
export function toFixed(snn: Graph, target: TargetDesc, o: FixedOptions): Graph {
  const weightBits = o.weightBits ?? target.weightBits.default;
  if (weightBits < target.weightBits.min || weightBits > target.weightBits.max) {
    throw new SnncError('SNN0201', `target ${target.name} supports ${target.weightBits.min}- to ${target.weightBits.max}-bit weights, asked for ${weightBits}`);
  }
  const gptq = (o.weightRounding ?? 'nearest') === 'gptq';
  if (gptq && !o.calib) throw new SnncError('SNN0504', 'gptq weight rounding measures the network on calibration data, and there are none (an ANN is compiled with --calib; a spiking model from NIR, as it is, has none: use --weight-rounding nearest)');
  const lower = (scaleFactors?: ReadonlyMap<string, Float64Array>, rounding?: WeightRounding): { graph: Graph; reports: LayerReport[] } => {
    const reports: LayerReport[] = [];
    const fixed = runPass(quantize, snn, {
      target,
      weightBits,
      granularity: o.granularity ?? target.weightGranularity,
      inputScale: o.inputScale,
      weightClip: o.weightClip ?? 100,
      ...(o.neuronRounding ? { neuronRounding: o.neuronRounding } : {}),
      ...(o.onReport ? { onReport: (r: LayerReport) => reports.push(r) } : {}),
      ...(scaleFactors ? { scaleFactors } : {}),
      ...(rounding ? { rounding } : {}),
    });
    const folded = runPass(foldTemporalBias, fixed, { biasBits: target.biasBits });
    return { graph: target.synapticDelay === 1 ? runPass(insertDelays, folded, undefined) : folded, reports };
  };
  const calibSamples = (g: Graph, phase: 'headroom' | 'gptq'): { samples: IntSamples; progress?: (n: number) => void } => {
    const samples = integerSamples(g, calibrationBatch(o.calib!, 0, phase === 'gptq' ? GPTQ_SAMPLES : HEADROOM_SAMPLES));
    return { samples, ...(o.progress ? { progress: o.progress(phase, samples.count) } : {}) };
  };
  let nearest = lower();
  let factors: Map<string, Float64Array> | undefined;
  let measured: Map<string, number> | undefined;
  if (o.calib && mayOverflow(nearest.graph).length) {
    const { samples, progress } = calibSamples(nearest.graph, 'headroom');
    const headroom = measureHeadroom(nearest.graph, samples, progress);
    measured = headroom.bits;
    if (headroom.factors.size) {
      factors = headroom.factors;
      nearest = lower(factors);
    }
  }
  let result = nearest;
  if (gptq) {
    const { samples, progress } = calibSamples(nearest.graph, 'gptq');
    result = lower(factors, gptqRounding(inputGrams(nearest.graph, samples, progress)));
  }
  for (const r of result.reports) o.onReport!(measured?.has(r.id) ? { ...r, measuredHeadroomBits: measured.get(r.id)! } : r);
  return result.graph;
}
