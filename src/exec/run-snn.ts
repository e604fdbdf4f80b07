/** Run the float SNN over a whole data set on a worker pool; predictions and spike rates per checkpoint. */
import type { Graph } from '../../ir/types.js';
import type { Images } from '../data/dataset.js';
import { createPool } from './pool.js';
import { chunks } from './run-ann.js';
import { floatSimulator, type SnnChunkResult } from './snn-float.js';
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
  const { engine } = floatSimulator(g);
  const populations = engine.populations.map((p) => ({ id: p.id, size: p.size }));
  const outSize = engine.plan.outputs[0].size;
  const parts = chunks(images);
  const pool = createPool<{ graph: Graph; checkpoints: number[] }, SamplesChunk, SnnChunkResult>('snn-float', { graph: g, checkpoints: cps }, Math.min(threads, parts.length));
  let results: SnnChunkResult[];
  try {
    results = await pool.map(parts, (i) => onProgress?.(parts[i].count));
  } finally {
    await pool.close();
  }
  const predictions: Int32Array[] = [];
  const outputs: Float32Array[] = [];
  const spikeRates: number[][] = [];
  cps.forEach((t, k) => {
    const out = new Float32Array(images.count * outSize);
    const pred = new Int32Array(images.count);
    const spikes = new Float64Array(populations.length);
    let s = 0;
    for (const r of results) {
      const sums = r.sums[k];
      const count = sums.length / outSize;
      for (let i = 0; i < count; i++, s++) {
        let best = 0;
        for (let c = 0; c < outSize; c++) {
          const v = sums[i * outSize + c];
          out[s * outSize + c] = v / t;
          if (v > sums[i * outSize + best]) best = c;
        }
        pred[s] = best;
      }
      r.spikes[k].forEach((v, p) => (spikes[p] += v));
    }
    predictions.push(pred);
    outputs.push(out);
    spikeRates.push(populations.map((p, i) => spikes[i] / (p.size * t * images.count)));
  });
  return { checkpoints: cps, predictions, outputs, populations, spikeRates };
}
