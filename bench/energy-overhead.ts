/**
 * Benchmark: what activity counting (src/energy/activity.ts) adds to simulation time. The
 * baseline is the reference interpreter on the same integer network and samples, without the
 * counter, measured in the same run, one thread, the two interleaved over several rounds (the
 * fastest round of each is kept). Prints counting / baseline (the goal: at most 1.15) and, less
 * exposed to the machine's noise, the share of the counting run spent inside the counter.
 *
 *   npm run build && node dist/bench/energy-overhead.js [model,model,...] [images] [T] [rounds]
 */
import { FixedInterpreter } from '../ir/interp-fixed.js';
import { ActivityCounter } from '../src/energy/activity.js';
import { runFixedChunk } from '../src/exec/run-fixed.js';
import { fixtureNetwork } from './fixture-network.js';

const models = (process.argv[2] ?? 'fmnist-cnn-bn,fmnist-resnet').split(',');
const n = Number(process.argv[3] ?? 200);
const T = Number(process.argv[4] ?? 32);
const rounds = Number(process.argv[5] ?? 5);

console.log(`activity counting overhead: ${n} images x T=${T}, one thread, best of ${rounds} interleaved rounds`);
console.log('model                 baseline s   counting s   counting / baseline   inside the counter');
for (const model of models) {
  const { fixed, samples } = await fixtureNetwork(model, n, T);
  const interp = new FixedInterpreter(fixed);
  let inside = 0;
  const timedCounter = (): ActivityCounter => {
    const c = new ActivityCounter(fixed, interp.engine);
    const step = c.step.bind(c);
    c.step = (t) => {
      const a = performance.now();
      step(t);
      inside += performance.now() - a;
    };
    return c;
  };
  const time = (count: boolean): number => {
    const t0 = performance.now();
    runFixedChunk(interp, samples, [T], count ? timedCounter : undefined);
    return (performance.now() - t0) / 1000;
  };
  time(false);
  time(true); // warm up both paths
  let base = Infinity;
  let counting = Infinity;
  let share = 0;
  for (let r = 0; r < rounds; r++) {
    base = Math.min(base, time(false));
    inside = 0;
    const c = time(true);
    if (c < counting) {
      counting = c;
      share = inside / 1000 / c;
    }
  }
  console.log(`${model.padEnd(20)}${base.toFixed(3).padStart(12)}${counting.toFixed(3).padStart(13)}${(counting / base).toFixed(3).padStart(22)}${`${(100 * share).toFixed(1)} %`.padStart(21)}`);
}
