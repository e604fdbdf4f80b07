/**
 * Benchmark: what activity counting (src/energy/activity.ts) adds to simulation time. The
 * baseline is the reference interpreter on the same integer network and samples, without the
 * counter, measured in the same run, one thread, the two interleaved over several rounds (the
 * fastest round of each is kept). Prints counting / baseline; the goal is at most 1.15.
 *
 *   npm run build && node dist/bench/energy-overhead.js [model,model,...] [images] [T] [rounds]
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FixedInterpreter } from '../ir/interp-fixed.js';
import { cTarget } from '../targets/c/index.js';
import { loadImages } from '../src/data/dataset.js';
import { integerSamples } from '../src/data/integer.js';
import { ActivityCounter } from '../src/energy/activity.js';
import { runFixedChunk } from '../src/exec/run-fixed.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { DEFAULT_METHOD } from '../src/methods.js';
import { calibrate, prepareAnn, toFixed, toSnn } from '../src/pipeline.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const models = (process.argv[2] ?? 'fmnist-cnn-bn,fmnist-resnet').split(',');
const n = Number(process.argv[3] ?? 200);
const T = Number(process.argv[4] ?? 32);
const rounds = Number(process.argv[5] ?? 5);

console.log(`activity counting overhead: ${n} images x T=${T}, one thread, best of ${rounds} interleaved rounds`);
console.log('model                 baseline s   counting s   counting / baseline');
for (const model of models) {
  const g = importOnnxFile(join(root, `examples/models/${model}.onnx`));
  const ann = prepareAnn(g);
  const inputType = g.nodes.find((x) => x.op === 'input')!.type;
  const stats = await calibrate(ann, loadImages(join(root, 'examples/data/fmnist-calib-images.npy'), inputType, 1 / 255), 2);
  const fixed = toFixed(toSnn(ann, stats, DEFAULT_METHOD, T), cTarget(), { inputScale: 1 / 255 });
  const samples = integerSamples(fixed, loadImages(join(root, 'examples/data/fmnist-test-images.npy'), inputType, 1 / 255, n));
  const interp = new FixedInterpreter(fixed);
  const time = (count: boolean): number => {
    const t0 = performance.now();
    runFixedChunk(interp, samples, [T], count ? () => new ActivityCounter(fixed, interp.engine) : undefined);
    return (performance.now() - t0) / 1000;
  };
  time(false);
  time(true); // warm up both paths
  let base = Infinity;
  let counting = Infinity;
  for (let r = 0; r < rounds; r++) {
    base = Math.min(base, time(false));
    counting = Math.min(counting, time(true));
  }
  console.log(`${model.padEnd(20)}${base.toFixed(3).padStart(12)}${counting.toFixed(3).padStart(13)}${(counting / base).toFixed(3).padStart(22)}`);
}
