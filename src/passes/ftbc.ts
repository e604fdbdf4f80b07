/**
 * ftbc (snn-float -> snn-float): forward temporal bias correction (Wu et al., ECCV 2024), forward
 * only, on any base. Two update rules, the authors' two codes (../shared/docs/algorithms.md §6.3,
 * §6.4). For each hidden population ℓ in graph order (never the output layer), on each
 * calibration batch, with the tables found so far upstream in place:
 *
 *   a_i    = min(ANN activation of ℓ, A_c)              the value the SNN should emit per step
 *   X_i(t) = input current of ℓ in the SNN at step t    (t = 1..T, runs of ℓ's ancestors)
 *   m_i(t) = leak·v_i + X_i(t) + (shift + earlier tables)·θ_i [− b[t][c] θ_i / A_c if own table on]
 *
 * `batch` (the QCFS variant (a), default): per element, s = A_c [m >= θ_i], e = s − a_i; the
 * trajectory is corrected per element, m' = m − e θ_i / A_c, v = reset(m', [m' >= θ_i]); E[t][c]
 * += e; after the batch b[t][c] += α · E[t][c] / (samples · positions). As in the authors' code
 * the layer's own table is off while it is calibrated, so K batches give b ≈ α·K·ē; passes after
 * the first (`iterations`) keep it on and move toward the fixed point.
 *
 * `step` (the SNN Calibration variant (b)): the own table is always on; at each step t, over the
 * whole batch, e_c = mean(A_c [m >= θ_i]) − mean(a_i), b[t][c] += α e_c at once, and the step is
 * redone with the new bias (m' = m − α e_c θ_i / A_c, v = reset(m', [m' >= θ_i])) before step
 * t + 1: a per-step stochastic fixed-point iteration, `iterations` passes over `batches` batches.
 * It needs the batch's input currents of all T steps at once (kept as float32).
 *
 * (A_c is the spike amplitude, θ_c unless set apart; with A = θ this is the paper's m' = m − e.)
 * At inference the bias is subtracted from the membrane at step t before the comparison: b θ_i
 * / A_c of membrane, stepbias[t][c] = −b[t][c] / A_c (stepbias is in units of θ). The correction
 * at step t depends only on steps ≤ t, so a table made for T answers every T' ≤ T. Departure
 * from the paper: the target is clipped at A (a plain ReLU's activation can exceed what a neuron
 * can emit per step; under QCFS it never does).
 */
import { SnncError } from '../../ir/diagnostics.js';
import { attrStr } from '../../ir/ops.js';
import { perNeuronValues, populationShape } from '../../ir/neuron-params.js';
import { isLayerMajor } from '../../ir/tpp.js';
import type { Graph, Node } from '../../ir/types.js';
import type { Images, SampleSource } from '../data/dataset.js';
import type { SamplesChunk } from '../exec/tasks.js';
import { annActivations, calibrationBatch, hiddenPopulations, observeBatch, stepBiasOf, stepBiasPlus, populationGeometry, withStepBias, type StepBias } from './layer-runs.js';
import type { Pass } from './pass.js';

export interface FtbcSettings {
  /** Step size of each update (variant (a): 0.4 per batch; variant (b): 0.5 per step). */
  readonly alpha: number;
  /** Calibration batches per pass (variant (a): 3; variant (b): 10). */
  readonly batches: number;
  readonly batchSize: number;
  /**
   * Passes over the batches (default 1: variant (a)). With the `batch` rule, passes after the
   * first apply the layer's own table while it is re-simulated, so the table moves toward the
   * fixed point where the mean error per step and channel is zero.
   */
  readonly iterations?: number;
  /** `batch` (variant (a), default) or `step` (variant (b)); see the comment at the top. */
  readonly update?: FtbcUpdate;
}

export type FtbcUpdate = 'batch' | 'step';

/** Variant (a), the authors' QCFS code: α 0.4, 3 batches of 200 (their CIFAR batch). */
export const FTBC_DEFAULTS: FtbcSettings = { alpha: 0.4, batches: 3, batchSize: 200 };
/** Variant (b), the authors' SNN Calibration code with its argparse defaults: α 0.5, 5 passes over 10 batches of 128. */
export const FTBC_STEP_DEFAULTS: FtbcSettings = { alpha: 0.5, batches: 10, batchSize: 128, iterations: 5, update: 'step' };

