/**
 * The float SNN simulator: the snn-float semantics (ir/engine/neuron-float.ts) on the shared
 * event-driven engine, per sample, step-major. The static part of the graph (what depends only
 * on the analog input, e.g. the first convolution) runs once per chunk through the ANN kernels;
 * readout sums and spike counts are recorded at every checkpoint step, so one run of T steps
 * answers "what if we had stopped at t" for every t in the list. A temporal input (a sample of
 * T frames, one per step) has no static part.
 */
import { Engine } from '../../ir/engine/engine.js';
import { floatSemantics } from '../../ir/engine/neuron-float.js';
import type { Graph } from '../../ir/types.js';
import { readoutSteps } from './checkpoints.js';
import { runAnn } from './ann.js';
import type { SamplesChunk } from './tasks.js';

export interface SnnChunkResult {
  /** Per checkpoint: readout sums, [count x outputs] row-major (divide by t for the mean). */
  readonly sums: Float64Array[];
  /** Per checkpoint: spikes of each population, summed over the chunk's samples. */
  readonly spikes: Float64Array[];
}

export interface FloatSimulator {
  readonly engine: Engine;
  readonly boundary: string[];
  readonly staticGraph: Graph;
}

export function floatSimulator(g: Graph): FloatSimulator {
  const engine = new Engine(g, floatSemantics);
  const staticIds = new Set(g.nodes.filter((n) => engine.plan.bufs.get(n.id)!.isStatic).map((n) => n.id));
  const reads = (op: (typeof engine.plan.stepOps)[number]): string[] => op.node.inputs.filter((r) => r.kind === 'value').map((r) => r.id);
  const boundary = [...new Set(engine.plan.stepOps.flatMap(reads).filter((id) => staticIds.has(id)))];
  const staticGraph: Graph = { ...g, stage: 'ann', steps: undefined, nodes: g.nodes.filter((n) => staticIds.has(n.id)), outputs: boundary };
  return { engine, boundary, staticGraph };
}

export function simulateFloatChunk(sim: FloatSimulator, chunk: SamplesChunk, checkpoints: readonly number[]): SnnChunkResult {
  const { engine, boundary } = sim;
  const at = readoutSteps(sim.engine.plan.graph, checkpoints);
  const T = Math.max(...at);
  // a temporal input (one frame per step) has no static part: frame t is loaded before step t
  const frame = engine.plan.input.size;
  const sampleSize = engine.sampleSize();
  const statics = engine.temporal ? [] : runAnn(sim.staticGraph, [{ shape: [chunk.count, ...chunk.sampleShape], data: chunk.data }]);
  const outBuf = engine.plan.outputs[0];
  const outSize = outBuf.size;
  const sums = checkpoints.map(() => new Float64Array(chunk.count * outSize));
  const spikes = checkpoints.map(() => new Float64Array(engine.populations.length));
  const row = new Float64Array(outSize);
  for (let s = 0; s < chunk.count; s++) {
    engine.begin();
    boundary.forEach((id, k) => {
      const sz = statics[k].data.length / chunk.count;
      engine.setStatic(id, statics[k].data, s * sz);
    });
    let cp = 0;
    for (let t = 1; t <= T; t++) {
      if (engine.temporal) engine.loadInput(chunk.data, s * sampleSize + (t - 1) * frame);
      engine.step(t);
      while (cp < at.length && at[cp] === t) {
        engine.read(outBuf.id, row);
        sums[cp].set(row, s * outSize);
        for (let p = 0; p < engine.spikes.length; p++) spikes[cp][p] += engine.spikes[p];
        cp++;
      }
    }
  }
  return { sums, spikes };
}
