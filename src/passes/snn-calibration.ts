/**
 * snn-calibration (snn-float -> snn-float): the forward-only parameter calibration of Li et al.
 * (ICML 2021; ../shared/docs/algorithms.md §5.4–5.5), layer by layer in graph order on one batch,
 * each layer seeing the corrections already made upstream. For hidden population ℓ with ANN
 * activations a and SNN output rates r_i = (1/T) Σ_t A_c s_i(t) (A_c the spike amplitude, θ_c
 * unless set apart; a charge q of output is q θ_i / A_c of membrane, q / A_c in θ units):
 *
 *   light (bias calibration, BC):      Δ_c = mean_{N,HW} r − mean_{N,HW} a
 *                                      every step's bias of channel c falls by Δ_c
 *                                      (stepbias[t][c] −= Δ_c / A_c, all t)
 *   advanced (potential calibration):  v_i(0) += T · (mean_N a_i − mean_N r_i)  per neuron
 *                                      (vinit_i += T (a_i − r_i) / A_c in θ units)
 *                                      (the charge the neuron lacked over T steps; the paper's base
 *                                      starts at v = 0, where "replace" and "add" agree — ours may
 *                                      start at θ/2, which the measured r already includes)
 *
 * As in the authors' code the ANN target is not clipped at θ, and the output layer is not
 * calibrated. BC as a per-step table composes with FTBC (which adds its own table on top);
 * PC makes the network depend on T (v(0) scales with T).
 */
import { SnncError } from '../../ir/diagnostics.js';
import { attrVector } from '../../ir/ops.js';
import { paramAt } from '../../ir/neuron-params.js';
import { runSteps } from '../../ir/tpp.js';
import type { Graph } from '../../ir/types.js';
import type { Images, SampleSource } from '../data/dataset.js';
import { annActivations, calibrationBatch, hiddenPopulations, observeBatch, stepBiasOf, stepBiasPlus, populationGeometry, withStepBias } from './layer-runs.js';
import type { Pass } from './pass.js';

export type CalibrationLevel = 'light' | 'advanced';

export interface SnnCalibrationOptions {
  readonly level: CalibrationLevel;
  readonly ann: Graph;
  readonly calib: Images | SampleSource;
  /** Samples of the one calibration batch (the paper: 128). */
  readonly batchSize: number;
  readonly onProgress?: (samples: number) => void;
}

export const SNN_CALIBRATION_BATCH = 128;

export const snnCalibration: Pass<SnnCalibrationOptions> = {
  name: 'snn-calibration',
  summary: 'snn-float -> snn-float: bias (light) or initial-membrane (advanced) calibration of the hidden populations',
  from: 'snn-float',
  to: 'snn-float',
  run(g, o) {
    if (o.calib.count === 0) throw new SnncError('SNN0504', 'snn-calibration needs calibration samples');
    const T = g.steps!;
    const last = runSteps(g); // a TPP network's spikes of T steps spread over its schedule
    const layers = hiddenPopulations(g, o.ann);
    const batch = calibrationBatch(o.calib, 0, o.batchSize);
    const targets = annActivations(o.ann, batch, layers.map((n) => n.id));
    let graph = g;
    for (const layer of layers) {
      const { C, size, HW, amplitude } = populationGeometry(graph, layer);
      const a = targets.get(layer.id)!;
      const rate = new Float64Array(size); // Σ over samples and steps of the output, per neuron
      observeBatch(graph, batch, [layer.id], (_s, t, [out]) => {
        for (let i = 0; i < size; i++) rate[i] += out[i];
        if (t === last) o.onProgress?.(1);
      });
      const meanA = new Float64Array(size);
      for (let s = 0; s < batch.count; s++) for (let i = 0; i < size; i++) meanA[i] += a[s * size + i] / batch.count;
      const meanR = Float64Array.from(rate, (x) => x / (batch.count * T));
      if (o.level === 'light') {
        const delta = new Float64Array(C);
        for (let i = 0; i < size; i++) delta[Math.floor(i / HW)] += (meanR[i] - meanA[i]) / HW;
        graph = withStepBias(graph, layer, stepBiasPlus(layer, stepBiasOf(graph, layer), (_r, c) => -delta[c] / amplitude[c]), 'bc');
      } else {
        const id = `${layer.id}.pc`;
        const v0 = attrVector(layer, 'vinit', graph.consts, 0)!;
        const data = Float32Array.from(meanA, (x, i) => {
          const c = Math.floor(i / HW);
          return paramAt(v0, i, c, size) + (T * (x - meanR[i])) / amplitude[c];
        });
        const consts = new Map(graph.consts);
        consts.set(id, { id, type: { dtype: 'f32', shape: [size] }, data });
        graph = { ...graph, consts, nodes: graph.nodes.map((m) => (m.id === layer.id ? { ...m, attrs: { ...m.attrs, vinit: { const: id } } } : m)) };
      }
    }
    return { ...graph, meta: { ...graph.meta, 'snn-calibration': `${o.level}, ${batch.count} samples` } };
  },
};
