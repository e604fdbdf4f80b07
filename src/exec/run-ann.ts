/** Run an ann graph over a whole data set in chunks, on a worker pool; outputs in sample order. */
import type { Graph } from '../../ir/types.js';
import type { Images } from '../data/dataset.js';
import { mapChunks } from './pool.js';
import type { SamplesChunk } from './tasks.js';

export const CHUNK = 64;

export function chunks(images: Images, size = CHUNK): SamplesChunk[] {
  const per = images.sampleShape.reduce((a, b) => a * b, 1);
  const out: SamplesChunk[] = [];
  for (let s = 0; s < images.count; s += size) {
    const count = Math.min(size, images.count - s);
    out.push({ count, sampleShape: images.sampleShape, data: images.data.slice(s * per, (s + count) * per) });
  }
  return out;
}

export async function runAnnBatched(g: Graph, images: Images, threads: number, onProgress?: (samples: number) => void): Promise<{ shape: number[]; data: Float32Array }> {
  const parts = chunks(images);
  const outs = await mapChunks<Graph, SamplesChunk, Float32Array>('ann', g, parts, threads, onProgress);
  const per = outs[0].length / parts[0].count;
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
