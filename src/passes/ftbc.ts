/**
 * ftbc (snn-float -> snn-float): forward temporal bias correction (Wu et al., ECCV 2024), the
 * forward-only calibration of its QCFS variant (../shared/docs/algorithms.md §6.3), on any base.
 *
 * For each hidden population ℓ in graph order (never the output layer), on each calibration
 * batch, with the biases found so far upstream in place:
 *
 *   a_i   = min(ANN activation of ℓ, θ_c)               the value the SNN should emit per step
 *   X_i(t) = input current of ℓ in the SNN at step t    (t = 1..T, full forward runs)
 *   v_i = vinit θ_c;  for t = 1..T:
 *     m  = leak·v + X_i(t) + shift·θ_c
 *     s  = θ_c [m >= θ_c];   e = s − a_i                 the step's error
 *     m' = m − e;  s' = θ_c [m' >= θ_c];  v = reset(m', s')   (the trajectory corrected per element)
 *     E[t][c] += e
 *   b[t][c] += α · E[t][c] / (samples · positions)      (after the batch)
 *
 * As in the authors' code, layer ℓ's own bias is not applied while it is calibrated, so K batches
 * give b ≈ α·K·ē. At inference the bias is subtracted from the membrane at step t before the
 * comparison: stepbias[t][c] = −b[t][c] / θ_c (stepbias is in units of θ). The correction at
 * step t depends only on steps ≤ t, so a table made for T answers every T' ≤ T. Departure from
 * the paper: the target is clipped at θ (a plain ReLU's activation can exceed what a neuron can
 * emit per step; under QCFS it never does).
 */
import { SnncError } from '../../ir/diagnostics.js';
import { attrNum, attrStr, attrVector } from '../../ir/ops.js';
import type { Graph, Node } from '../../ir/types.js';
import type { Images } from '../data/dataset.js';
import { runAnn } from '../exec/ann.js';
import { floatSimulator } from '../exec/snn-float.js';
import type { Pass } from './pass.js';

export interface FtbcSettings {
  /** Step size of each batch's update (the paper's QCFS variant: 0.4). */
  readonly alpha: number;
  /** Calibration batches (the paper's QCFS variant: 3). */
  readonly batches: number;
  readonly batchSize: number;
}

export const FTBC_DEFAULTS: FtbcSettings = { alpha: 0.4, batches: 3, batchSize: 200 };

export interface FtbcOptions extends FtbcSettings {
  /** The ANN the network was converted from (after prepareAnn): the per-step targets. */
  readonly ann: Graph;
  /** Calibration samples in the ANN's input layout; batch k takes samples k·B .. k·B+B−1, cycling. */
  readonly calib: Images;
  readonly onProgress?: (samples: number) => void;
}

/** The calibration batch k: B samples, cycling through the set. */
function batchOf(calib: Images, k: number, B: number): { count: number; sampleShape: readonly number[]; data: Float32Array } {
  const size = calib.sampleShape.reduce((a, b) => a * b, 1);
  const count = Math.min(B, calib.count);
  const data = new Float32Array(count * size);
  for (let j = 0; j < count; j++) {
    const s = (k * B + j) % calib.count;
    data.set(calib.data.subarray(s * size, (s + 1) * size), j * size);
  }
  return { count, sampleShape: calib.sampleShape, data };
}

