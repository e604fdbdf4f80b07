/**
 * What the data-reading calibration passes (ftbc, snn-calibration) share: calibration batches,
 * the ANN's activations of the hidden populations on a batch, and runs of the float SNN on a
 * batch that observe one value at every step.
 */
import { populationShape, spikeAmplitude, thresholdPerNeuron } from '../../ir/neuron-params.js';
import { runSteps } from '../../ir/tpp.js';
import { isConstRef, type Graph, type Node } from '../../ir/types.js';
import type { Images, SampleSource } from '../data/dataset.js';
import { runAnn } from '../exec/ann.js';
import { floatSimulator } from '../exec/snn-float.js';
import type { SamplesChunk } from '../exec/tasks.js';

/** Batch k: B samples, cycling through the set (in memory or streamed: at most two ranges are read). */
export function calibrationBatch(calib: Images | SampleSource, k: number, B: number): SamplesChunk {
  const size = calib.sampleShape.reduce((a, b) => a * b, 1);
  const count = Math.min(B, calib.count);
  const read = 'read' in calib ? (from: number, n: number) => calib.read(from, n) : (from: number, n: number) => calib.data.subarray(from * size, (from + n) * size);
  const data = new Float32Array(count * size);
  const start = (k * B) % calib.count;
  const first = Math.min(count, calib.count - start);
  data.set(read(start, first), 0);
  if (first < count) data.set(read(0, count - first), first * size);
  return { count, sampleShape: calib.sampleShape, data };
}

/** The populations a calibration pass corrects: those made from an ANN activation (not a count readout's). */
export function hiddenPopulations(snn: Graph, ann: Graph): Node[] {
  const annIds = new Set(ann.nodes.map((n) => n.id));
  return snn.nodes.filter((n) => n.op === 'if' && annIds.has(n.id));
}

/** The ANN's values of `ids` on a batch, [count x size] each. */
export function annActivations(ann: Graph, batch: SamplesChunk, ids: readonly string[]): Map<string, Float32Array> {
  const want = new Set(ids);
  const out = new Map<string, Float32Array>();
  runAnn(ann, [{ shape: [batch.count, ...batch.sampleShape], data: batch.data }], { onValue: (node, t) => void (want.has(node.id) && out.set(node.id, t.data)) });
  return out;
}

/**
 * A population's channels, neurons per sample and positions per channel, θ of every neuron (NCHW)
 * and the amplitude A_c its spikes carry. A correction of c_out in output units (what the ANN
 * comparison measures) is c_out θ_i / A_c of membrane, i.e. c_out / A_c in the θ units of vinit
 * and stepbias, whatever θ_i is.
 */
export function populationGeometry(g: Graph, n: Node): { C: number; size: number; HW: number; theta: Float64Array; amplitude: Float64Array } {
  return { ...populationShape(n), theta: thresholdPerNeuron(n, g.consts), amplitude: spikeAmplitude(n, g.consts) };
}

/**
 * Runs the float SNN `g` on every sample of the batch for global steps 1..`until` (default: one
 * inference, T steps or the layer-major schedule's runSteps); after step t of sample s,
 * `onStep(s, t, xs)` sees the values `ids` (NCHW), xs[k] for ids[k]. A value computed before the
 * spiking part (the analog input, a first conv) is present at every step. `onSample(s)` runs
 * before the sample's first step.
 */
export function observeBatch(g: Graph, batch: SamplesChunk, ids: readonly string[], onStep: (s: number, t: number, xs: readonly Float64Array[]) => void, o: { until?: number; onSample?: (s: number) => void } = {}): void {
  const sim = floatSimulator(upstreamOf(g, ids));
  const staticIds = new Set(sim.staticGraph.nodes.map((n) => n.id));
  const fixed = new Map<string, Float64Array>(); // static values, the whole batch
  const statics = runAnn(sim.staticGraph, [{ shape: [batch.count, ...batch.sampleShape], data: batch.data }], {
    onValue: (n, t) => void (staticIds.has(n.id) && ids.includes(n.id) && fixed.set(n.id, Float64Array.from(t.data))),
  });
  const xs = ids.map((id) => new Float64Array(fixed.has(id) ? fixed.get(id)!.length / batch.count : sim.engine.plan.bufs.get(id)!.size));
  const stepped = ids.map((_, k) => k).filter((k) => !fixed.has(ids[k]));
  const until = o.until ?? runSteps(g);
  for (let s = 0; s < batch.count; s++) {
    sim.engine.begin();
    sim.boundary.forEach((bid, q) => sim.engine.setStatic(bid, statics[q].data, (s * statics[q].data.length) / batch.count));
    ids.forEach((id, k) => fixed.has(id) && xs[k].set(fixed.get(id)!.subarray(s * xs[k].length, (s + 1) * xs[k].length)));
    o.onSample?.(s);
    for (let t = 1; t <= until; t++) {
      sim.engine.step(t);
      for (const k of stepped) sim.engine.read(ids[k], xs[k]);
      onStep(s, t, xs);
    }
  }
}