/** The step rule keeps a batch's input currents of every step: at most this many float32 values. */
const STEP_RULE_BUDGET = 2 ** 28;

export interface FtbcOptions extends FtbcSettings {
  /** The ANN the network was converted from (after prepareAnn): the per-step targets. */
  readonly ann: Graph;
  /** Calibration samples in the ANN's input layout; batch k takes samples k·B .. k·B+B−1, cycling. */
  readonly calib: Images | SampleSource;
  readonly onProgress?: (samples: number) => void;
}

/** Per-neuron parameters of a population's integrate-and-fire step (the pass changes none of them). */
type NeuronStep = ReturnType<typeof neuronStep>;

/** What both rules read of the population being calibrated. */
interface LayerState {
  readonly graph: Graph;
  readonly layer: Node;
  readonly neuron: NeuronStep;
  readonly batch: SamplesChunk;
  /** The ANN's activation of the layer on the batch, [count x size]. */
  readonly a: Float32Array;
  /** b[t][c] (absolute units), updated in place. */
  readonly b: Float64Array;
  /** Tables of earlier passes (θ units), always on. */
  readonly base: StepBias;
  readonly T: number;
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
    const update = o.update ?? 'batch';
    if (update !== 'batch' && update !== 'step') throw new SnncError('SNN0504', `ftbc: update rule '${String(update)}' is not 'batch' or 'step'`);
    const T = g.steps!;
    if (isLayerMajor(g)) throw new SnncError('SNN0504', 'ftbc corrects integrate-and-fire dynamics step by step; run it before tpp (a TPP network fires at random steps)');
    const layers = hiddenPopulations(g, o.ann);
    const tables = new Map<string, Float64Array>(); // b[t][c], absolute units
    const bases = new Map(layers.map((n) => [n.id, stepBiasOf(g, n)])); // tables of earlier passes (θ units)
    const iterations = o.iterations ?? 1;
    if (!(Number.isInteger(iterations) && iterations >= 1)) throw new SnncError('SNN0504', `ftbc: iterations (${iterations}) must be a positive integer`);
    if (update === 'step') {
      const widest = Math.max(...layers.map((n) => populationShape(n).size));
      const values = Math.min(o.batchSize, o.calib.count) * T * widest;
      if (values > STEP_RULE_BUDGET) throw new SnncError('SNN0504', `ftbc: the step rule keeps a batch's input currents of all ${T} steps, ${values} values for the widest population (${widest} neurons); at most ${STEP_RULE_BUDGET} fit: use a batch of at most ${Math.floor(STEP_RULE_BUDGET / (T * widest))} samples (--ftbc-batch-size)`);
    }
    const neurons = new Map(layers.map((n) => [n.id, neuronStep(g, n)]));
    let graph = g;
    for (let k = 0; k < o.batches * iterations; k++) {
      const batch = calibrationBatch(o.calib, k, o.batchSize);
      const targets = annActivations(o.ann, batch, layers.map((n) => n.id));
      for (const layer of layers) {
        const neuron = neurons.get(layer.id)!;
        const { C, amplitude } = neuron;
        const base = bases.get(layer.id)!;
        const b = tables.get(layer.id) ?? new Float64Array(T * C);
        const state: LayerState = { graph, layer, neuron, batch, a: targets.get(layer.id)!, b, base, T };
        if (update === 'step') stepRule(state, o.alpha, o.onProgress);
        else batchRule(state, o.alpha, k >= o.batches, o.onProgress);
        tables.set(layer.id, b);
        graph = withStepBias(graph, layer, stepBiasPlus(layer, base, (r, c) => -b[r * C + c] / amplitude[c]), 'ftbc');
      }
    }
    const passes = iterations > 1 ? `, ${iterations} passes` : '';
    return { ...graph, meta: { ...graph.meta, 'ftbc.alpha': String(o.alpha), 'ftbc.batches': `${o.batches}x${Math.min(o.batchSize, o.calib.count)}${passes}`, ...(update === 'step' ? { 'ftbc.update': 'step' } : {}) } };
  },
};

