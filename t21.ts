import { importOnnxFile } from './src/frontend/onnx/import.ts';
import { prepareAnn, calibrate, toSnn, toFixed } from './src/pipeline.ts';
import { loadImages } from './src/data/dataset.ts';
import { PRESETS } from './src/methods.ts';
import { loadTargetFile } from './targets/target.ts';
import { FixedInterpreter } from './ir/interp-fixed.ts';
const name = process.argv[2] ?? 'fmnist-cnn-bn';
const N = 100, T = 32;
const g = importOnnxFile(`examples/models/${name}.onnx`);
const ann = prepareAnn(g);
const stats = await calibrate(ann, loadImages('examples/data/fmnist-calib-images.npy', g.nodes[0].type, 1/255, 256), 1);
const fixed = toFixed(toSnn(ann, stats, PRESETS['p99.9-subtract-half'], T), loadTargetFile('targets/c/target.json'), { inputScale: 1/255 });
const data = loadImages('examples/data/fmnist-test-images.npy', g.nodes[0].type, 1/255, N);
const interp = new FixedInterpreter(fixed);
for (let r = 0; r < 2; r++) { const t0 = performance.now(); for (let s = 0; s < N; s++) interp.run(data.raw!, s * 784); console.log(name, (N * T / ((performance.now() - t0) / 1000)).toFixed(0), 'img-steps/s'); }
