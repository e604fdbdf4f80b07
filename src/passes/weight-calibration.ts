/**
 * weight-calibration (snn-float -> snn-float): the weight calibration (WC) of SNN Calibration's
 * advanced pipeline (Li et al. 2021; ../shared/docs/algorithms.md §5.5), layer by layer in graph
 * order, each layer seeing the weights already calibrated upstream. For hidden population ℓ, the
 * projections J that sum into its current (a conv or dense, or the convs of a residual add), and
 * rows r = (calibration sample, output position):
 *
 *   x̄_J(r) = (1/T) Σ_{g ≤ o+T} input of J at global step g      the SNN's input rates, measured
 *   z_i(r) = (1/T) Σ_{g ≤ o+T} current of i + Σ_t stepbias_i(t) θ_i / T
 *                                                                the charge per step the weights make
 *   z'_i   = z_i + Σ_J ΔW_J[c] · patch_J(r)                      (linear in the change of the weights)
 *   loss   = mean_r Σ_c [r in mask_c] (z'_i − z^ANN_i)²           z^ANN: the ANN's pre-activation
 *   mask_c = rows where z' and z^ANN are not both ≤ lo nor both ≥ hi (there both give the same
 *            count: count = clip(⌊zT/θ + off⌋, 0, T), lo = (1 − off)θ/T, hi = (T − off)θ/T, with
 *            the rounding offset off = v0 + T·shift for IF, ½ + v0 for TPP round; TPP A/B: lo = 0, hi = θ)
 *
 * A layer with fewer than ROWS_PER_WEIGHT rows per weight of a channel (a dense layer with fewer
 * samples than 4× its fan-in) is left as it is: the fit could interpolate the calibration samples.
 *
 * o is the population's window (0 for IF), so the sums cover exactly what the neuron accumulates;
 * the base's rounding offsets (v0, the θ/2T shift) are left out of z as the ANN has none. The fit
 * is Gauss–Newton (fitWeights), the bias untouched; W_J += ΔW_J. For TPP round neurons the count
 * is then exactly the ANN's pre-activation, rounded — only what the inputs lose remains.
 * Departures from the paper, measured in docs/methods.md: the paper fits the quantised output,
 * ŷ = floor_STE(clamp(zT/θ, 0, T))θ/T, against the ANN's activation by Adam (5000 steps, lr 1e-5);
 * through the straight-through estimate that loss rose on a layer whose inputs are exact (the
 * count is already the best it can be), so snnc fits the pre-activation, which it can solve;
 * rows are `positions` random output positions per sample of `samples` (paper: 1024, all positions).
 */
import { SnncError } from '../../ir/diagnostics.js';
import { attrInt, attrInts, attrStr, attrVector } from '../../ir/ops.js';
import { perNeuronValues } from '../../ir/neuron-params.js';
import { tppOf } from '../../ir/tpp.js';
import type { Graph, Node } from '../../ir/types.js';
import type { Images, SampleSource } from '../data/dataset.js';
import { Rng } from '../util/rng.js';
import { annActivations, calibrationBatch, hiddenPopulations, observeSums, populationGeometry, stepBiasOf } from './layer-runs.js';
import type { Pass } from './pass.js';
import { projectionsInto } from './projections.js';
import { projectionCopies } from './replicate-neurons.js';
import { users } from '../../ir/builder.js';

export interface WeightCalibrationSettings {
  /** Calibration samples whose rows make the loss (the paper: 1024). */
  readonly samples: number;
  /** Output positions per sample (random, fixed per layer). */
  readonly positions: number;
  /** Gauss–Newton steps per layer. */
  readonly steps: number;
  /** Seed of the positions. */
  readonly seed: number;
}

export const WEIGHT_CALIBRATION_DEFAULTS: WeightCalibrationSettings = { samples: 512, positions: 16, steps: 6, seed: 1 };

