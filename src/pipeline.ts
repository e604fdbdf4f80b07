/**
 * The compiler pipeline, top to bottom:
 *
 *   ONNX --import--> ann --canonicalize--> --fold-batchnorm--> --recognize-qcfs--> ann'
 *   ann' + calibration data --calibrate--> activation statistics --balance-thresholds--> θ per layer
 *   ann' + θ --convert(T, method)--> snn-float
 *     [--snn-calibration(ann', data)--> bias or initial-membrane correction] [--ftbc(ann', data)--> per-step biases]
 *     [--tpp--> two-phase probabilistic populations on the layer-major schedule]
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
import { tpp } from './passes/tpp.js';
import { attrNum } from '../ir/ops.js';
import { SNN_CALIBRATION_BATCH, snnCalibration } from './passes/snn-calibration.js';
import { isNeuronSource } from './passes/activations.js';
import { foldBatchNorm } from './passes/fold-batchnorm.js';
import { runPass } from './passes/pass.js';
import { recognizeQcfs } from './passes/recognize-qcfs.js';
import { foldTemporalBias } from './passes/fold-temporal-bias.js';
import { insertDelays } from './passes/insert-delays.js';
import type { AnnForward } from './exec/ort-forward.js';
import { quantize, type LayerReport } from './passes/quantize.js';

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

/** ann' + statistics -> snn-float with T steps; a method with FTBC also reads the calibration data. */
export function toSnn(ann: Graph, stats: ActivationStats, method: Method, steps: number, calib?: Images | SampleSource, onProgress?: (samples: number) => void): Graph {
  const thresholds = computeThresholds(stats, method.threshold, steps);
  let snn = runPass(convert, ann, { ...method, steps, thresholds });
  const baseStart = new Map(snn.nodes.filter((n) => n.op === 'if').map((n) => [n.id, attrNum(n, 'vinit', 0)]));
  if (method.ftbc || method.calibration) {
    if (!calib) throw new SnncError('SNN0504', `method ${method.name} calibrates on data (SNN Calibration, FTBC) and needs the calibration data`);
    const progress = onProgress ? { onProgress } : {};
    if (method.calibration) snn = runPass(snnCalibration, snn, { level: method.calibration, ann, calib, batchSize: SNN_CALIBRATION_BATCH, ...progress });
    if (method.ftbc) snn = runPass(ftbc, snn, { ...method.ftbc, ann, calib, ...progress });
  }
  return method.tpp ? runPass(tpp, snn, { ...method.tpp, baseStart }) : snn;
}

/** Sample runs the data-reading calibration passes make (for progress bars). */
export function calibrationWork(ann: Graph, method: Method, calib: Images | SampleSource): number {
  const layers = ann.nodes.filter(isNeuronSource).length;
  const calibration = method.calibration ? Math.min(SNN_CALIBRATION_BATCH, calib.count) * layers : 0;
  const temporal = method.ftbc ? method.ftbc.batches * Math.min(method.ftbc.batchSize, calib.count) * layers : 0;
  return calibration + temporal;
}

/**
 * snn-float -> snn-fixed for a target: quantize, fold every additive term into bias tables, and
 * for a target whose synapses deliver at the next step, insert that delay after every population.
 */
export function toFixed(snn: Graph, target: TargetDesc, o: { weightBits?: number; granularity?: 'channel' | 'tensor'; inputScale: number; weightClip?: number; onReport?: (r: LayerReport) => void }): Graph {
  const weightBits = o.weightBits ?? target.weightBits.default;
  if (weightBits < target.weightBits.min || weightBits > target.weightBits.max) {
    throw new SnncError('SNN0201', `target ${target.name} supports ${target.weightBits.min}- to ${target.weightBits.max}-bit weights, asked for ${weightBits}`);
  }
  const fixed = runPass(quantize, snn, {
    target,
    weightBits,
    granularity: o.granularity ?? target.weightGranularity,
    inputScale: o.inputScale,
    weightClip: o.weightClip ?? 100,
    ...(o.onReport ? { onReport: o.onReport } : {}),
  });
  const folded = runPass(foldTemporalBias, fixed, { biasBits: target.biasBits });
  return target.synapticDelay === 1 ? runPass(insertDelays, folded, undefined) : folded;
}
