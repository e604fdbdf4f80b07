/**
 * The core target against the emitted C, on the same integer network in the same run:
 *
 *   node dist/bench/core-vs-c.js [model] [images] [T]     throughput: cycle-level simulator vs C (goal >= 0.2x)
 *   node dist/bench/core-vs-c.js --all [images] [T]       every fixture, three ways: interpreter = core = C, bit for bit
 *
 * The network is quantized for core:generic, whose formats equal the c target's, so the same
 * integer graph feeds all three. Throughput counts image-steps per second, one thread each; the
 * C time includes its process start. vgg-maxpool is converted with --maxpool avg (a core has no
 * max-pool unit).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { emitCProgram } from '../targets/c/index.js';
import { compileForCore, CoreSimulator, CycleTally, decodeImage, loadCorePreset, runSample } from '../targets/core/index.js';
import { quantizerView } from '../targets/core/desc.js';
import { loadImages } from '../src/data/dataset.js';
import { integerSamples } from '../src/data/integer.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { DEFAULT_METHOD } from '../src/methods.js';
import { calibrate, prepareAnn, toFixed, toSnn } from '../src/pipeline.js';
import { buildProgram, encodeSamples, verifyProgram } from '../src/verify-c.js';
import { verifyCore } from '../src/verify-core.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const all = process.argv[2] === '--all';
const args = all ? process.argv.slice(3) : process.argv.slice(2);
const models = all ? ['fmnist-mlp', 'fmnist-cnn-bn', 'fmnist-cnn-fused', 'fmnist-qcfs', 'fmnist-dwsep', 'fmnist-resnet', 'fmnist-vgg-maxpool', 'fmnist-qcfs-resnet', 'fmnist-qcfs-dwsep'] : [args[0] ?? 'fmnist-cnn-bn'];
const n = Number((all ? args[0] : args[1]) ?? 200);
const T = Number((all ? args[1] : args[2]) ?? 32);
const generic = loadCorePreset('generic');

for (const model of models) {
  const g = importOnnxFile(join(root, `examples/models/${model}.onnx`));
  const ann = prepareAnn(g);
  const inputType = g.nodes.find((x) => x.op === 'input')!.type;
  const stats = await calibrate(ann, loadImages(join(root, 'examples/data/fmnist-calib-images.npy'), inputType, 1 / 255, 256), 2);
  const method = { ...DEFAULT_METHOD, maxpool: model.includes('maxpool') ? ('avg' as const) : DEFAULT_METHOD.maxpool };
  const fixed = toFixed(toSnn(ann, stats, method, T), quantizerView(generic), { inputScale: 1 / 255 });
  const samples = integerSamples(fixed, loadImages(join(root, 'examples/data/fmnist-test-images.npy'), inputType, 1 / 255, n));
  const t0 = performance.now();
  const core = compileForCore(fixed, generic);
  const compileSeconds = (performance.now() - t0) / 1000;
  const dir = mkdtempSync(join(tmpdir(), 'snnc-bench-core-'));
  for (const f of emitCProgram(fixed, 'model')) writeFileSync(join(dir, f.path), f.contents);
  const exe = buildProgram(dir, ['model'], { cc: process.env.CC ?? 'cc', cflags: ['-std=c99', '-O2'] });
  if (all) {
    const c = verifyProgram(fixed, exe, dir, samples);
    const k = verifyCore(fixed, new CoreSimulator(decodeImage(core.bytes)), samples);
    console.log(`${model.padEnd(20)} ${n} images x ${T} steps: C = interpreter ${c.bitExact ? 'bit-exact' : `MISMATCH ${JSON.stringify(c.first)}`}; core = interpreter ${k.bitExact ? 'bit-exact' : `MISMATCH ${JSON.stringify(k.first)}`} (${core.mapping.cores.length} cores, ${k.timing.cyclesPerStep.toFixed(0)} cycles/step)`);
    continue;
  }
  writeFileSync(join(dir, 'in.bin'), encodeSamples(samples));
  const t1 = performance.now();
  const r = spawnSync(exe, ['--input', join(dir, 'in.bin')], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const cSeconds = (performance.now() - t1) / 1000;
  if (r.status !== 0) throw new Error(r.stderr);
  const sim = new CoreSimulator(decodeImage(core.bytes));
  const tally = new CycleTally();
  const outs: string[] = [];
  const t2 = performance.now();
  for (let s = 0; s < n; s++) outs.push(`out ${s} ${Array.from(runSample(sim, tally, samples.data, s * samples.size)).join(' ')}`);
  const simSeconds = (performance.now() - t2) / 1000;
  const cycles = tally.summary(sim).cyclesPerInference * n;
  const same = r.stdout.split('\n').filter((l) => l.startsWith('out ')).every((l, i) => l === outs[i]);
  console.log(`model ${model}, ${n} images, T=${T}, one thread each; image ${(core.bytes.length / 2 ** 20).toFixed(1)} MB on ${core.mapping.cores.length} cores, compiled in ${compileSeconds.toFixed(1)} s`);
  console.log(`  C (cc -O2)              ${((n * T) / cSeconds).toFixed(0).padStart(8)} image-steps/s  (${cSeconds.toFixed(2)} s)`);
  console.log(`  cycle-level simulator   ${((n * T) / simSeconds).toFixed(0).padStart(8)} image-steps/s  (${simSeconds.toFixed(2)} s; ${(cycles / n).toFixed(0)} cycles per inference)`);
  console.log(`  ratio simulator / C: ${(cSeconds / simSeconds).toFixed(2)}x (goal >= 0.2); outputs identical: ${same}`);
}
