/**
 * calibrate: run the ANN on calibration samples and keep, for every activation that becomes a
 * neuron (relu / qcfs outputs, and the graph outputs for spike-count readouts), the positive
 * values per channel (activation-stats.ts: exact within a budget, histograms past it). Threshold
 * rules (balance-thresholds.ts) are computed from these. The forward pass is the float executor
 * or, for ImageNet-size networks, onnxruntime checked against it (ort-forward.ts); chunks are
 * sized so that about 2^24 calibrated values are in flight per chunk.
 */
import { SnncError } from '../../ir/diagnostics.js';
import type { Graph } from '../../ir/types.js';
import type { Images, SampleSource } from '../data/dataset.js';
import { foldChunks } from '../exec/pool.js';
import { exactLimitPerLayer, LayerStats } from './activation-stats.js';
import { chunks } from '../exec/run-ann.js';
import type { SamplesChunk } from '../exec/tasks.js';
import { isNeuronSource } from './activations.js';
import { calibrationChunkSize, foldOrtValues, resolveForward, type AnnForward } from '../exec/ort-forward.js';

/** Per population: its channels' positive activations (exact, or as histograms past a budget). */
export type ActivationStats = Map<string, LayerStats>;

/** Ids of the values whose statistics a conversion needs. */
export function calibrationTargets(g: Graph): string[] {
  return [...g.nodes.filter(isNeuronSource).map((n) => n.id), ...g.outputs];
}

/**
 * Streams the calibration set through the ANN: each chunk's activations are folded into the
 * statistics in chunk order and dropped, so memory does not grow with the number of images
 * beyond the statistics themselves (bounded by activation-stats.ts).
 */
export async function collectActivations(g: Graph, images: Images | SampleSource, threads: number, onProgress?: (n: number) => void, options: { exactLimit?: number; forward?: AnnForward } = {}): Promise<ActivationStats> {
  if (images.count === 0) throw new SnncError('SNN0406', 'calibration set is empty');
  const ids = calibrationTargets(g);
  const shapes = new Map(g.nodes.map((n) => [n.id, n.type.shape]));
  const stats: ActivationStats = new Map();
  const inner = new Map<string, number>();
  for (const id of ids) {
    const shape = shapes.get(id)!;
    inner.set(id, shape.slice(2).reduce((a, b) => a * b, 1));
    stats.set(id, new LayerStats(shape.length >= 2 ? shape[1] : 1, options.exactLimit ?? exactLimitPerLayer(ids.length)));
  }
  const fold = (out: Record<string, Float32Array>): void => {
    for (const id of ids) stats.get(id)!.addTensor(out[id], inner.get(id)!);
  };
  const parts = chunks(images, calibrationChunkSize(g, ids));
  if (resolveForward(g, options.forward ?? 'snnc') === 'onnxruntime') await foldOrtValues(g, ids, parts, threads, fold, onProgress);
  else await foldChunks<{ graph: Graph; ids: string[] }, SamplesChunk, Record<string, Float32Array>>('ann-values', { graph: g, ids }, parts, threads, fold, onProgress);
  return stats;
}
