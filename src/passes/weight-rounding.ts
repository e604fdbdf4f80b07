/**
 * Data-aware weight rounding (GPTQ, Frantar et al. 2022, after Optimal Brain Quantization).
 *
 * A projection's integer weights multiply integer events x (spike counts, pooled counts, input
 * pixels). Nearest rounding minimises each |w − q| alone; what the membrane sees is the error of
 * the dot product, Σ_k (w_k − q_k) x_k, summed over the window. With X the window's total input
 * patches on calibration data and H = X Xᵀ + δ·mean(diag H)·I (δ = 0.01), the rounding error seen
 * by the data is (w − q)ᵀ H (w − q) = ‖R (w − q)‖², R the upper Cholesky factor of H. Rounding
 * the columns from last to first, each q_i cancels as much of component i as it can given the
 * columns already rounded: Babai's nearest plane algorithm, which is GPTQ's column-by-column error
 * feedback run from the last column to the first (Chen et al. 2025, arXiv 2507.18553):
 *
 *   q_i = clip(round(w_i + Σ_{j>i} R_ij (w_j − q_j) / R_ii)),   i = K−1 … 0.
 *
 * With H diagonal (inputs uncorrelated) this is nearest rounding. There is one H per channel
 * group of a convolution (a depthwise layer has one per channel) and one for a dense layer. X is
 * measured on the integer network with nearest-rounded weights, whose scales are the ones this
 * rounding keeps (rounding never changes a scale), so the units agree. A fan-in above MAX_FAN_IN
 * keeps nearest rounding: the factorisation costs K³/6.
 */
import { attrInts, attrNum } from '../../ir/ops.js';
import { roundHalfAway } from '../../ir/fixed-arith.js';
import { FixedInterpreter } from '../../ir/interp-fixed.js';
import { windowShape, type WindowShape } from '../../ir/engine/plan.js';
import type { Graph, Node } from '../../ir/types.js';
import type { IntSamples } from '../data/integer.js';
import { nearestRounding, type WeightRounding } from './quantize.js';

export const MAX_FAN_IN = 4096;
const DAMPING = 0.01;

/** H = Σ x xᵀ over calibration patches, one K×K matrix per channel group. */
export interface InputGram {
  readonly fanIn: number;
  readonly groups: Float64Array[];
}

/** A convolution's window and its input's size, for walking its patches. */
interface Geometry extends WindowShape {
  readonly group: number;
  readonly Cg: number;
  readonly H: number;
  readonly W: number;
}

function convGeometry(g: Graph, n: Node, input: Node): Geometry {
  const [, Cg, kh, kw] = g.consts.get(n.inputs[1].id)!.type.shape;
  const [, , H, W] = input.type.shape;
  const window = windowShape(H, W, [kh, kw], attrInts(n, 'strides'), attrInts(n, 'pads'), attrInts(n, 'dilations'), false);
  if (window.Ho !== n.type.shape[2] || window.Wo !== n.type.shape[3]) throw new Error(`internal: %${n.id}'s window gives ${window.Ho}x${window.Wo}, its type ${n.type.shape.slice(2).join('x')}`);
  return { ...window, group: attrNum(n, 'group'), Cg, H, W };
}

/** Adds the outer products of every patch of `x` (one sample's [C, H, W] totals) to the group matrices. */
function addConvPatches(x: Float64Array, geo: Geometry, gram: InputGram): void {
  const { Cg, kh, kw, sh, sw, pt, pl, dh, dw, H, W, Ho, Wo } = geo;
  const K = gram.fanIn;
  const idx = new Int32Array(K);
  const val = new Float64Array(K);
  for (let grp = 0; grp < geo.group; grp++) {
    const h = gram.groups[grp];
    for (let i = 0; i < Ho; i++) {
      for (let j = 0; j < Wo; j++) {
        // the patch's nonzero entries (spike totals are sparse)
        let nz = 0;
        for (let c = 0; c < Cg; c++) {
          const base = (grp * Cg + c) * H * W;
          for (let u = 0; u < kh; u++) {
            const y = i * sh + u * dh - pt;
            if (y < 0 || y >= H) continue;
            for (let v = 0; v < kw; v++) {
              const xx = j * sw + v * dw - pl;
              if (xx < 0 || xx >= W) continue;
              const e = x[base + y * W + xx];
              if (e !== 0) {
                idx[nz] = (c * kh + u) * kw + v;
                val[nz++] = e;
              }
            }
          }
        }
        for (let a = 0; a < nz; a++) {
          const row = idx[a] * K;
          const va = val[a];
          for (let b = 0; b < nz; b++) h[row + idx[b]] += va * val[b];
        }
      }
    }
  }
}

function addDense(x: Float64Array, gram: InputGram): void {
  const K = gram.fanIn;
  const h = gram.groups[0];
  const nzIdx: number[] = [];
  for (let k = 0; k < K; k++) if (x[k] !== 0) nzIdx.push(k);
  for (const a of nzIdx) for (const b of nzIdx) h[a * K + b] += x[a] * x[b];
}

