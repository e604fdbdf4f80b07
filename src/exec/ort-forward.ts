/**
 * Calibration's forward pass through onnxruntime: the ann graph is written as ONNX with the
 * calibrated values as extra outputs (ann-to-onnx.ts) and run chunk by chunk on onnxruntime's
 * CPU provider. The float executor stays the reference: before any statistics are taken, the
 * first sample runs through both, and every calibrated value must agree (at most 0.1 % of the
 * elements further apart than 1e-4 of the value's range — a QCFS floor may flip where float32
 * sums differ in the last bit); otherwise the run is refused, naming the value.
 *
 * Why onnxruntime and not a faster executor: onnxruntime's convolutions (MLAS, AVX2/FMA float32)
 * run ResNet-18 at 224×224 in 45–55 ms per image on one thread of this machine, 30–46× faster
 * than the executor (bench/scale.ts); WebAssembly's 128-bit SIMD without FMA cannot come within 2×
 * of that.
 */
import { SnncError } from '../../ir/diagnostics.js';
import { BATCH, type Graph } from '../../ir/types.js';
import { nodeMacs } from '../report/summary.js';
import { annToOnnx } from './ann-to-onnx.js';
import { runAnn } from './ann.js';
import type { ChunkList } from './pool.js';
import type { SamplesChunk } from './tasks.js';

/** Which forward pass calibration uses: the executor, onnxruntime, or onnxruntime past AUTO_MACS per sample. */
export type AnnForward = 'snnc' | 'onnxruntime' | 'auto';
export const ANN_FORWARDS: readonly AnnForward[] = ['auto', 'snnc', 'onnxruntime'];

/** Multiply-accumulates per sample past which `auto` picks onnxruntime (ImageNet-size networks; every bundled model is far below). */
export const AUTO_MACS = 1e8;

export function annMacs(g: Graph): number {
  return g.nodes.reduce((a, n) => a + nodeMacs(g, n), 0);
}

/** The forward `choice` resolves to for graph `g`. */
export function resolveForward(g: Graph, choice: AnnForward): 'snnc' | 'onnxruntime' {
  if (choice !== 'auto') return choice;
  const batched = g.nodes.filter((n) => n.op === 'input').every((n) => n.type.shape[0] === BATCH);
  return batched && annMacs(g) > AUTO_MACS ? 'onnxruntime' : 'snnc';
}

const AGREE_TOLERANCE = 1e-4;
const AGREE_OUTLIERS = 1e-3;

/** Throws unless onnxruntime's values (`ours`) match the executor's (`ref`) for every id. */
export function checkAgreement(ids: readonly string[], ours: Record<string, Float32Array>, ref: Record<string, Float32Array>): void {
  for (const id of ids) {
    const a = ours[id];
    const b = ref[id];
    if (!a || a.length !== b.length) throw new SnncError('SNN0506', `onnxruntime returned ${a?.length ?? 'no'} values for ${id}; the executor computes ${b.length}`);
    let range = 0;
    for (const v of b) range = Math.max(range, Math.abs(v));
    const tol = AGREE_TOLERANCE * Math.max(range, 1e-30);
    let far = 0;
    let worst = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i] - b[i]);
      if (d > tol) far++;
      worst = Math.max(worst, d);
    }
    if (far > Math.max(1, AGREE_OUTLIERS * a.length)) {
      throw new SnncError('SNN0506', `onnxruntime and the float executor disagree at ${id}: ${far} of ${a.length} values differ by more than ${AGREE_TOLERANCE} of the range ${range.toPrecision(4)} (worst ${worst.toPrecision(4)}); calibrate with --ann-forward snnc`);
    }
  }
}

/**
 * Runs the chunks through onnxruntime in order, handing each chunk's values of `ids` to `fold`;
 * the first chunk is checked against the executor first.
 */
export async function foldOrtValues(g: Graph, ids: readonly string[], parts: ChunkList<SamplesChunk>, threads: number, fold: (out: Record<string, Float32Array>) => void, onProgress?: (samples: number) => void): Promise<void> {
  const ort = (await import('onnxruntime-node')).default;
  const inputName = g.nodes.find((n) => n.op === 'input')!.id;
  const session = await ort.InferenceSession.create(annToOnnx(g, ids), { intraOpNumThreads: Math.max(1, threads), interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  try {
    for (let k = 0; k < parts.length; k++) {
      const chunk = parts.at(k)!;
      const result = await session.run({ [inputName]: new ort.Tensor('float32', chunk.data, [chunk.count, ...chunk.sampleShape]) }, [...ids]);
      const out: Record<string, Float32Array> = {};
      for (const id of ids) out[id] = result[id].data as Float32Array;
      if (k === 0) checkAgreement(ids, sliceFirst(out, chunk.count), executorValues(g, ids, chunk.data.subarray(0, chunk.data.length / chunk.count), chunk.sampleShape));
      fold(out);
      onProgress?.(chunk.count);
    }
  } finally {
    await session.release();
  }
}

/** The executor's values of `ids` on one sample. */
function executorValues(g: Graph, ids: readonly string[], sample: Float32Array, sampleShape: readonly number[]): Record<string, Float32Array> {
  const ref: Record<string, Float32Array> = {};
  const wanted = new Set(ids);
  runAnn(g, [{ shape: [1, ...sampleShape], data: sample }], { onValue: (n, t) => void (wanted.has(n.id) && (ref[n.id] = t.data)) });
  return ref;
}

/** The first sample's part of every value of a chunk of `count` samples. */
function sliceFirst(out: Record<string, Float32Array>, count: number): Record<string, Float32Array> {
  return Object.fromEntries(Object.entries(out).map(([id, d]) => [id, d.subarray(0, d.length / count)]));
}

/** Samples per calibration chunk: at most 64, and at most about 2^24 calibrated floats in flight per chunk. */
export function calibrationChunkSize(g: Graph, ids: readonly string[]): number {
  const shapes = new Map(g.nodes.map((n) => [n.id, n.type.shape]));
  const perSample = ids.reduce((a, id) => a + shapes.get(id)!.slice(1).reduce((x, d) => x * d, 1), 0);
  return Math.max(1, Math.min(64, Math.floor(2 ** 24 / Math.max(1, perSample))));
}
