/** Run the integer reference interpreter over a data set on a worker pool; predictions per checkpoint and overflow counts. */
import { FixedInterpreter, type OverflowReport } from '../../ir/interp-fixed.js';
import type { Graph } from '../../ir/types.js';
import { readoutSteps } from './checkpoints.js';
import { argmaxRows } from '../data/dataset.js';
import { mapChunks } from './pool.js';
import { concatChunks, spikingChunk } from './run-ann.js';
import type { IntSamples } from '../data/integer.js';
import { ActivityCounter, mergeActivity, type Activity } from '../energy/activity.js';

export interface FixedChunkResult {
  /** Per checkpoint: readout sums [count x outputs]. */
  readonly sums: Float64Array[];
  readonly overflow: OverflowReport[];
  /** The chunk's activity, when counted. */
  readonly activity?: Activity;
}

/** Runs a chunk; with a counter, its activity counts only this chunk's samples. */
export function runFixedChunk(interp: FixedInterpreter, chunk: IntSamples, checkpoints: readonly number[], makeCounter?: () => ActivityCounter): FixedChunkResult {
  const outBuf = interp.engine.plan.outputs[0];
  const size = outBuf.size;
  const sums = checkpoints.map(() => new Float64Array(chunk.count * size));
  const before = interp.overflow();
  const counter = makeCounter?.();
  const at = readoutSteps(interp.graph, checkpoints);
  for (let s = 0; s < chunk.count; s++) {
    let cp = 0;
    counter?.sample();
    interp.run(chunk.data, s * chunk.size, (t) => {
      counter?.step(t);
      while (cp < at.length && at[cp] === t) sums[cp++].set(interp.engine.read(outBuf.id) as Float64Array, s * size);
    });
  }
  const after = interp.overflow();
  return { sums, overflow: after.map((u, i) => ({ id: u.id, acc: u.acc - before[i].acc, v: u.v - before[i].v })), ...(counter ? { activity: counter.activity } : {}) };
}

export interface FixedRunResult {
  readonly checkpoints: readonly number[];
  readonly predictions: Int32Array[];
  /** Per checkpoint: the readout sums [count x outputs]. */
  readonly readouts: Float64Array[];
  readonly overflow: OverflowReport[];
  /** Summed over all samples, when counted. */
  readonly activity?: Activity;
}

export async function simulateFixed(g: Graph, samples: IntSamples, checkpoints: readonly number[], threads: number, onProgress?: (n: number) => void, countActivity = false): Promise<FixedRunResult> {
  const cps = [...new Set(checkpoints)].filter((t) => t <= g.steps!).sort((a, b) => a - b);
  const parts: IntSamples[] = [];
  const size = spikingChunk(samples.count, threads);
  for (let s = 0; s < samples.count; s += size) {
    const count = Math.min(size, samples.count - s);
    parts.push({ count, size: samples.size, data: samples.data.slice(s * samples.size, (s + count) * samples.size) });
  }
  const results = await mapChunks<{ graph: Graph; checkpoints: number[]; countActivity: boolean }, IntSamples, FixedChunkResult>('snn-fixed', { graph: g, checkpoints: cps, countActivity }, parts, threads, onProgress);
  const outSize = results.length ? results[0].sums[0].length / parts[0].count : 0;
  const readouts = cps.map((_, k) => concatChunks(results.map((r) => r.sums[k]), Float64Array));
  const predictions = readouts.map((r) => argmaxRows(r, samples.count, outSize));
  const overflow = results[0]?.overflow.map((u, i) => ({ id: u.id, acc: results.reduce((a, r) => a + r.overflow[i].acc, 0), v: results.reduce((a, r) => a + r.overflow[i].v, 0) })) ?? [];
  let activity: Activity | undefined;
  for (const r of results) {
    if (!r.activity) continue;
    if (activity) mergeActivity(activity, r.activity);
    else activity = r.activity;
  }
  return { checkpoints: cps, predictions, readouts, overflow, ...(activity ? { activity } : {}) };
}