/** Per-channel θ of a population as an array of C values. */
function thetaOf(g: Graph, n: Node, C: number): Float64Array {
  const th = attrVector(n, 'threshold', g.consts)!;
  return th.length === C ? Float64Array.from(th) : new Float64Array(C).fill(th[0]);
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
    const annIds = new Set(o.ann.nodes.map((n) => n.id));
    // hidden populations that come from an ANN activation (a count readout's population does not)
    const layers = g.nodes.filter((n) => n.op === 'if' && annIds.has(n.id));
    const taken = layers.find((n) => n.attrs.stepbias !== undefined);
    if (taken) throw new SnncError('SNN0504', `ftbc: %${taken.id} already has a per-step bias (run ftbc once)`);
    const tables = new Map<string, Float64Array>(); // b[t][c], absolute units
    let graph = g;
    for (let k = 0; k < o.batches; k++) {
      const batch = batchOf(o.calib, k, o.batchSize);
      const targets = new Map<string, Float32Array>();
      const want = new Set(layers.map((n) => n.id));
      runAnn(o.ann, [{ shape: [batch.count, ...batch.sampleShape], data: batch.data }], { onValue: (node, t) => void (want.has(node.id) && targets.set(node.id, t.data)) });
      for (const layer of layers) {
        const sim = floatSimulator(graph);
        const statics = runAnn(sim.staticGraph, [{ shape: [batch.count, ...batch.sampleShape], data: batch.data }]);
        const xId = layer.inputs[0].id;
        const shape = layer.type.shape.slice(1);
        const C = shape[0];
        const size = shape.reduce((a, b) => a * b, 1);
        const HW = size / C;
        const theta = thetaOf(graph, layer, C);
        const vinit = attrVector(layer, 'vinit', graph.consts, 0)!;
        const leak = attrNum(layer, 'leak', 1);
        const shift = attrNum(layer, 'shift', 0);
        const subtract = attrStr(layer, 'reset') === 'subtract';
        const a = targets.get(layer.id)!;
        const E = new Float64Array(T * C);
        const v = new Float64Array(size);
        const x = new Float64Array(size);
        for (let s = 0; s < batch.count; s++) {
          sim.engine.begin();
          sim.boundary.forEach((id, q) => {
            const sz = statics[q].data.length / batch.count;
            sim.engine.setStatic(id, statics[q].data, s * sz);
          });
          for (let i = 0; i < size; i++) {
            const c = Math.floor(i / HW);
            v[i] = (vinit.length === size ? vinit[i] : vinit.length === C ? vinit[c] : vinit[0]) * theta[c];
          }
          for (let t = 1; t <= T; t++) {
            sim.engine.step(t);
            sim.engine.read(xId, x);
            const row = (t - 1) * C;
            for (let i = 0; i < size; i++) {
              const c = Math.floor(i / HW);
              const th = theta[c];
              const m = leak * v[i] + x[i] + shift * th;
              const e = (m >= th ? th : 0) - Math.min(a[s * size + i], th);
              const m2 = m - e;
              const fired = m2 >= th;
              v[i] = fired ? (subtract ? m2 - th : 0) : m2;
              E[row + c] += e;
            }
          }
          o.onProgress?.(1);
        }
        const b = tables.get(layer.id) ?? new Float64Array(T * C);
        for (let r = 0; r < T * C; r++) b[r] += (o.alpha * E[r]) / (batch.count * HW);
        tables.set(layer.id, b);
        graph = withStepBias(graph, layer, b, theta);
      }
    }
    return { ...graph, meta: { ...graph.meta, 'ftbc.alpha': String(o.alpha), 'ftbc.batches': `${o.batches}x${Math.min(o.batchSize, o.calib.count)}` } };
  },
};

/** The population with stepbias[t][c] = −b[t][c] / θ_c (replacing the table of the previous batch). */
function withStepBias(g: Graph, n: Node, b: Float64Array, theta: Float64Array): Graph {
  const T = g.steps!;
  const C = theta.length;
  const id = `${n.id}.ftbc`;
  const data = new Float32Array(T * C);
  for (let r = 0; r < T * C; r++) data[r] = -b[r] / theta[r % C];
  const consts = new Map(g.consts);
  consts.set(id, { id, type: { dtype: 'f32', shape: [T, C] }, data });
  const nodes = g.nodes.map((m) => (m.id === n.id ? { ...m, attrs: { ...m.attrs, stepbias: { const: id } } } : m));
  return { ...g, nodes, consts };
}
