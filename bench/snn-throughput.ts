/**
 * Benchmark: float SNN simulation throughput (images x steps per second) of snnc's TypeScript
 * simulator against the same simulation written with PyTorch (bench/torch_snn.py, Debian's
 * python3-torch on the CPU), same converted model, same T, same images, same thread count,
 * measured in one run. Prints the ratio TS / PyTorch and the agreement of the predictions.
 *
 *   npm run build && node dist/bench/snn-throughput.js [model] [images] [T] [threads] [data.npy scale]
 *
 * `model` is a bundled model's name or an .onnx path; `data.npy` (uint8, read with `scale`)
 * serves as calibration and test images for a model of another input shape (bench/scale.ts
 * writes one for 224×224).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isConstRef, type Graph } from '../ir/types.js';
import { loadImages, parseScale } from '../src/data/dataset.js';
import { encodeNpy } from '../src/data/npy.js';
import { simulateFloat } from '../src/exec/run-snn.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { DEFAULT_METHOD } from '../src/methods.js';
import { calibrate, prepareAnn, toSnn } from '../src/pipeline.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const model = process.argv[2] ?? 'fmnist-cnn-bn';
const n = Number(process.argv[3] ?? 1024);
const T = Number(process.argv[4] ?? 32);
const threads = Number(process.argv[5] ?? 2);
const dataPath = process.argv[6];
const scale = process.argv[7] ? parseScale(process.argv[7]) : 1 / 255;

function exportForTorch(g: Graph, dir: string): void {
  const consts: Record<string, string> = {};
  for (const c of g.consts.values()) {
    const file = `${c.id}.npy`;
    writeFileSync(join(dir, file), encodeNpy(c.type.shape, c.data instanceof Float32Array ? c.data : Float32Array.from(c.data)));
    consts[c.id] = file;
  }
  const nodes = g.nodes.map((n) => {
    const th = n.attrs.threshold;
    return {
      id: n.id,
      op: n.op,
      inputs: n.inputs.filter((r) => r.kind === 'value').map((r) => r.id),
      consts: n.inputs.filter((r) => r.kind === 'const').map((r) => r.id),
      attrs: n.attrs,
      ...(isConstRef(th) ? { theta: th.const } : {}),
    };
  });
  writeFileSync(join(dir, 'graph.json'), JSON.stringify({ nodes, consts, outputs: g.outputs, input_scale: scale }));
}

const g = importOnnxFile(model.endsWith('.onnx') ? model : join(root, `examples/models/${model}.onnx`));
const ann = prepareAnn(g);
const inputType = g.nodes.find((x) => x.op === 'input')!.type;
const stats = await calibrate(ann, loadImages(dataPath ?? join(root, 'examples/data/fmnist-calib-images.npy'), inputType, scale, dataPath ? 256 : undefined), threads);
const snn = toSnn(ann, stats, DEFAULT_METHOD, T);
const images = dataPath ?? join(root, 'examples/data/fmnist-test-images.npy');
const data = loadImages(images, inputType, scale, n);
const per = data.data.length / data.count;

const dir = mkdtempSync(join(tmpdir(), 'snnc-bench-'));
exportForTorch(snn, dir);

const first = (k: number): typeof data => ({ ...data, count: k, data: data.data.subarray(0, k * per) });
await simulateFloat(snn, first(Math.min(64, n)), [T], threads); // warm-up
// Start-up of a run: the worker pool, each worker's engine, one image per worker for one step.
// PyTorch's time below excludes its own start-up (model already loaded, warmed up), so the
// like-for-like figure is the steady rate: the run's time less this start-up.
let t0 = performance.now();
await simulateFloat(snn, first(Math.min(threads, n)), [1], threads);
const startup = (performance.now() - t0) / 1000;
t0 = performance.now();
const ts = await simulateFloat(snn, data, [T], threads);
const tsSeconds = (performance.now() - t0) / 1000;
const tsRate = (n * T) / tsSeconds;
const steadyRate = (n * T) / Math.max(tsSeconds - startup, 1e-9);

const py = spawnSync('/usr/bin/python3', [join(root, 'bench/torch_snn.py'), dir, images, String(n), String(T), String(threads)], { encoding: 'utf8', maxBuffer: 1 << 26 });
if (py.status !== 0) {
  process.stderr.write(py.stderr);
  process.stderr.write('PyTorch baseline failed (needs Debian python3-torch: apt-get install python3-torch)\n');
  process.exit(1);
}
const torch = JSON.parse(py.stdout.trim().split('\n').pop()!) as { imageStepsPerSecond: number; seconds: number; predictions: number[] };
const tsPred = ts.predictions[0];
const agree = torch.predictions.filter((p, i) => p === tsPred[i]).length / n;

console.log(`model ${model}, ${n} images, T=${T}, ${threads} threads, method ${DEFAULT_METHOD.name}`);
console.log(`  snnc (TypeScript)  ${tsRate.toFixed(0).padStart(8)} image-steps/s  (${tsSeconds.toFixed(2)} s, start-up included)`);
console.log(`  snnc, steady       ${steadyRate.toFixed(0).padStart(8)} image-steps/s  (less the start-up: ${startup.toFixed(2)} s for the pool, its engines and one step)`);
console.log(`  PyTorch ${spawnSync('/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim().padEnd(10)} ${torch.imageStepsPerSecond.toFixed(0).padStart(8)} image-steps/s  (${torch.seconds.toFixed(2)} s)`);
console.log(`  ratio TS / PyTorch: ${(tsRate / torch.imageStepsPerSecond).toFixed(2)}x with start-up, ${(steadyRate / torch.imageStepsPerSecond).toFixed(2)}x steady; predictions agree on ${(agree * 100).toFixed(2)} % of images`);