export interface WeightCalibrationOptions extends WeightCalibrationSettings {
  readonly ann: Graph;
  readonly calib: Images | SampleSource;
  readonly onProgress?: (samples: number) => void;
  /** Called after each fitted layer with its loss before and after (for reports and tests). */
  readonly onLayer?: (id: string, before: number, after: number) => void;
}

/** How a projection's weights see its input: for output channel c, row index k of W[c] reads input element (ci, y, x) of the patch at an output position. */
interface Projection {
  readonly node: Node;
  readonly weightId: string;
  readonly W: Float32Array;
  /** Weights per output channel (Cin/G · kh · kw, or F for dense). */
  readonly K: number;
  /** Output channels per group (a channel's patch starts at group(c) · K). */
  readonly perGroup: number;
  /** Patch length stored per row: all input channels (Cin · kh · kw, or F). */
  readonly patch: number;
  fill(x: Float64Array, s: number, pos: number, out: Float64Array, at: number): void;
  /** The weight constant after the fit moved W by `delta` (in W's layout). */
  applied(delta: Float64Array): Float32Array;
}

/**
 * A projection that reads the K copies of a replicated population (replicate-neurons) is fitted
 * with one weight per original input, w = Σ_j W[copy j], on the copies' mean (z = Σ w · mean_j x_j
 * while the copies' weights are equal, as replicate-neurons makes them): the copies' rates differ
 * only where they round differently, so a weight per copy would fit those rounding differences
 * (nearly collinear columns) rather than the activation. Each copy then moves by Δw / K. In a patch
 * or weight row, copy j of input a at offset p sits at (a·K + j)·inner + p (inner: the kernel area
 * of a conv, the flattened spatial size of a dense layer's input).
 */
function tiedToCopies(p: Projection, copies: number, inner: number): Projection {
  const full = (q: number, j: number): number => (Math.floor(q / inner) * copies + j) * inner + (q % inner);
  const K = p.K / copies;
  const Cout = p.W.length / p.K;
  const W = new Float32Array(Cout * K);
  for (let o = 0; o < Cout; o++) for (let q = 0; q < K; q++) for (let j = 0; j < copies; j++) W[o * K + q] += p.W[o * p.K + full(q, j)];
  const scratch = new Float64Array(p.patch);
  const patch = p.patch / copies;
  return {
    ...p,
    W,
    K,
    patch,
    fill(x, s, pos, out, at) {
      p.fill(x, s, pos, scratch, 0);
      for (let q = 0; q < patch; q++) {
        let sum = 0;
        for (let j = 0; j < copies; j++) sum += scratch[full(q, j)];
        out[at + q] = sum / copies;
      }
    },
    applied(delta) {
      const spread = new Float64Array(p.W.length);
      for (let o = 0; o < Cout; o++) for (let q = 0; q < K; q++) for (let j = 0; j < copies; j++) spread[o * p.K + full(q, j)] = delta[o * K + q] / copies;
      return p.applied(spread);
    },
  };
}

function projection(g: Graph, n: Node): Projection {
  const wRef = n.inputs[1];
  const w = g.consts.get(wRef.id)!;
  const W = Float32Array.from(w.data);
  const Cout = w.type.shape[0];
  const inShape = g.nodes.find((m) => m.id === n.inputs[0].id)!.type.shape.slice(1);
  const inSize = inShape.reduce((a, b) => a * b, 1);
  if (n.op === 'dense') {
    if (inShape.length !== 1) throw new SnncError('SNN0504', `weight-calibration: dense %${n.id} reads a rank-${inShape.length + 1} value; expected [N, F]`);
    return { node: n, weightId: wRef.id, W, K: inSize, perGroup: Cout, patch: inSize, fill: (x, s, _pos, out, at) => out.set(x.subarray(s * inSize, (s + 1) * inSize), at), applied: (d) => Float32Array.from(W, (v, k) => v + d[k]) };
  }
  const [Cin, H, Wd] = inShape;
  const [, Cg, kh, kw] = w.type.shape;
  const G = attrInt(n, 'group');
  const [sh, sw] = attrInts(n, 'strides');
  const [pt, pl] = attrInts(n, 'pads');
  const [dh, dw] = attrInts(n, 'dilations');
  const Wo = n.type.shape[3];
  return {
    node: n,
    weightId: wRef.id,
    W,
    K: Cg * kh * kw,
    perGroup: Cout / G,
    patch: Cin * kh * kw,
    applied: (d) => Float32Array.from(W, (v, k) => v + d[k]),
    fill(x, s, pos, out, at) {
      const oy = Math.floor(pos / Wo);
      const ox = pos % Wo;
      const base = s * inSize;
      let k = at;
      for (let ci = 0; ci < Cin; ci++)
        for (let u = 0; u < kh; u++)
          for (let v = 0; v < kw; v++) {
            const iy = oy * sh + u * dh - pt;
            const ix = ox * sw + v * dw - pl;
            out[k++] = iy >= 0 && iy < H && ix >= 0 && ix < Wd ? x[base + (ci * H + iy) * Wd + ix] : 0;
          }
    },
  };
}

