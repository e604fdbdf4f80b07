import { importOnnxFile } from './src/frontend/onnx/import.ts';
import { prepareAnn, calibrate, toSnn } from './src/pipeline.ts';
import { loadImages, loadLabels, argmaxRows, accuracy } from './src/data/dataset.ts';
import { PRESETS } from './src/methods.ts';
import { chunks } from './src/exec/run-ann.ts';
import { floatSimulator, simulateFloatChunk } from './src/exec/snn-float.ts';
import { printText } from './ir/text/print.ts';
const name = process.argv[2] ?? 'fmnist-cnn-bn';
const N = Number(process.argv[3] ?? 500);
const g = importOnnxFile(`examples/models/${name}.onnx`);
const ann = prepareAnn(g);
const calib = loadImages('examples/data/fmnist-calib-images.npy', g.nodes[0].type, 1/255);
const stats = await calibrate(ann, calib, 1);
const data = loadImages('examples/data/fmnist-test-images.npy', g.nodes[0].type, 1/255, N);
const labels = loadLabels('examples/data/fmnist-test-labels.npy', N);
const cps = [1, 2, 4, 8, 16, 32, 64];
for (const m of [PRESETS['max-zero'], PRESETS['p99.9-subtract-half']]) {
  const snn = toSnn(ann, stats, m, 64);
  if (m.name === 'max-zero' && process.argv[4]) console.log(printText(snn).split('\n').filter(l => !l.startsWith('const')).join('\n'));
  const sim = floatSimulator(snn);
  const t0 = performance.now();
  const res = chunks(data).map((c) => simulateFloatChunk(sim, c, cps));
  const dt = (performance.now() - t0) / 1000;
  const accs = cps.map((t, k) => { const all = new Float64Array(N * 10); let at = 0; for (const r of res) { all.set(r.sums[k], at); at += r.sums[k].length; } return (accuracy(argmaxRows(all, N, 10), labels) * 100).toFixed(2); });
  const rates = res.reduce((acc, r) => acc.map((v, i) => v + r.spikes[cps.length - 1][i]), new Array(sim.engine.populations.length).fill(0)).map((s, i) => (s / (sim.engine.populations[i].size * 64 * N)).toFixed(3));
  console.log(m.name.padEnd(22), accs.join(' '), `| ${(N * 64 / dt).toFixed(0)} img-steps/s | rates ${rates.join(' ')}`);
}