/**
 * The part of `g` that computes `ids`: their ancestors, in graph order, without outputs (the runs read `ids`).
 * A value does not depend on what runs after it, so a run of this graph sees the same values as a
 * run of `g`, without the cost of the layers downstream.
 */
export function upstreamOf(g: Graph, ids: readonly string[]): Graph {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const keep = new Set<string>();
  const stack = [...ids];
  while (stack.length) {
    const id = stack.pop()!;
    if (keep.has(id) || !byId.has(id)) continue;
    keep.add(id);
    for (const r of byId.get(id)!.inputs) if (r.kind === 'value') stack.push(r.id);
  }
  return { ...g, nodes: g.nodes.filter((n) => keep.has(n.id)), outputs: [] };
}

/** Σ over global steps 1..`until` of each value in `ids`, per sample ([count x size] each); `onProgress(1)` after each sample. */
export function observeSums(g: Graph, batch: SamplesChunk, ids: readonly string[], until: number, onProgress?: (samples: number) => void): Map<string, Float64Array> {
  const sums: Float64Array[] = [];
  observeBatch(
    g,
    batch,
    ids,
    (s, t, xs) => {
      xs.forEach((x, k) => {
        const sum = (sums[k] ??= new Float64Array(batch.count * x.length));
        for (let i = 0, at = s * x.length; i < x.length; i++) sum[at + i] += x[i];
      });
      if (t === until) onProgress?.(1);
    },
    { until },
  );
  return new Map(ids.map((id, k) => [id, sums[k]]));
}

/** A stepbias constant's shape and data (θ units): [T, C], or [T, ...neuron shape] per neuron. */
export interface StepBiasTable {
  readonly shape: number[];
  readonly data: Float32Array;
}

/** The population with its stepbias replaced by `table`. */
export function withStepBias(g: Graph, n: Node, table: StepBiasTable, suffix: string): Graph {
  const id = `${n.id}.${suffix}`;
  const consts = new Map(g.consts);
  consts.set(id, { id, type: { dtype: 'f32', shape: table.shape }, data: table.data });
  return { ...g, nodes: g.nodes.map((m) => (m.id === n.id ? { ...m, attrs: { ...m.attrs, stepbias: { const: id } } } : m)), consts };
}

/** A population's stepbias (θ units) as T rows of `width` values: C, or every neuron (NCHW). `at(r, i, c)` reads row r for neuron i of channel c. */
export interface StepBias {
  readonly table: Float32Array;
  readonly width: number;
  at(r: number, i: number, c: number): number;
}

/** A population's stepbias, zeros when it has none; per channel unless the table is per neuron or `perNeuron` asks for it. */
export function stepBiasOf(g: Graph, n: Node, perNeuron = false): StepBias {
  const sb = n.attrs.stepbias;
  const T = g.steps!;
  const { C, size, HW } = populationShape(n);
  const old = isConstRef(sb) ? g.consts.get(sb.const)!.data : new Float32Array(T * C);
  const oldWidth = old.length / T;
  const width = perNeuron ? size : oldWidth;
  const table = width === oldWidth ? Float32Array.from(old) : Float32Array.from({ length: T * width }, (_, k) => old[Math.floor(k / width) * oldWidth + Math.floor((k % width) / HW)]);
  return { table, width, at: (r, i, c) => table[r * width + (width === C ? c : i)] };
}

/**
 * `base` plus term(r, c, i) at every entry: row r, channel c and neuron i (NCHW; in a per-channel
 * table, the channel's first neuron), rounded to float32 once, as a stepbias constant.
 */
export function stepBiasPlus(n: Node, base: StepBias, term: (r: number, c: number, i: number) => number): StepBiasTable {
  const { C, HW } = populationShape(n);
  const { table, width } = base;
  const data = new Float32Array(table.length);
  for (let k = 0; k < table.length; k++) {
    const j = k % width;
    const c = width === C ? j : Math.floor(j / HW);
    data[k] = table[k] + term(Math.floor(k / width), c, width === C ? c * HW : j);
  }
  return { shape: width === C ? [table.length / width, C] : [table.length / width, ...n.type.shape.slice(1)], data };
}
