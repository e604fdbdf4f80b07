/**
 * Work that the worker pool can run: each task kind turns a payload (sent once per worker) into
 * state and then maps chunks of samples to results. The same code runs inline when threads = 1,
 * so results never depend on the thread count.
 */
import type { Graph } from '../../ir/types.js';
import { runAnn } from './ann.js';
import { floatSimulator, simulateFloatChunk, type FloatSimulator, type SnnChunkResult } from './snn-float.js';
import { FixedInterpreter } from '../../ir/interp-fixed.js';
import { runFixedChunk, type FixedChunkResult } from './run-fixed.js';
import type { IntSamples } from '../data/integer.js';
import { ActivityCounter } from '../energy/activity.js';
import { simulatePermutedChunk, type PermuteSettings } from './permute.js';

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

/** Run the ann graph on a chunk and return the values of the named nodes (calibration). */
const annValues: TaskKind<{ graph: Graph; ids: string[] }, { graph: Graph; ids: Set<string> }, SamplesChunk, Record<string, Float32Array>> = {
  init: (p) => ({ graph: p.graph, ids: new Set(p.ids) }),
  run: (s, chunk) => {
    const out: Record<string, Float32Array> = {};
    runAnn(s.graph, [{ shape: [chunk.count, ...chunk.sampleShape], data: chunk.data }], {
      onValue: (node, t) => {
        if (s.ids.has(node.id)) out[node.id] = t.data;
      },
    });
    return out;
  },
};

/** Simulate the snn-float graph on a chunk, recording at the checkpoint steps. */
const snnFloat: TaskKind<{ graph: Graph; checkpoints: number[] }, { sim: FloatSimulator; checkpoints: number[] }, SamplesChunk, SnnChunkResult> = {
  init: (p) => ({ sim: floatSimulator(p.graph), checkpoints: p.checkpoints }),
  run: (s, chunk) => simulateFloatChunk(s.sim, chunk, s.checkpoints),
};

/** Run the integer reference interpreter on a chunk of integer samples. */
const snnFixed: TaskKind<{ graph: Graph; checkpoints: number[]; countActivity?: boolean }, { interp: FixedInterpreter; checkpoints: number[]; countActivity: boolean }, IntSamples, FixedChunkResult> = {
  init: (p) => ({ interp: new FixedInterpreter(p.graph), checkpoints: p.checkpoints, countActivity: p.countActivity === true }),
  run: (s, chunk) => runFixedChunk(s.interp, chunk, s.checkpoints, s.countActivity ? () => new ActivityCounter(s.interp.graph, s.interp.engine) : undefined),
};

/** The temporal-misalignment experiment on a chunk (permute.ts). */
const snnFloatPermuted: TaskKind<{ graph: Graph; settings: PermuteSettings }, { sim: FloatSimulator; settings: PermuteSettings }, SamplesChunk & { first: number }, Float64Array> = {
  init: (p) => ({ sim: floatSimulator(p.graph), settings: p.settings }),
  run: (s, chunk) => simulatePermutedChunk(s.sim, chunk, s.settings),
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const TASKS: Record<string, TaskKind<any, any, any, any>> = { ann, 'ann-values': annValues, 'snn-float': snnFloat, 'snn-fixed': snnFixed, 'snn-float-permuted': snnFloatPermuted };
