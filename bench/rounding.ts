/**
 * Benchmark: how closely the integer network follows its float one under each rounding rule of
 * quantize — weights nearest or GPTQ (--weight-rounding), neuron constants per step or on their
 * running sums (--neuron-rounding). Baseline: nearest / step, the default, in the same run. For
 * each rule: integer accuracy, and the samples whose integer argmax differs from the float
 * network's (the float SNN is the reference the integer one approximates; accuracy alone moves
 * by chance in either direction).
 *
 *   npm run build && node dist/bench/rounding.js MODEL.onnx T METHOD [LIMIT] [WEIGHT_BITS]
 *   e.g. node dist/bench/rounding.js examples/models/fmnist-qcfs-dwsep.onnx 8 qcfs+tpp-round 10000
 */
import { loadImages, loadLabels } from '../src/data/dataset.js';
import { integerSamples } from '../src/data/integer.js';
import { simulateFloat } from '../src/exec/run-snn.js';
import { simulateFixed } from '../src/exec/run-fixed.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { presetsByName } from '../src/methods.js';
import { calibrate, prepareAnn, toFixed, toSnn, type NeuronRoundingRule, type WeightRoundingRule } from '../src/pipeline.js';
import { targetByName } from '../targets/index.js';

const [model, stepsText, method, limitText = '2000', bitsText = '8'] = process.argv.slice(2);
if (!model || !stepsText || !method) {
  console.error('usage: node dist/bench/rounding.js MODEL.onnx T METHOD [LIMIT] [WEIGHT_BITS]');
  process.exit(2);
}
const T = Number(stepsText);
const threads = 2;
const g = importOnnxFile(model);
const ann = prepareAnn(g);
const input = { shape: g.nodes[0].type.shape };
const calib = loadImages('examples/data/fmnist-calib-images.npy', input, 1 / 255);
const data = loadImages('examples/data/fmnist-test-images.npy', input, 1 / 255, Number(limitText));
const labels = loadLabels('examples/data/fmnist-test-labels.npy', data.count);
const snn = toSnn(ann, await calibrate(ann, calib, threads), presetsByName(method)[0], T, calib);
const target = targetByName('c').desc();
const float = (await simulateFloat(snn, data, [T], threads)).predictions[0];
const hits = (p: Int32Array): number => p.reduce((n, c, i) => n + (c === labels[i] ? 1 : 0), 0);
console.log(`${model}, ${method}, T=${T}, ${data.count} test images, ${bitsText}-bit weights (C target)`);
console.log(`float SNN ${((100 * hits(float)) / data.count).toFixed(2)} %`);
console.log('weights   neurons   integer %   differs from float   vs nearest/step   overflows   seconds');
const rules: [WeightRoundingRule, NeuronRoundingRule][] = [
  ['nearest', 'step'],
  ['gptq', 'step'],
  ['nearest', 'running'],
  ['gptq', 'running'],
];
let baseline = 0;
for (const [weightRounding, neuronRounding] of rules) {
  const t0 = performance.now();
  const fixed = toFixed(snn, target, { inputScale: 1 / 255, weightBits: Number(bitsText), weightRounding, neuronRounding, calib });
  const run = await simulateFixed(fixed, integerSamples(fixed, data), [T], threads);
  const pred = run.predictions[0];
  const differs = pred.reduce((n, c, i) => n + (c !== float[i] ? 1 : 0), 0);
  if (weightRounding === 'nearest' && neuronRounding === 'step') baseline = differs;
  const overflows = run.overflow.reduce((n, u) => n + u.acc + u.v, 0);
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `${weightRounding.padEnd(10)}${neuronRounding.padEnd(10)}${((100 * hits(pred)) / data.count).toFixed(2).padStart(9)}${String(differs).padStart(21)}${(differs / baseline).toFixed(2).padStart(18)}${String(overflows).padStart(12)}${seconds.toFixed(1).padStart(10)}`,
  );
}