function neuronStep(graph: Graph, layer: Node) {
  return {
    ...populationGeometry(graph, layer),
    vinit: perNeuronValues(layer, 'vinit', graph.consts, 0),
    leak: perNeuronValues(layer, 'leak', graph.consts, 1),
    shift: perNeuronValues(layer, 'shift', graph.consts, 0),
    subtract: attrStr(layer, 'reset') === 'subtract',
  };
}

/** Variant (a): the trajectory corrected per element, b += α·(mean error) after the batch. */
function batchRule(s: LayerState, alpha: number, own: boolean, onProgress?: (samples: number) => void): void {
  const { T, a, b, base, batch } = s;
  const { C, size, HW, theta, amplitude, vinit, leak, shift, subtract } = s.neuron;
  const E = new Float64Array(T * C);
  const v = new Float64Array(size);
  observeBatch(
    s.graph,
    batch,
    [s.layer.inputs[0].id],
    (smp, t, [x]) => {
      const row = (t - 1) * C;
      for (let i = 0; i < size; i++) {
        const c = Math.floor(i / HW);
        const th = theta[i];
        const A = amplitude[c];
        // the layer's earlier tables (e.g. bias calibration) stay on; its FTBC table is being made
        let m = leak[i] * v[i] + x[i] + (shift[i] + base.at(t - 1, i, c)) * th;
        if (own) m -= b[row + c] * (th / A);
        const e = (m >= th ? A : 0) - Math.min(a[smp * size + i], A);
        const m2 = m - e * (th / A); // th / A is exactly 1 when the spike carries θ
        v[i] = m2 >= th ? (subtract ? m2 - th : 0) : m2;
        E[row + c] += e;
      }
      if (t === T) onProgress?.(1);
    },
    {
      onSample: () => {
        for (let i = 0; i < size; i++) v[i] = vinit[i] * theta[i];
      },
    },
  );
  for (let r = 0; r < T * C; r++) b[r] += (alpha * E[r]) / (batch.count * HW);
}

/** Variant (b): at each step, b[t] += α·(the batch's mean error at t), and the step is redone with it. */
function stepRule(s: LayerState, alpha: number, onProgress?: (samples: number) => void): void {
  const { T, a, b, base, batch } = s;
  const { C, size, HW, theta, amplitude, vinit, leak, shift, subtract } = s.neuron;
  const n = batch.count;
  const X = new Float32Array(n * T * size); // [sample][t][neuron]
  observeBatch(s.graph, batch, [s.layer.inputs[0].id], (smp, t, [x]) => {
    X.set(x, (smp * T + t - 1) * size);
    if (t === T) onProgress?.(1);
  });
  const v = new Float64Array(n * size);
  for (let j = 0; j < n * size; j++) v[j] = vinit[j % size] * theta[j % size];
  const m = new Float64Array(n * size);
  const err = new Float64Array(C); // Σ over the batch of the step's error, per channel
  const change = new Float64Array(C); // α · its mean: the step's bias moves by this
  for (let t = 1; t <= T; t++) {
    const row = (t - 1) * C;
    err.fill(0);
    for (let smp = 0; smp < n; smp++) {
      const x = X.subarray((smp * T + t - 1) * size, (smp * T + t) * size);
      for (let i = 0, j = smp * size; i < size; i++, j++) {
        const c = Math.floor(i / HW);
        const th = theta[i];
        const A = amplitude[c];
        const mj = leak[i] * v[j] + x[i] + (shift[i] + base.at(t - 1, i, c)) * th - b[row + c] * (th / A);
        m[j] = mj;
        err[c] += (mj >= th ? A : 0) - Math.min(a[j], A);
      }
    }
    for (let c = 0; c < C; c++) {
      change[c] = (alpha * err[c]) / (n * HW);
      b[row + c] += change[c];
    }
    for (let smp = 0; smp < n; smp++) {
      for (let i = 0, j = smp * size; i < size; i++, j++) {
        const c = Math.floor(i / HW);
        const th = theta[i];
        const m2 = m[j] - change[c] * (th / amplitude[c]); // the step redone with the new bias
        v[j] = m2 >= th ? (subtract ? m2 - th : 0) : m2;
      }
    }
  }
}
