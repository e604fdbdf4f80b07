/**
 * ftbc (snn-float -> snn-float): forward temporal bias correction (Wu et al., ECCV 2024), the
 * forward-only calibration of its QCFS variant (../shared/docs/algorithms.md §6.3), on any base.
 *
 * For each hidden population ℓ in graph order (never the output layer), on each calibration
 * batch, with the biases found so far upstream in place:
 *
 *   a_i   = min(ANN activation of ℓ, A_c)               the value the SNN should emit per step
 *   X_i(t) = input current of ℓ in the SNN at step t    (t = 1..T, full forward runs)
 *   v_i = vinit θ_i;  for t = 1..T:
 *     m  = leak·v + X_i(t) + (shift + earlier tables)·θ_i
 *     s  = A_c [m >= θ_i];   e = s − a_i                 the step's error (output units)
 *     m' = m − e θ_i / A_c;  s' = [m' >= θ_i];  v = reset(m', s')   (the trajectory corrected per element)
 *     E[t][c] += e
 *   b[t][c] += α · E[t][c] / (samples · positions)      (after the batch)
 *
 * (A_c is the spike amplitude, θ_c unless set apart; with A = θ this is the paper's m' = m − e.)
 * As in the authors' code, layer ℓ's own bias is not applied while it is calibrated, so K batches
 * give b ≈ α·K·ē. At inference the bias is subtracted from the membrane at step t before the
 * comparison: b θ_i / A_c of membrane, stepbias[t][c] = −b[t][c] / A_c (stepbias is in units of
 * θ). The correction at step t depends only on steps ≤ t, so a table made for T answers every
 * T' ≤ T. Departure from the paper: the target is clipped at A (a plain ReLU's activation can
 * exceed what a neuron can emit per step; under QCFS it never does).
 */
import { SnncError } from '../../ir/diagnostics.js';
import { attrStr } from '../../ir/ops.js';
import { perNeuronValues } from '../../ir/neuron-params.js';
import { isLayerMajor } from '../../ir/tpp.js';
import type { Graph } from '../../ir/types.js';
import type { Images, SampleSource } from '../data/dataset.js';
import { annActivations, calibrationBatch, hiddenPopulations, observeBatch, stepBiasOf, stepBiasPlus, populationGeometry, withStepBias } from './layer-runs.js';
import type { Pass } from './pass.js';

export interface FtbcSettings {
  /** Step size of each batch's update (the paper's QCFS variant: 0.4). */
  readonly alpha: number;
  /** Calibration batches (the paper's QCFS variant: 3). */
  readonly batches: number;
  readonly batchSize: number;
  /**
   * Passes over the batches (default 1: the paper's QCFS variant). Passes after the first apply
   * the layer's own table while it is re-simulated, so the table moves toward the fixed point
   * where the mean error per step and channel is zero (the iterated update of variant (b)).
   */
  readonly iterations?: number;
}

export const FTBC_DEFAULTS: FtbcSettings = { alpha: 0.4, batches: 3, batchSize: 200 };

export interface FtbcOptions extends FtbcSettings {
  /** The ANN the network was converted from (after prepareAnn): the per-step targets. */
  readonly ann: Graph;
  /** Calibration samples in the ANN's input layout; batch k takes samples k·B .. k·B+B−1, cycling. */
  readonly calib: Images | SampleSource;
  readonly onProgress?: (samples: number) => void;
}

export const ftbc: Pass<FtbcOptions> = {
  name: 'ftbc',
  summary: 'snn-float -> snn-float: per-step, per-channel bias tables of the hidden populations (forward temporal bias correction)',
  from: 'snn-float',
  to: 'snn-float',
  run(g, o) {
    if (!(o.alpha > 0 && o.alpha <= 2)) throw new SnncError('SNN0504', `ftbc: alpha ${o.alpha} must be in (0, 2]`);
    if (!(Number.isInteger(o.batches) && o.batches >= 1 && Number.isInteger(o.batchSize) && o.batchSize >= 1)) throw new SnncError('SNN0504', `ftbc: batches (${o.batches}) and batch size (${o.batchSize}) must be positive integers`);
    if (o.calib.count === 0) throw new SnncError('SNN0504', 'ftbc needs calibration samples');
    const T = g.steps!;
    if (isLayerMajor(g)) throw new SnncError('SNN0504', 'ftbc corrects integrate-and-fire dynamics step by step; run it before tpp (a TPP network fires at random steps)');
    const layers = hiddenPopulations(g, o.ann);
    const tables = new Map<string, Float64Array>(); // b[t][c], absolute units
    const bases = new Map(layers.map((n) => [n.id, stepBiasOf(g, n)])); // tables of earlier passes (θ units)
    const iterations = o.iterations ?? 1;
    if (!(Number.isInteger(iterations) && iterations >= 1)) throw new SnncError('SNN0504', `ftbc: iterations (${iterations}) must be a positive integer`);
    let graph = g;
    for (let k = 0; k < o.batches * iterations; k++) {
      const own = k >= o.batches; // later passes: the layer's own table stays on while it is re-simulated
      const batch = calibrationBatch(o.calib, k, o.batchSize);
      const targets = annActivations(o.ann, batch, layers.map((n) => n.id));
      for (const layer of layers) {
        const { C, size, HW, theta, amplitude } = populationGeometry(graph, layer);
        const vinit = perNeuronValues(layer, 'vinit', graph.consts, 0);
        const leak = perNeuronValues(layer, 'leak', graph.consts, 1);
        const shift = perNeuronValues(layer, 'shift', graph.consts, 0);
        const base = bases.get(layer.id)!;
        const subtract = attrStr(layer, 'reset') === 'subtract';
        const a = targets.get(layer.id)!;
        const E = new Float64Array(T * C);
        const v = new Float64Array(size);
        const b = tables.get(layer.id) ?? new Float64Array(T * C);
        observeBatch(
          graph,
          batch,
          [layer.inputs[0].id],
          (s, t, [x]) => {
            const row = (t - 1) * C;
            for (let i = 0; i < size; i++) {
              const c = Math.floor(i / HW);
              const th = theta[i];
              const A = amplitude[c];
              // the layer's earlier tables (e.g. bias calibration) stay on; its FTBC table is being made
              let m = leak[i] * v[i] + x[i] + (shift[i] + base.at(t - 1, i, c)) * th;
              if (own) m -= b[row + c] * (th / A);
              const e = (m >= th ? A : 0) - Math.min(a[s * size + i], A);
              const m2 = m - e * (th / A); // th / A is exactly 1 when the spike carries θ
              v[i] = m2 >= th ? (subtract ? m2 - th : 0) : m2;
              E[row + c] += e;
            }
            if (t === T) o.onProgress?.(1);
          },
          {
            onSample: () => {
              for (let i = 0; i < size; i++) v[i] = vinit[i] * theta[i];
            },
          },
        );
        for (let r = 0; r < T * C; r++) b[r] += (o.alpha * E[r]) / (batch.count * HW);
        tables.set(layer.id, b);
        graph = withStepBias(graph, layer, stepBiasPlus(layer, base, (r, c) => -b[r * C + c] / amplitude[c]), 'ftbc');
      }
    }
    return { ...graph, meta: { ...graph.meta, 'ftbc.alpha': String(o.alpha), 'ftbc.batches': `${o.batches}x${Math.min(o.batchSize, o.calib.count)}` } };
  },
};
