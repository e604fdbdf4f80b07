/**
 * Benchmark: the MMSE threshold search (balance-thresholds.ts) on one channel of MMSE_SAMPLES
 * (2^20) activations, the most it scores: the sorted prefix-sum search against the baseline, the
 * 95-pass definition (test/helpers/mmse-reference.ts), same θ required. Activations are drawn
 * half-normal with a log-normal tail (seeded), like a ReLU layer's.
 *
 *   npm run build && node dist/bench/mmse.js [T,T,...]
 */
import { ChannelStats } from '../src/passes/activation-stats.js';
import { MMSE_SAMPLES, mmseThreshold } from '../src/passes/balance-thresholds.js';
import { mmseThresholdReference } from '../test/helpers/mmse-reference.js';

const steps = (process.argv[2] ?? '4,8,64').split(',').map(Number);
let seed = 5;
const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) + 0.5) / 2 ** 32;
const gauss = (): number => Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
const data = Float32Array.from({ length: MMSE_SAMPLES }, (_, i) => (i % 100 === 0 ? Math.exp(gauss()) : Math.abs(gauss())));
const stats = ChannelStats.of(data);
const values = stats.values()!;

const time = (f: () => number): { theta: number; ms: number } => {
  const t0 = performance.now();
  const theta = f();
  return { theta, ms: performance.now() - t0 };
};
console.log(`one channel of ${MMSE_SAMPLES} activations; baseline: the 95-pass definition`);
console.log('T      95-pass ms   sorted ms   speed-up   same θ');
for (const T of steps) {
  const base = time(() => mmseThresholdReference(values, T));
  const fast = time(() => mmseThreshold(stats, T));
  console.log(`${String(T).padEnd(6)} ${base.ms.toFixed(0).padStart(10)} ${fast.ms.toFixed(0).padStart(11)} ${(base.ms / fast.ms).toFixed(1).padStart(9)}×   ${base.theta === fast.theta ? 'yes' : `NO (${base.theta} vs ${fast.theta})`}`);
  if (base.theta !== fast.theta) process.exitCode = 1;
}
