/** Run an ann graph over a whole data set in chunks, on a worker pool; outputs in sample order. */
import type { Graph } from '../../ir/types.js';
import type { Images, SampleSource } from '../data/dataset.js';
import { mapChunks, type ChunkList } from './pool.js';
import type { SamplesChunk } from './tasks.js';

export const CHUNK = 64;

/**
 * Samples per chunk of a spiking run: CHUNK, or fewer so that every thread gets work (a network
 * at 224×224 simulates a few images a second, and 8 images in one chunk would leave a core idle).
 * A spiking run is per sample, so the chunking changes no result.
 */
export function spikingChunk(count: number, threads: number): number {
  return Math.max(1, Math.min(CHUNK, Math.ceil(count / threads)));
}

/** The samples in chunks of `size`, each made (copied, or read) only when the pool asks for it. */
export function chunks(images: Images | SampleSource, size = CHUNK): ChunkList<SamplesChunk> {
  const per = images.sampleShape.reduce((a, b) => a * b, 1);
  const read = 'read' in images ? (from: number, n: number) => images.read(from, n) : (from: number, n: number) => images.data.slice(from * per, (from + n) * per);
  return {
    length: Math.ceil(images.count / size),
    at: (k) => {
      const from = k * size;
      if (k < 0 || from >= images.count) return undefined;
      const count = Math.min(size, images.count - from);
      return { count, sampleShape: images.sampleShape, data: read(from, count) };
    },
  };
}

export async function runAnnBatched(g: Graph, images: Images, threads: number, onProgress?: (samples: number) => void): Promise<{ shape: number[]; data: Float32Array }> {
  const parts = chunks(images);
  const outs = await mapChunks<Graph, SamplesChunk, Float32Array>('ann', g, parts, threads, onProgress);
  const per = outs[0].length / Math.min(CHUNK, images.count);
  return { shape: [images.count, per], data: concatChunks(outs, Float32Array) };
}

/** The chunks' results one after the other. */
export function concatChunks<A extends Float32Array | Float64Array>(parts: readonly A[], Type: { new (n: number): A }): A {
  const out = new Type(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
