/**
 * What the data-reading calibration passes (ftbc, snn-calibration) share: calibration batches,
 * the ANN's activations of the hidden populations on a batch, and runs of the float SNN on a
 * batch that observe one value at every step.
 */
import { attrVector } from '../../ir/ops.js';
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

/** A population's channels, neurons per sample, positions per channel and per-channel θ. */
export function populationGeometry(g: Graph, n: Node): { C: number; size: number; HW: number; theta: Float64Array } {
  const shape = n.type.shape.slice(1);
  const C = shape[0];
  const size = shape.reduce((a, b) => a * b, 1);
  const th = attrVector(n, 'threshold', g.consts)!;
  return { C, size, HW: size / C, theta: th.length === C ? Float64Array.from(th) : new Float64Array(C).fill(th[0]) };
}

/**
 * Runs the float SNN `g` on every sample of the batch for its T steps; after step t of sample s,
 * `onStep(s, t, x)` sees the value `id` (NCHW). `onSample(s)` runs before the sample's first step.
 */
export function observeBatch(g: Graph, batch: SamplesChunk, id: string, onStep: (s: number, t: number, x: Float64Array) => void, onSample?: (s: number) => void): void {
  const sim = floatSimulator(g);
  const statics = runAnn(sim.staticGraph, [{ shape: [batch.count, ...batch.sampleShape], data: batch.data }]);
  const x = new Float64Array(sim.engine.plan.bufs.get(id)!.size);
  for (let s = 0; s < batch.count; s++) {
    sim.engine.begin();
    sim.boundary.forEach((bid, q) => sim.engine.setStatic(bid, statics[q].data, (s * statics[q].data.length) / batch.count));
    onSample?.(s);
    for (let t = 1; t <= g.steps!; t++) {
      sim.engine.step(t);
      sim.engine.read(id, x);
      onStep(s, t, x);
    }
  }
}

/** The population with its stepbias replaced by `table` ([T, C], θ units). */
export function withStepBias(g: Graph, n: Node, table: Float32Array, suffix: string): Graph {
  const T = g.steps!;
  const C = table.length / T;
  const id = `${n.id}.${suffix}`;
  const consts = new Map(g.consts);
  consts.set(id, { id, type: { dtype: 'f32', shape: [T, C] }, data: table });
  return { ...g, nodes: g.nodes.map((m) => (m.id === n.id ? { ...m, attrs: { ...m.attrs, stepbias: { const: id } } } : m)), consts };
}

/** A population's stepbias table ([T, C], θ units), zeros when it has none. */
export function stepBiasOf(g: Graph, n: Node, C: number): Float32Array {
  const sb = n.attrs.stepbias;
  const T = g.steps!;
  if (isConstRef(sb)) return Float32Array.from(g.consts.get(sb.const)!.data);
  return new Float32Array(T * C);
}