export const weightCalibration: Pass<WeightCalibrationOptions> = {
  name: 'weight-calibration',
  summary: 'snn-float -> snn-float: the weights into each hidden population fitted to the ANN\'s pre-activations from the SNN\'s input rates (SNN Calibration\'s WC)',
  from: 'snn-float',
  to: 'snn-float',
  run(g, o) {
    if (![o.samples, o.positions, o.steps].every((v) => Number.isInteger(v) && v >= 1)) throw new SnncError('SNN0504', `weight-calibration: samples (${o.samples}), positions (${o.positions}) and steps (${o.steps}) must be positive integers`);
    if (o.calib.count === 0) throw new SnncError('SNN0504', 'weight-calibration needs calibration samples');
    const T = g.steps!;
    const layers = hiddenPopulations(g, o.ann);
    const data = calibrationBatch(o.calib, 0, o.samples);
    const N = data.count;
    const targets = annActivations(o.ann, data, layers.map((n) => n.inputs[0].id));
    const rng = new Rng(o.seed);
    let graph = g;
    const log: string[] = [];
    for (const layer0 of layers) {
      const byId = new Map(graph.nodes.map((n) => [n.id, n]));
      const readers = users(graph);
      const layer = byId.get(layer0.id)!;
      const projs = projectionsInto(byId, layer.inputs[0].id).map((n) => {
        const p = projection(graph, n);
        const { inputs, inner } = projectionCopies(graph, n, byId, readers);
        return inputs > 1 ? tiedToCopies(p, inputs, inner) : p;
      });
      if (projs.length === 0) continue;
      if (attrStr(layer, 'reset') !== 'subtract' || attrVector(layer, 'leak', graph.consts, 1)!.some((l) => l !== 1)) throw new SnncError('SNN0504', `weight-calibration: %${layer.id} must be a non-leaky population with reset by subtraction (its count is then a function of its charge)`);
      const { C, size, HW, theta } = populationGeometry(graph, layer);
      const P = Math.min(o.positions, HW);
      const rows = N * P;
      const weightsPerChannel = projs.reduce((n, p) => n + p.K, 0);
      if (rows < ROWS_PER_WEIGHT * weightsPerChannel) {
        log.push(`${layer.id} left (${rows} rows for ${weightsPerChannel} weights per channel)`);
        continue;
      }
      const tpp = tppOf(layer);
      const until = (tpp?.window ?? 0) + T;
      // the SNN's means over what the population accumulates: its current and each projection's input
      const ids = [layer.inputs[0].id, ...projs.map((p) => p.node.inputs[0].id)];
      const sums = observeSums(graph, data, ids, until, o.onProgress);
      const current = sums.get(ids[0])!;
      // the linear part of the charge per step: the current plus the per-step table (TPP's moved biases); not the base's rounding offsets v0 and shift
      const sb = stepBiasOf(graph, layer);
      const tableMean = Float64Array.from({ length: size }, (_, i) => {
        let s = 0;
        for (let t = 0; t < T; t++) s += sb.at(t, i, Math.floor(i / HW));
        return (s * theta[i]) / T;
      });
      // rows: P random positions per sample, fixed for the layer
      const pos = new Int32Array(rows);
      for (let s = 0; s < N; s++) {
        const all = Int32Array.from({ length: HW }, (_, k) => k);
        for (let k = 0; k < P; k++) {
          const j = k + Math.floor(rng.next() * (HW - k));
          [all[k], all[j]] = [all[j], all[k]];
          pos[s * P + k] = all[k];
        }
      }
      const patches = projs.map((p, j) => {
        const x = sums.get(ids[1 + j])!.map((v) => v / T);
        const out = new Float64Array(rows * p.patch);
        for (let r = 0; r < rows; r++) p.fill(x, Math.floor(r / P), pos[r], out, r * p.patch);
        return out;
      });
      const z = new Float32Array(rows * C);
      const a = new Float32Array(rows * C);
      const lo = new Float32Array(C * HW);
      const hi = new Float32Array(C * HW);
      const ann = targets.get(layer.inputs[0].id);
      if (!ann) throw new SnncError('SNN0504', `weight-calibration: the current of %${layer.id} (%${layer.inputs[0].id}) has no value in the ANN to fit it to`);
      // below lo the neuron emits nothing, from hi on all T spikes: its count is clip(⌊zT/θ + off⌋, 0, T)
      // with off its rounding offset (IF: v0 + T·shift; TPP round: ½ + v0), or clip(zT/θ, 0, T) on average (TPP A, B)
      const v0 = perNeuronValues(layer, 'vinit', graph.consts, 0);
      const shift = perNeuronValues(layer, 'shift', graph.consts, 0);
      for (let i = 0; i < size; i++) {
        const off = tpp ? (tpp.rule === 'round' ? 0.5 + v0[i] : undefined) : v0[i] + T * shift[i];
        lo[i] = off === undefined ? 0 : ((1 - off) * theta[i]) / T;
        hi[i] = off === undefined ? theta[i] : ((T - off) * theta[i]) / T;
      }
      for (let r = 0; r < rows; r++) {
        const s = Math.floor(r / P);
        for (let c = 0; c < C; c++) {
          const i = c * HW + pos[r];
          z[r * C + c] = current[s * size + i] / T + tableMean[i];
          a[r * C + c] = ann[s * size + i];
        }
      }
      const fit = fitWeights(projs, patches, z, a, lo, hi, { C, HW, rows, pos }, o.steps);
      const { before, after } = fit;
      o.onLayer?.(layer.id, before, after);
      log.push(`${layer.id} ${before.toPrecision(4)}->${after.toPrecision(4)}`);
      if (after === before) continue; // nothing to gain (e.g. a layer whose input is exact)
      const consts = new Map(graph.consts);
      const renamed = new Map<string, string>();
      projs.forEach((p, j) => {
        const id = `${p.node.id}.wc`;
        const old = graph.consts.get(p.weightId)!;
        consts.set(id, { id, type: old.type, data: p.applied(fit.delta[j]) });
        renamed.set(p.node.id, id);
      });
      const nodes = graph.nodes.map((n) => (renamed.has(n.id) ? { ...n, inputs: n.inputs.map((r, k) => (k === 1 ? { kind: 'const' as const, id: renamed.get(n.id)! } : r)) } : n));
      for (const p of projs) if (!nodes.some((n) => n.inputs.some((r) => r.kind === 'const' && r.id === p.weightId))) consts.delete(p.weightId);
      graph = { ...graph, consts, nodes };
    }
    return { ...graph, meta: { ...graph.meta, 'weight-calibration': `${N} samples x ${o.positions} positions, ${o.steps} steps; loss ${log.join(', ')}` } };
  },
};

