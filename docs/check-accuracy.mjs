// Check the accuracy criteria of the conversion and quantization issues on docs/accuracy/*.json.
import { readFileSync } from 'node:fs';
const read = (f) => JSON.parse(readFileSync(new URL(`accuracy/${f}.json`, import.meta.url)));
const pick = (j, method) => j.methods.find((m) => m.method.name === method);
const at = (points, T) => points.find((p) => p.T === T).accuracy * 100;
let ok = true;
const check = (what, value, bound) => {
  const pass = value <= bound;
  ok &&= pass;
  console.log(`${pass ? 'ok  ' : 'FAIL'} ${what}: ${value.toFixed(2)} pt (bound ${bound})`);
};
for (const m of ['mlp', 'cnn-bn', 'cnn-fused', 'dwsep', 'resnet', 'vgg-maxpool']) {
  const j = read(`fmnist-${m}`);
  check(`fmnist-${m}: ANN - SNN(chp99.9, soft reset, θ/2) at T=64`, j.ann.accuracy * 100 - at(pick(j, 'chp99.9-subtract-half').snn, 64), 0.5);
}
const q = read('fmnist-qcfs');
check('fmnist-qcfs: ANN - SNN at T=8', q.ann.accuracy * 100 - at(pick(q, 'chp99.9-subtract-half').snn, 8), 1.0);
for (const m of ['cnn-bn', 'resnet']) {
  const j = read(`fmnist-${m}-int8`);
  const r = j.methods ? j.methods[0] : j;
  check(`fmnist-${m}: |float SNN - int8 SNN| at T=32`, Math.abs(at(r.snn, 32) - at(r.fixed, 32)), 0.3);
}
process.exit(ok ? 0 : 1);
