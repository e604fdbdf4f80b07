/**
 * Where a step of the float spiking engine goes: one thread, per operation kind and per
 * operation, milliseconds per step and the input spike rate of each projection; plus the static
 * part (the first convolution, through the float executor) per image. The figures of
 * docs/engine.md "Where a ResNet-18 step goes" come from it.
 *
 *   npm run build && node dist/bench/engine-profile.js [model.onnx] [T=8] [images=4] [data.npy] [scale=1/64]
 *
 * Default: out/bench-scale/resnet18.onnx and its images (bench/scale.ts writes both).
 */
import { join } from 'node:path';
import { events } from '../ir/engine/kernels.js';
import type { PlanOp } from '../ir/engine/plan.js';
import { loadImages, parseScale } from '../src/data/dataset.js';
import { runAnn } from '../src/exec/ann.js';
import { floatSimulator } from '../src/exec/snn-float.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { DEFAULT_METHOD } from '../src/methods.js';
import { calibrate, prepareAnn, toSnn } from '../src/pipeline.js';
import { ROOT } from './fixture-network.js';

const model = process.argv[2] ?? join(ROOT, 'out/bench-scale/resnet18.onnx');
const T = Number(process.argv[3] ?? 8);
const n = Number(process.argv[4] ?? 4);
const dataPath = process.argv[5] ?? join(ROOT, 'out/bench-scale/images.npy');
const scale = parseScale(process.argv[6] ?? '1/64');

const ann = prepareAnn(importOnnxFile(model));
const inputType = ann.nodes.find((x) => x.op === 'input')!.type;
const snn = toSnn(ann, await calibrate(ann, loadImages(dataPath, inputType, scale, 64), 2), DEFAULT_METHOD, T);
const sim = floatSimulator(snn);
const engine = sim.engine;
const data = loadImages(dataPath, inputType, scale, n);
const per = data.data.length / n;

const ms = new Map<string, number>();
const rate = new Map<string, number>();
const kindOf = new Map<string, string>();
const add = (k: string, v: number, m = ms): void => void m.set(k, (m.get(k) ?? 0) + v);
// time every operation the engine runs (its private dispatch) and every population's step
const host = engine as unknown as { exec(op: PlanOp, t?: number): void };
const exec = host.exec.bind(engine);
host.exec = (op, t) => {
  if (op.kind === 'conv' || op.kind === 'dense') add(op.node.id, events(op.in) / op.in.size, rate);
  const t0 = performance.now();
  exec(op, t);
  add(op.node.id, performance.now() - t0);
  kindOf.set(op.node.id, op.kind);
};
for (const p of engine.populations) {
  const step = p.unit.step.bind(p.unit);
  p.unit.step = (t) => {
    const t0 = performance.now();
    const r = step(t);
    add(p.id, performance.now() - t0);
    kindOf.set(p.id, 'population');
    return r;
  };
}
let statics = 0;
let steps = 0;
for (let s = 0; s < n; s++) {
  let t0 = performance.now();
  const values = runAnn(sim.staticGraph, [{ shape: [1, ...data.sampleShape], data: data.data.subarray(s * per, (s + 1) * per) }]);
  statics += performance.now() - t0;
  engine.begin();
  sim.boundary.forEach((id, k) => engine.setStatic(id, values[k].data));
  t0 = performance.now();
  for (let t = 1; t <= T; t++) engine.step(t);
  steps += performance.now() - t0;
}
const perStep = (v: number): string => (v / n / T).toFixed(2);
const kinds = new Map<string, number>();
for (const [id, v] of ms) add(kindOf.get(id)!, v, kinds);
console.log(`${model}, T=${T}, ${n} images, one thread`);
console.log(`  static part ${(statics / n).toFixed(1)} ms per image; a step ${perStep(steps)} ms`);
console.log(`  per kind (ms per step): ${[...kinds].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${perStep(v)} (${((100 * v) / steps).toFixed(0)} %)`).join(', ')}`);
for (const [id, v] of [...ms].sort((a, b) => b[1] - a[1]).slice(0, 20)) {
  const r = rate.get(id);
  console.log(`  ${id.padEnd(48)} ${kindOf.get(id)!.padEnd(12)} ${perStep(v).padStart(7)} ms${r === undefined ? '' : `, input rate ${(r / n / T).toFixed(3)}`}`);
}
