/**
 * The temporal-misalignment experiment (Bojković et al., ICML 2025; ../shared/docs/algorithms.md
 * §7.1) on the float SNN: layer by layer, each population's output spike train over the T steps
 * is shuffled in time before the next layer hears it, keeping every neuron's spike count.
 *
 *   for ℓ = 1..L:  run the network with populations < ℓ replaying their shuffled trains and record
 *                  S^ℓ[1..T];  S^ℓ[t] := S^ℓ[π(t)]
 *   then run once more with every population replaying: the readout of that run is the output.
 *
 * π is drawn per sample and per population (`layer`: one permutation for all its neurons) or per
 * neuron (`neuron`, the default: each neuron's train shuffled on its own), from a generator keyed
 * by (seed, sample, population[, neuron]), so results do not depend on chunking or threads. The
 * paper does not say which granularity it used; both are selectable. The float SNN only: this is
 * an experiment, not a deployable network (it needs all T outputs of a layer before the next runs).
 */
import { SnncError } from '../../ir/diagnostics.js';
import { isLayerMajor } from '../../ir/tpp.js';
import type { Graph } from '../../ir/types.js';
import { Rng, subSeed } from '../util/rng.js';
import { runAnn } from './ann.js';
import type { Images } from '../data/dataset.js';
import { mapChunks } from './pool.js';
import { chunks, concatChunks, spikingChunk } from './run-ann.js';
import type { FloatSimulator } from './snn-float.js';
import type { SamplesChunk } from './tasks.js';

export type PermuteGranularity = 'neuron' | 'layer';

export interface PermuteSettings {
  readonly seed: number;
  readonly granularity: PermuteGranularity;
  /** Steps run (at most the graph's T): the trains are shuffled over 1..steps. */
  readonly steps: number;
}

/** A uniformly random permutation of 0..T-1 (Fisher–Yates). */
function permutation(T: number, rng: Rng): Int32Array {
  const p = Int32Array.from({ length: T }, (_, i) => i);
  for (let i = T - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const x = p[i];
    p[i] = p[j];
    p[j] = x;
  }
  return p;
}

/** Shuffles a train [T x size] (HWC rows) in time. */
function shuffle(train: Float32Array, T: number, size: number, s: PermuteSettings, sample: number, layer: number): Float32Array {
  const out = new Float32Array(train.length);
  if (s.granularity === 'layer') {
    const p = permutation(T, new Rng(subSeed(s.seed, `permute:${sample}`, layer)));
    for (let t = 0; t < T; t++) out.set(train.subarray(p[t] * size, (p[t] + 1) * size), t * size);
    return out;
  }
  const rng = new Rng(subSeed(s.seed, `permute:${sample}`, layer));
  for (let i = 0; i < size; i++) {
    const p = permutation(T, rng);
    for (let t = 0; t < T; t++) out[t * size + i] = train[p[t] * size + i];
  }
  return out;
}

/** Readout sums [count x outputs] of a chunk whose first sample has global index `first`. */
export function simulatePermutedChunk(sim: FloatSimulator, chunk: SamplesChunk & { first: number }, s: PermuteSettings): Float64Array {
  const { engine, boundary } = sim;
  const T = s.steps;
  const pops = engine.populations;
  const statics = runAnn(sim.staticGraph, [{ shape: [chunk.count, ...chunk.sampleShape], data: chunk.data }]);
  const outBuf = engine.plan.outputs[0];
  const sums = new Float64Array(chunk.count * outBuf.size);
  const row = new Float64Array(outBuf.size);
  for (let n = 0; n < chunk.count; n++) {
    const trains: Float32Array[] = [];
    const run = (): void => {
      engine.begin();
      boundary.forEach((id, q) => engine.setStatic(id, statics[q].data, (n * statics[q].data.length) / chunk.count));
      for (let t = 1; t <= T; t++) engine.step(t);
    };
    for (let k = 0; k <= pops.length; k++) {
      const recorded = k < pops.length ? new Float32Array(T * pops[k].size) : undefined;
      engine.afterPopulation = (j, t) => {
        const store = engine.plan.bufs.get(pops[j].id)!.store;
        const size = pops[j].size;
        if (j < k) {
          // replay the shuffled train; the event list names the new spikes (the unit clears them next step)
          const src = trains[j].subarray((t - 1) * size, t * size);
          store.data.set(src);
          let e = 0;
          for (let i = 0; i < size; i++) if (src[i] !== 0) store.ev[e++] = i;
          store.nev = e;
          store.sparse = true;
        } else if (j === k && recorded) recorded.set(store.data.subarray(0, size), (t - 1) * size);
      };
      run();
      if (recorded) trains.push(shuffle(recorded, T, pops[k].size, s, chunk.first + n, k));
    }
    engine.afterPopulation = undefined;
    engine.read(outBuf.id, row);
    sums.set(row, n * outBuf.size);
  }
  return sums;
}

/** Runs the experiment over a data set on the worker pool: the readout sums [count x outputs] after `steps` steps. */
export async function simulatePermuted(g: Graph, images: Images, settings: PermuteSettings, threads: number, onProgress?: (n: number) => void): Promise<Float64Array> {
  if (isLayerMajor(g)) throw new SnncError('SNN0407', 'the permutation experiment runs step-major IF networks; a TPP network already fires at random steps');
  const size = spikingChunk(images.count, threads);
  const samples = chunks(images, size);
  const parts = { length: samples.length, at: (k: number) => ({ ...samples.at(k)!, first: k * size }) };
  const results = await mapChunks<{ graph: Graph; settings: PermuteSettings }, SamplesChunk & { first: number }, Float64Array>('snn-float-permuted', { graph: g, settings }, parts, threads, onProgress);
  return concatChunks(results, Float64Array);
}