interface Rows {
  readonly C: number;
  readonly HW: number;
  readonly rows: number;
  /** Output position of each row. */
  readonly pos: Int32Array;
}

/** Fewer rows than this many per weight of a channel: under-determined (see the header). */
const ROWS_PER_WEIGHT = 4;
/** The ridge added to the Gram matrix, relative to its mean diagonal: it only keeps the factorisation safe. */
const SAFE_RIDGE = 1e-3;

/**
 * Gauss–Newton on the masked least squares of the header, `steps` steps, per output channel c: the
 * features of row r are the slices of every projection's patch that c's weights read (channels
 * reading the same slices, all of them unless the conv is grouped, share a family);
 * H_c ≈ (m_c / rows) G with G = Σ_rows f fᵀ + λI the family's Gram matrix (λ = 10⁻³ of its mean
 * diagonal) and m_c the rows inside c's mask, so a step is Δ_c −= (rows / m_c) G⁻¹ g_c with
 * g_c = Σ_mask e f. A step that does not lower the loss is halved (at most 4 times), then the fit
 * stops.
 */
function fitWeights(projs: readonly Projection[], patches: readonly Float64Array[], z: Float32Array, a: Float32Array, lo: Float32Array, hi: Float32Array, r: Rows, steps: number): { before: number; after: number; delta: Float64Array[] } {
  const { C, HW, rows, pos } = r;
  const J = projs.length;
  const Kt = projs.reduce((n, p) => n + p.K, 0);
  const sliceOf = (j: number, c: number): number => Math.floor(c / projs[j].perGroup) * projs[j].K;
  const families = new Map<string, number>();
  const familyOf = Int32Array.from({ length: C }, (_, c) => {
    const key = projs.map((_, j) => sliceOf(j, c)).join(',');
    if (!families.has(key)) families.set(key, families.size);
    return families.get(key)!;
  });
  const F = families.size;
  const representative = Int32Array.from({ length: F }, (_, f) => familyOf.indexOf(f));
  /** The features of row `row` for the family of channel c, into out[at ..]. */
  const features = (row: number, c: number, out: Float64Array, at: number): void => {
    let k = at;
    for (let j = 0; j < J; j++) {
      const src = patches[j];
      const base = row * projs[j].patch + sliceOf(j, c);
      for (let q = 0; q < projs[j].K; q++) out[k++] = src[base + q];
    }
  };
  const f = new Float64Array(F * Kt);
  /** G = Σ f fᵀ over the rows + λI per family, Cholesky-factored (lower triangle). */
  const factoredGrams = (): Float64Array[] => {
    const grams = Array.from({ length: F }, () => new Float64Array(Kt * Kt));
    for (let row = 0; row < rows; row++) {
      for (let fam = 0; fam < F; fam++) {
        features(row, representative[fam], f, fam * Kt);
        const G = grams[fam];
        for (let x = 0; x < Kt; x++) {
          const fx = f[fam * Kt + x];
          if (fx === 0) continue;
          const off = x * Kt;
          for (let y = 0; y <= x; y++) G[off + y] += fx * f[fam * Kt + y];
        }
      }
    }
    for (const G of grams) {
      let trace = 0;
      for (let x = 0; x < Kt; x++) trace += G[x * Kt + x];
      const ridge = SAFE_RIDGE * (trace / Kt) + 1e-12;
      for (let x = 0; x < Kt; x++) G[x * Kt + x] += ridge;
      cholesky(G, Kt);
    }
    return grams;
  };
  const grad = new Float64Array(C * Kt);
  const inside = new Float64Array(C);
  /** The charge z + Δ·f of every row and channel at the current Δ, and at the trial one. */
  let zAt = new Float64Array(rows * C);
  let zTrial = new Float64Array(rows * C);
  /** True when row r's channel c gives the same count at charge zc as the ANN's value: outside the loss. */
  const sameCount = (zc: number, at: number, i: number): boolean => (zc <= lo[i] && at <= lo[i]) || (zc >= hi[i] && at >= hi[i]);
  /** Loss per row at `d`, each row's charge kept in `out`. */
  const evaluate = (d: Float64Array, out: Float64Array): number => {
    let loss = 0;
    for (let row = 0; row < rows; row++) {
      for (let fam = 0; fam < F; fam++) features(row, representative[fam], f, fam * Kt);
      const p0 = pos[row];
      for (let c = 0; c < C; c++) {
        const fo = familyOf[c] * Kt;
        const wo = c * Kt;
        let zc = z[row * C + c];
        for (let k = 0; k < Kt; k++) zc += d[wo + k] * f[fo + k];
        out[row * C + c] = zc;
        const at = a[row * C + c];
        if (sameCount(zc, at, c * HW + p0)) continue;
        const e = zc - at;
        loss += e * e;
      }
    }
    return loss / rows;
  };
  /** Σ_mask e f per channel into grad and the mask's rows into inside, from the charges zAt. */
  const gradient = (): void => {
    grad.fill(0);
    inside.fill(0);
    for (let row = 0; row < rows; row++) {
      for (let fam = 0; fam < F; fam++) features(row, representative[fam], f, fam * Kt);
      const p0 = pos[row];
      for (let c = 0; c < C; c++) {
        const zc = zAt[row * C + c];
        const at = a[row * C + c];
        if (sameCount(zc, at, c * HW + p0)) continue;
        const e = zc - at;
        inside[c]++;
        const fo = familyOf[c] * Kt;
        const wo = c * Kt;
        for (let k = 0; k < Kt; k++) grad[wo + k] += e * f[fo + k];
      }
    }
  };
  const zero = new Float64Array(C * Kt);
  const before = evaluate(zero, zAt);
  if (before === 0) return { before, after: before, delta: projs.map((p) => new Float64Array(p.W.length)) };
  const grams = factoredGrams();
  const delta = new Float64Array(C * Kt);
  const trial = new Float64Array(C * Kt);
  const step = new Float64Array(Kt);
  let loss = before;
  for (let it = 0; it < steps; it++) {
    gradient();
    let scale = 1;
    let accepted = false;
    for (let halving = 0; halving <= 4 && !accepted; halving++, scale /= 2) {
      for (let c = 0; c < C; c++) {
        const wo = c * Kt;
        if (inside[c] === 0) {
          trial.set(delta.subarray(wo, wo + Kt), wo);
          continue;
        }
        for (let k = 0; k < Kt; k++) step[k] = grad[wo + k];
        choleskySolve(grams[familyOf[c]], Kt, step);
        const gain = (scale * rows) / inside[c];
        for (let k = 0; k < Kt; k++) trial[wo + k] = delta[wo + k] - gain * step[k];
      }
      const next = evaluate(trial, zTrial);
      if (next < loss) {
        delta.set(trial);
        [zAt, zTrial] = [zTrial, zAt];
        loss = next;
        accepted = true;
      }
    }
    if (!accepted) break;
  }
  // back to each projection's weight layout [C, K_j]
  const out = projs.map((p) => new Float64Array(p.W.length));
  for (let c = 0; c < C; c++) {
    let k = c * Kt;
    projs.forEach((p, j) => {
      for (let q = 0; q < p.K; q++) out[j][c * p.K + q] = delta[k++];
    });
  }
  return { before, after: loss, delta: out };
}

/** In-place Cholesky factor L (lower triangle, row-major n x n) of a symmetric positive definite matrix given by its lower triangle. */
function cholesky(A: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    let d = A[j * n + j];
    for (let k = 0; k < j; k++) d -= A[j * n + k] * A[j * n + k];
    if (!(d > 0)) throw new Error('internal: weight-calibration Gram matrix is not positive definite');
    const l = Math.sqrt(d);
    A[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = A[i * n + j];
      for (let k = 0; k < j; k++) s -= A[i * n + k] * A[j * n + k];
      A[i * n + j] = s / l;
    }
  }
}

/** Solves L Lᵀ x = b in place (b becomes x) for the factor of `cholesky`. */
function choleskySolve(L: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i * n + k] * b[k];
    b[i] = s / L[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= L[k * n + i] * b[k];
    b[i] = s / L[i * n + i];
  }
}
