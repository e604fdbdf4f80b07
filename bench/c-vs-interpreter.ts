/**
 * Benchmark: throughput (images x steps per second) of the emitted C (cc -O2, the host program,
 * no digests) against the TypeScript reference interpreter, same integer network, same samples,
 * one thread each, measured in one run. Prints the ratio interpreter / C.
 *
 *   npm run build && node dist/bench/c-vs-interpreter.js [model] [images] [T]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FixedInterpreter } from '../ir/interp-fixed.js';
import { emitCProgram } from '../targets/c/index.js';
import { buildProgram, encodeSamples } from '../src/verify-c.js';
import { fixtureNetwork } from './fixture-network.js';

const model = process.argv[2] ?? 'fmnist-cnn-bn';
const n = Number(process.argv[3] ?? 500);
const T = Number(process.argv[4] ?? 32);

const { fixed, samples } = await fixtureNetwork(model, n, T);

const dir = mkdtempSync(join(tmpdir(), 'snnc-bench-c-'));
for (const f of emitCProgram(fixed, 'model')) writeFileSync(join(dir, f.path), f.contents);
const exe = buildProgram(dir, ['model'], { cc: process.env.CC ?? 'cc', cflags: ['-std=c99', '-O2'] });
writeFileSync(join(dir, 'in.bin'), encodeSamples(samples));

const t0 = performance.now();
const r = spawnSync(exe, ['--input', join(dir, 'in.bin')], { encoding: 'utf8', maxBuffer: 1 << 26 });
const cSeconds = (performance.now() - t0) / 1000;
if (r.status !== 0) throw new Error(r.stderr);

const interp = new FixedInterpreter(fixed);
interp.run(samples.data, 0); // warm-up
const t1 = performance.now();
const outs: string[] = [];
for (let s = 0; s < n; s++) outs.push(`out ${s} ${Array.from(interp.run(samples.data, s * samples.size)).join(' ')}`);
const tsSeconds = (performance.now() - t1) / 1000;
const same = r.stdout.split('\n').filter((l) => l.startsWith('out ')).every((l, i) => l === outs[i]);

console.log(`model ${model}, ${n} images, T=${T}, one thread each`);
console.log(`  C (cc -O2)            ${((n * T) / cSeconds).toFixed(0).padStart(8)} image-steps/s  (${cSeconds.toFixed(2)} s, includes process start and output)`);
console.log(`  TS interpreter        ${((n * T) / tsSeconds).toFixed(0).padStart(8)} image-steps/s  (${tsSeconds.toFixed(2)} s)`);
console.log(`  ratio interpreter / C: ${(cSeconds / tsSeconds).toFixed(2)}x; outputs identical: ${same}`);
