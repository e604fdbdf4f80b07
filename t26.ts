import { importOnnxFile } from './src/frontend/onnx/import.ts';
import { prepareAnn, calibrate, toSnn } from './src/pipeline.ts';
import { loadImages } from './src/data/dataset.ts';
import { DEFAULT_METHOD } from './src/methods.ts';
import { chunks } from './src/exec/run-ann.ts';
import { floatSimulator, simulateFloatChunk } from './src/exec/snn-float.ts';
const name = process.argv[2] ?? 'fmnist-resnet';
const g = importOnnxFile(`examples/models/${name}.onnx`);
const ann = prepareAnn(g);
const stats = await calibrate(ann, loadImages('examples/data/fmnist-calib-images.npy', g.nodes[0].type, 1/255, 256), 1);
const data = loadImages('examples/data/fmnist-test-images.npy', g.nodes[0].type, 1/255, 128);
const sim = floatSimulator(toSnn(ann, stats, DEFAULT_METHOD, 32));
for (let r = 0; r < 2; r++) { const t0 = performance.now(); chunks(data).map((c) => simulateFloatChunk(sim, c, [32])); console.log((128 * 32 / ((performance.now() - t0) / 1000)).toFixed(0), 'img-steps/s'); }
