/** Run an ann graph over a whole data set in chunks, on a worker pool; outputs in sample order. */
import type { Graph } from '../../ir/types.js';
import type { Images } from '../data/dataset.js';
import { createPool } from './pool.js';
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
  const pool = createPool<Graph, SamplesChunk, Float32Array>('ann', g, Math.min(threads, parts.length));
  try {
    const outs = await pool.map(parts, (i) => onProgress?.(parts[i].count));
    const per = outs[0].length / parts[0].count;
    const data = new Float32Array(images.count * per);
    let at = 0;
    for (const o of outs) {
      data.set(o, at);
      at += o.length;
    }
    return { shape: [images.count, per], data };
  } finally {
    await pool.close();
  }
}