/**
 * The input Gram matrix of every conv2d / dense of `fixed` (an snn-fixed graph) whose fan-in is at
 * most MAX_FAN_IN, from the totals of its integer input over each sample's run.
 */
export function inputGrams(fixed: Graph, samples: IntSamples, onProgress?: (samples: number) => void): Map<string, InputGram> {
  const byId = new Map(fixed.nodes.map((n) => [n.id, n]));
  const projections = fixed.nodes.filter((n) => n.op === 'conv2d' || n.op === 'dense');
  const grams = new Map<string, InputGram>();
  const geos = new Map<string, Geometry>();
  for (const p of projections) {
    const shape = fixed.consts.get(p.inputs[1].id)!.type.shape;
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    if (fanIn > MAX_FAN_IN) continue;
    const groups = p.op === 'conv2d' ? attrNum(p, 'group') : 1;
    grams.set(p.id, { fanIn, groups: Array.from({ length: groups }, () => new Float64Array(fanIn * fanIn)) });
    if (p.op === 'conv2d') geos.set(p.id, convGeometry(fixed, p, byId.get(p.inputs[0].id)!));
  }
  const interp = new FixedInterpreter(fixed);
  const reads = [...new Set([...grams.keys()].map((id) => byId.get(id)!.inputs[0].id))];
  const totals = new Map(reads.map((id) => [id, new Float64Array(interp.engine.plan.bufs.get(id)!.size)]));
  const scratch = new Map(reads.map((id) => [id, new Float64Array(interp.engine.plan.bufs.get(id)!.size)]));
  for (let s = 0; s < samples.count; s++) {
    for (const t of totals.values()) t.fill(0);
    interp.run(samples.data, s * samples.size, () => {
      for (const id of reads) {
        const v = interp.engine.read(id, scratch.get(id)!) as Float64Array;
        const t = totals.get(id)!;
        for (let i = 0; i < v.length; i++) t[i] += v[i];
      }
    });
    for (const [id, gram] of grams) {
      const x = totals.get(byId.get(id)!.inputs[0].id)!;
      const geo = geos.get(id);
      if (geo) addConvPatches(x, geo, gram);
      else addDense(x, gram);
    }
    onProgress?.(1);
  }
  return grams;
}

/**
 * The upper Cholesky factor R of H (H = Rᵀ R), H symmetric positive definite (damped): row i of
 * R, then the trailing upper triangle loses its outer product, each by contiguous rows (K³/6).
 */
export function choleskyUpper(h: Float64Array, K: number): Float64Array {
  const A = Float64Array.from(h);
  for (let i = 0; i < K; i++) {
    const ri = i * K;
    const d = A[ri + i];
    if (!(d > 0)) throw new Error(`internal: input Gram matrix not positive definite at column ${i}`);
    const inv = 1 / Math.sqrt(d);
    for (let j = i; j < K; j++) A[ri + j] *= inv;
    for (let j = i + 1; j < K; j++) {
      const f = A[ri + j];
      if (f === 0) continue;
      const rj = j * K;
      for (let l = j; l < K; l++) A[rj + l] -= f * A[ri + l];
    }
  }
  for (let i = 1; i < K; i++) A.fill(0, i * K, i * K + i);
  return A;
}

/** A copy of `h` with δ·mean(diag) added to the diagonal (a dead input gets the mean alone). */
function damped(h: Float64Array, K: number): Float64Array {
  let mean = 0;
  for (let k = 0; k < K; k++) mean += h[k * K + k];
  mean = mean / K || 1;
  const out = Float64Array.from(h);
  for (let k = 0; k < K; k++) out[k * K + k] += DAMPING * mean;
  return out;
}

/**
 * One row w rounded against R (upper Cholesky of H): from the last column to the first, q_i makes
 * component i of R (w − q) as small as it can be given the columns already rounded (Babai's
 * nearest plane; GPTQ's column updates, run back to front, are the same rounding).
 */
export function roundRow(w: Float64Array, R: Float64Array, limit: number): Int32Array {
  const K = w.length;
  const e = new Float64Array(K);
  const q = new Int32Array(K);
  for (let i = K - 1; i >= 0; i--) {
    const ri = i * K;
    let s = 0;
    for (let j = i + 1; j < K; j++) s += R[ri + j] * e[j];
    q[i] = Math.max(-limit, Math.min(limit, roundHalfAway(w[i] + s / R[ri + i])));
    e[i] = w[i] - q[i];
  }
  return q;
}

/** The rounding rule for quantize: GPTQ where a Gram matrix was measured, nearest elsewhere. */
export function gptqRounding(grams: ReadonlyMap<string, InputGram>): WeightRounding {
  return (p, real, rows, limit) => {
    const gram = grams.get(p.id);
    if (!gram) return nearestRounding(p, real, rows, limit);
    const K = gram.fanIn;
    const perGroup = rows / gram.groups.length;
    const Rs = gram.groups.map((h) => choleskyUpper(damped(h, K), K));
    const out = new Int32Array(real.length);
    for (let r = 0; r < rows; r++) out.set(roundRow(real.subarray(r * K, (r + 1) * K), Rs[Math.floor(r / perGroup)], limit), r * K);
    return out;
  };
}
