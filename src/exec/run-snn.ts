/** Run the float SNN over a whole data set on a worker pool; predictions and spike rates per checkpoint. */
import type { Graph, Node } from '../../ir/types.js';
import { argmaxRows, type Images } from '../data/dataset.js';
import { mapChunks } from './pool.js';
import { chunks, concatChunks, spikingChunk } from './run-ann.js';
import type { SnnChunkResult } from './snn-float.js';
import type { SamplesChunk } from './tasks.js';

export interface SnnRunResult {
  readonly checkpoints: readonly number[];
  /** Per checkpoint: argmax of the readout for every sample. */
  readonly predictions: Int32Array[];
  /** Per checkpoint: the readout mean (sum / t), [count x outputs]. */
  readonly outputs: Float32Array[];
  readonly populations: { readonly id: string; readonly size: number }[];
  /** Per checkpoint, per population: spikes per neuron per step. */
  readonly spikeRates: number[][];
}

export async function simulateFloat(g: Graph, images: Images, checkpoints: readonly number[], threads: number, onProgress?: (n: number) => void): Promise<SnnRunResult> {
  const cps = [...new Set(checkpoints)].sort((a, b) => a - b);
  // the engine's populations are the graph's `if` nodes in order (building an engine here only to
  // list them would cost seconds at 224×224; the workers build their own)
  const perSample = (n: Node): number => n.type.shape.slice(1).reduce((a, b) => a * b, 1);
  const populations = g.nodes.filter((n) => n.op === 'if').map((n) => ({ id: n.id, size: perSample(n) }));
  const outSize = perSample(g.nodes.find((n) => n.id === g.outputs[0])!);
  const parts = chunks(images, spikingChunk(images.count, threads));
  const results = await mapChunks<{ graph: Graph; checkpoints: number[] }, SamplesChunk, SnnChunkResult>('snn-float', { graph: g, checkpoints: cps }, parts, threads, onProgress);
  const predictions: Int32Array[] = [];
  const outputs: Float32Array[] = [];
  const spikeRates: number[][] = [];
  cps.forEach((t, k) => {
    const sums = concatChunks(results.map((r) => r.sums[k]), Float64Array);
    predictions.push(argmaxRows(sums, images.count, outSize));
    outputs.push(Float32Array.from(sums, (v) => v / t));
    const spikes = new Float64Array(populations.length);
    for (const r of results) r.spikes[k].forEach((v, p) => (spikes[p] += v));
    spikeRates.push(populations.map((p, i) => spikes[i] / (p.size * t * images.count)));
  });
  return { checkpoints: cps, predictions, outputs, populations, spikeRates };
}
