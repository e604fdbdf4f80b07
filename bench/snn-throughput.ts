/**
 * Benchmark: float SNN simulation throughput (images x steps per second) of snnc's TypeScript
 * simulator against the same simulation written with PyTorch (bench/torch-compare.ts), same
 * converted model, same T, same images, same thread count, measured in one run. Prints the ratio
 * TS / PyTorch (with snnc's start-up, and steady) and the agreement of the predictions.
 *
 *   npm run build && node dist/bench/snn-throughput.js [model] [images] [T] [threads] [data.npy scale]
 *
 * `model` is a bundled model's name or an .onnx path; `data.npy` (uint8, read with `scale`)
 * serves as calibration and test images for a model of another input shape (bench/scale.ts
 * writes one for 224×224).
 */
import { join } from 'node:path';
import { loadImages, parseScale } from '../src/data/dataset.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { DEFAULT_METHOD } from '../src/methods.js';
import { calibrate, prepareAnn, toSnn } from '../src/pipeline.js';
import { ROOT } from './fixture-network.js';
import { compareWithTorch } from './torch-compare.js';

const model = process.argv[2] ?? 'fmnist-cnn-bn';
const n = Number(process.argv[3] ?? 1024);
const T = Number(process.argv[4] ?? 32);
const threads = Number(process.argv[5] ?? 2);
const dataPath = process.argv[6];
const scale = process.argv[7] ? parseScale(process.argv[7]) : 1 / 255;

const g = importOnnxFile(model.endsWith('.onnx') ? model : join(ROOT, `examples/models/${model}.onnx`));
const ann = prepareAnn(g);
const inputType = g.nodes.find((x) => x.op === 'input')!.type;
const stats = await calibrate(ann, loadImages(dataPath ?? join(ROOT, 'examples/data/fmnist-calib-images.npy'), inputType, scale, dataPath ? 256 : undefined), threads);
const snn = toSnn(ann, stats, DEFAULT_METHOD, T);
const images = dataPath ?? join(ROOT, 'examples/data/fmnist-test-images.npy');
const r = await compareWithTorch(snn, loadImages(images, inputType, scale, n), images, scale, T, threads);

console.log(`model ${model}, ${n} images, T=${T}, ${threads} threads, method ${DEFAULT_METHOD.name}`);
console.log(`  snnc (TypeScript)  ${r.snnc.toFixed(0).padStart(8)} image-steps/s  (start-up included)`);
console.log(`  snnc, steady       ${r.snncSteady.toFixed(0).padStart(8)} image-steps/s  (less the start-up: ${r.startup.toFixed(2)} s for the pool, its engines and one step)`);
console.log(`  PyTorch ${r.torchVersion.padEnd(10)} ${r.torch.toFixed(0).padStart(8)} image-steps/s`);
console.log(`  ratio TS / PyTorch: ${(r.snnc / r.torch).toFixed(2)}x with start-up, ${(r.snncSteady / r.torch).toFixed(2)}x steady; predictions agree on ${(r.agree * 100).toFixed(2)} % of images`);
