/**
 * Benchmark: the FTBC pass on a fixture model (default fmnist-resnet, T = 8, the 1,024 bundled
 * calibration images as 4 batches of 256), against the conversion it starts from (calibration
 * statistics + threshold balancing + convert), measured in the same run. Prints both times, the
 * ratio, and the integer network's accuracy without and with the tables on the first test images.
 * The update rule is `batch` (variant (a), default) or `step` (variant (b)); `passes` is its
 * passes over the batches (default 1).
 *
 *   npm run build && node dist/bench/ftbc.js [model] [T] [batches] [batchSize] [test images] [batch|step] [passes]
 */
import { join } from 'node:path';
import { cTarget } from '../targets/c/index.js';
import { accuracy, loadImages, loadLabels } from '../src/data/dataset.js';
import { integerSamples } from '../src/data/integer.js';
import { simulateFixed } from '../src/exec/run-fixed.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { DEFAULT_METHOD } from '../src/methods.js';
import { FTBC_DEFAULTS, FTBC_STEP_DEFAULTS } from '../src/passes/ftbc.js';
import { calibrate, prepareAnn, toFixed, toSnn } from '../src/pipeline.js';
import { Progress } from '../src/cli/progress.js';
import { ROOT } from './fixture-network.js';

const model = process.argv[2] ?? 'fmnist-resnet';
const T = Number(process.argv[3] ?? 8);
const batches = Number(process.argv[4] ?? 4);
const batchSize = Number(process.argv[5] ?? 256);
const n = Number(process.argv[6] ?? 2000);
const update = process.argv[7] === 'step' ? 'step' : 'batch';
const iterations = Number(process.argv[8] ?? 1);

const ann = prepareAnn(importOnnxFile(join(ROOT, `examples/models/${model}.onnx`)));
const spec = { shape: ann.nodes[0].type.shape };
const calib = loadImages(join(ROOT, 'examples/data/fmnist-calib-images.npy'), spec, 1 / 255);
const t0 = performance.now();
const stats = await calibrate(ann, calib, 2);
const base = toSnn(ann, stats, DEFAULT_METHOD, T);
const tConvert = (performance.now() - t0) / 1000;
let bar: Progress | undefined;
const t1 = performance.now();
const withTables = toSnn(ann, stats, { ...DEFAULT_METHOD, ftbc: { alpha: (update === 'step' ? FTBC_STEP_DEFAULTS : FTBC_DEFAULTS).alpha, batches, batchSize, iterations, update } }, T, calib, (total) => {
  const b = (bar = new Progress('ftbc', total));
  return (k) => b.tick(k);
});
const tFtbc = (performance.now() - t1) / 1000;
bar?.finish();
const data = loadImages(join(ROOT, 'examples/data/fmnist-test-images.npy'), spec, 1 / 255, n);
const labels = loadLabels(join(ROOT, 'examples/data/fmnist-test-labels.npy'), n);
const acc = async (g: typeof base): Promise<number> => {
  const fixed = toFixed(g, cTarget(), { inputScale: 1 / 255 });
  const r = await simulateFixed(fixed, integerSamples(fixed, data), [T], 2);
  return accuracy(r.predictions[0], labels);
};
console.log(`${model}, T=${T}, FTBC (${update} rule, ${iterations} pass${iterations > 1 ? 'es' : ''}) on ${batches} batches of ${Math.min(batchSize, calib.count)} calibration images (${calib.count} in the set), 2 threads for the statistics, FTBC on one`);
console.log(`conversion (statistics + thresholds + convert): ${tConvert.toFixed(1)} s; FTBC: ${tFtbc.toFixed(1)} s; FTBC / conversion ${(tFtbc / tConvert).toFixed(2)}`);
console.log(`integer accuracy on ${n} test images: base ${(100 * (await acc(base))).toFixed(2)} %, with FTBC ${(100 * (await acc(withTables))).toFixed(2)} %`);
