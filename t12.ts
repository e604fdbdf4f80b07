import { importOnnxFile } from './src/frontend/onnx/import.ts';
import { prepareAnn, calibrate, toSnn } from './src/pipeline.ts';
import { loadImages } from './src/data/dataset.ts';
import { PRESETS } from './src/methods.ts';
import { chunks } from './src/exec/run-ann.ts';
import { floatSimulator, simulateFloatChunk } from './src/exec/snn-float.ts';
const name = process.argv[2] ?? 'fmnist-cnn-bn';
const N = 256;
const g = importOnnxFile(`examples/models/${name}.onnx`);
const ann = prepareAnn(g);
const calib = loadImages('examples/data/fmnist-calib-images.npy', g.nodes[0].type, 1/255, 256);
const stats = await calibrate(ann, calib, 1);
const data = loadImages('examples/data/fmnist-test-images.npy', g.nodes[0].type, 1/255, N);
const snn = toSnn(ann, stats, PRESETS['p99.9-subtract-half'], 32);
const sim = floatSimulator(snn);
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  chunks(data).map((c) => simulateFloatChunk(sim, c, [32]));
  console.log(name, (N * 32 / ((performance.now() - t0) / 1000)).toFixed(0), 'img-steps/s');
}
