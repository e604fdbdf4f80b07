/**
 * Work that the worker pool can run: each task kind turns a payload (sent once per worker) into
 * state and then maps chunks of samples to results. The same code runs inline when threads = 1,
 * so results never depend on the thread count.
 */
import type { Graph } from '../../ir/types.js';
import { runAnn } from './ann.js';

export interface TaskKind<P, S, I, O> {
  init(payload: P): S;
  run(state: S, input: I): O;
}

export interface SamplesChunk {
  readonly count: number;
  readonly sampleShape: readonly number[];
  readonly data: Float32Array;
}

/** Run the ann graph on a chunk; returns the first output, row-major. */
const ann: TaskKind<Graph, Graph, SamplesChunk, Float32Array> = {
  init: (g) => g,
  run: (g, chunk) => runAnn(g, [{ shape: [chunk.count, ...chunk.sampleShape], data: chunk.data }])[0].data,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const TASKS: Record<string, TaskKind<any, any, any, any>> = { ann };
