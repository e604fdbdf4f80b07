import { importOnnxFile } from './src/frontend/onnx/import.ts';
import { prepareAnn, calibrate, toSnn } from './src/pipeline.ts';
import { loadImages } from './src/data/dataset.ts';
import { PRESETS } from './src/methods.ts';
import { runAnn } from './src/exec/ann.ts';
import { floatSimulator } from './src/exec/snn-float.ts';
const name = process.argv[2] ?? 'fmnist-dwsep';
const p = Number(process.argv[3] ?? 99.9);
const T = Number(process.argv[4] ?? 64);
const N = 100;
const g = importOnnxFile(`examples/models/${name}.onnx`);
const ann = prepareAnn(g);
const stats = await calibrate(ann, loadImages('examples/data/fmnist-calib-images.npy', g.nodes[0].type, 1/255), 1);
const snn = toSnn(ann, stats, { ...PRESETS['chp99.9-subtract-half'], threshold: { kind: 'channel-percentile', p } }, T);
const data = loadImages('examples/data/fmnist-test-images.npy', g.nodes[0].type, 1/255, N);
const acts = new Map<string, Float32Array>();
runAnn(ann, [{ shape: [N, 1, 28, 28], data: data.data }], { onValue: (n, t) => { if (n.op === 'relu') acts.set(n.id, t.data); } });
const sim = floatSimulator(snn);
const eng = sim.engine;
const ids = [...acts.keys()];
const sums = new Map(ids.map((id) => [id, new Float64Array(acts.get(id)!.length)]));
const statics = runAnn(sim.staticGraph, [{ shape: [N, 1, 28, 28], data: data.data }]);
for (let s = 0; s < N; s++) {
  eng.begin();
  sim.boundary.forEach((id, k) => eng.setStatic(id, statics[k].data, s * statics[k].data.length / N));
  for (let t = 1; t <= T; t++) {
    eng.step(t);
    for (const id of ids) { const size = acts.get(id)!.length / N; const out = eng.read(id) as Float64Array; const acc = sums.get(id)!; for (let i = 0; i < size; i++) acc[s * size + i] += out[i]; }
  }
}
for (const id of ids) {
  const a = acts.get(id)!, r = sums.get(id)!;
  let se = 0, sa = 0, bias = 0;
  for (let i = 0; i < a.length; i++) { const d = r[i] / T - a[i]; se += d * d; sa += a[i] * a[i]; bias += d; }
  console.log(id.padEnd(16), 'rel rmse', Math.sqrt(se / sa).toFixed(3), 'mean err', (bias / a.length).toFixed(4), 'mean act', (a.reduce((x, y) => x + y, 0) / a.length).toFixed(4));
}
