/**
 * ImageNet-size networks: torchvision's ResNet-18, MobileNetV2 (ReLU6) and VGG-11 at 224×224 with
 * seeded random weights (bench/torchvision_models.py, Debian's python3-torchvision; skipped, saying
 * so, when it is missing). Per model, each step in its own process (peak RSS is the process's):
 *
 *   - import: `importOnnxFile` + prepareAnn, time and peak RSS against the file size;
 *   - ANN forward, one thread: the float executor and onnxruntime on the same 2 images (the ratio);
 *   - calibration (onnxruntime forward, checked against the executor on its first image, default
 *     statistics) on N and 4N images of a seeded uint8 .npy, streamed from disk (streamImages):
 *     time and peak RSS;
 *   - the SNN (default method, calibrated on N images): simulation of SIM images at T = 8 and 32
 *     on two threads, snnc against PyTorch running the same SNN (bench/torch-compare.ts);
 *   - `snnc compile --target c` (calibration on N images, quantization, emission) at T = 8 and
 *     `snnc verify` of the result on 2 images (the interpreter against the compiled C, bit for
 *     bit; models over 100 MB skip it), as a user runs them: wall time and peak RSS of each.
 *
 *   npm run build && node dist/bench/scale.js [N=64] [models=resnet18,mobilenet_v2,vgg11] [SIM=16]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadImages, streamImages, type Images } from '../src/data/dataset.js';
import { encodeNpy } from '../src/data/npy.js';
import { runAnn } from '../src/exec/ann.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { collectActivations } from '../src/passes/calibrate.js';
import { DEFAULT_METHOD } from '../src/methods.js';
import { calibrate, prepareAnn, toSnn } from '../src/pipeline.js';
import { ROOT } from './fixture-network.js';
import { compareWithTorch } from './torch-compare.js';

const SHAPE = [3, 224, 224];
/** Models above this size (MB) skip verify (cc on their C source). */
const C_MAX_MB = 100;
const PER = SHAPE.reduce((a, b) => a * b, 1);

/** n seeded pseudo-images, normalized like ImageNet inputs (roughly N(0, 1)). */
function images(n: number): Images {
  const data = new Float32Array(n * PER);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    data[i] = ((s >>> 8) / 2 ** 24) * 4 - 2;
  }
  return { count: n, sampleShape: SHAPE, data };
}

const peakMB = (): number => process.resourceUsage().maxRSS / 1024;

async function child(step: string, path: string, n: number): Promise<Record<string, number>> {
  if (step === 'images') {
    // n seeded uint8 images, read with --input-scale 1/64
    const px = new Uint8Array(n * PER);
    let s = 777;
    for (let i = 0; i < px.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) | 0;
      px[i] = s >>> 24;
    }
    writeFileSync(path, encodeNpy([n, ...SHAPE], px));
    return {};
  }
  const t0 = performance.now();
  const ann = prepareAnn(importOnnxFile(path));
  const importSeconds = (performance.now() - t0) / 1000;
  if (step === 'import') return { seconds: importSeconds, peakMB: peakMB() };
  if (step === 'forward') {
    const x = images(n);
    const t1 = performance.now();
    runAnn(ann, [{ shape: [n, ...SHAPE], data: x.data }]);
    const ours = (performance.now() - t1) / 1000 / n;
    const ort = (await import('onnxruntime-node')).default;
    const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1 });
    const input = (m: number) => ({ input: new ort.Tensor('float32', x.data.subarray(0, m * PER), [m, ...SHAPE]) });
    await session.run(input(1));
    const t2 = performance.now();
    await session.run(input(n));
    const theirs = (performance.now() - t2) / 1000 / n;
    return { executor: ours, onnxruntime: theirs };
  }
  const imagesPath = join(ROOT, 'out/bench-scale/images.npy');
  if (step === 'snn') {
    const calib = streamImages(imagesPath, { shape: [-1, ...SHAPE] }, 1 / 64, Number(process.argv[6]));
    const stats = await calibrate(ann, calib, 2);
    calib.close();
    const data = loadImages(imagesPath, { shape: [-1, ...SHAPE] }, 1 / 64, n);
    const out: Record<string, number> = {};
    for (const T of [8, 32]) {
      const r = await compareWithTorch(toSnn(ann, stats, DEFAULT_METHOD, T), data, imagesPath, 1 / 64, T, 2);
      Object.assign(out, { [`snnc${T}`]: r.snnc, [`steady${T}`]: r.snncSteady, [`startup${T}`]: r.startup, [`torch${T}`]: r.torch, [`agree${T}`]: r.agree });
    }
    return out;
  }
  const x = streamImages(imagesPath, { shape: [-1, ...SHAPE] }, 1 / 64, n);
  const t1 = performance.now();
  const stats = await collectActivations(ann, x, 1, undefined, { forward: 'onnxruntime' });
  x.close();
  return { seconds: (performance.now() - t1) / 1000, peakMB: peakMB(), sketched: [...stats.values()].filter((s) => s.sketched).length, layers: stats.size };
}

if (process.argv[2] === 'child') {
  const r = await child(process.argv[3], process.argv[4], Number(process.argv[5]));
  process.stdout.write(JSON.stringify(r));
} else {
  const N = Number(process.argv[2] ?? 64);
  const models = (process.argv[3] ?? 'resnet18,mobilenet_v2,vgg11').split(',');
  const dir = join(ROOT, 'out/bench-scale');
  mkdirSync(dir, { recursive: true });
  const missing = models.filter((m) => !existsSync(join(dir, `${m}.onnx`)));
  if (missing.length) {
    const r = spawnSync('/usr/bin/python3', [join(ROOT, 'bench/torchvision_models.py'), dir, ...missing], { encoding: 'utf8' });
    if (r.status === 3) {
      process.stdout.write(`skipped: ${r.stderr.trim()} (apt-get install python3-torchvision)\n`);
      process.exit(0);
    }
    if (r.status !== 0) throw new Error(r.stderr);
  }
  const self = fileURLToPath(import.meta.url);
  const run = (step: string, path: string, n = 0, extra = 0): Record<string, number> => {
    const r = spawnSync(process.execPath, [self, 'child', step, path, String(n), String(extra)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout);
  };
  /** A CLI command as a user runs it: wall seconds and peak RSS (GNU time, when present). */
  const cli = (args: string[]): { seconds: number; peakMB?: number; error?: string } => {
    const timeBin = existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', 'peak-kb %M'] : [];
    const argv = [...timeBin, process.execPath, join(ROOT, 'dist/src/cli/main.js'), ...args];
    const t0 = performance.now();
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26 });
    const seconds = (performance.now() - t0) / 1000;
    // a refusal is a result: its coded message is reported in the table
    if (r.status !== 0) return { seconds, error: `exit ${r.status}: ${r.stderr.split('\n').find((l) => l.startsWith('snnc: error')) ?? r.stderr.trim()}` };
    const kb = /peak-kb (\d+)/.exec(r.stderr);
    return { seconds, ...(kb ? { peakMB: Number(kb[1]) / 1024 } : {}) };
  };
  const SIM = Number(process.argv[4] ?? 16);
  // the images are written by a child: a parent's RSS at spawn counts in its children's peak (Linux keeps the high-water mark across exec)
  const imagesPath = join(dir, 'images.npy');
  if (!existsSync(imagesPath) || statSync(imagesPath).size < 4 * N * PER) run('images', imagesPath, 4 * N);
  process.stdout.write(`224x224, seeded random weights and inputs; import, forward and calibration on one thread (calibration on ${N} and ${4 * N} images); SNN on two threads, ${SIM} images\n`);
  for (const m of models) {
    const path = join(dir, `${m}.onnx`);
    const mb = statSync(path).size / 2 ** 20;
    const imp = run('import', path);
    const fwd = run('forward', path, 2);
    const small = run('calibrate', path, N);
    const large = run('calibrate', path, 4 * N);
    const snn = run('snn', path, SIM, N);
    // the C target writes every weight into the source: past C_MAX_MB of model, verify's cc alone would take many minutes
    const outDir = join(dir, `${m}-c`);
    const compile = cli(['compile', path, '--calib', imagesPath, '--calib-limit', String(N), '--input-scale', '1/64', '-T', '8', '--target', 'c', '-o', outDir]);
    const verify = !compile.error && mb <= C_MAX_MB ? cli(['verify', outDir, '--data', imagesPath, '--input-scale', '1/64', '-n', '2', '--executors', 'c']) : undefined;
    process.stdout.write(`${m} (${mb.toFixed(0)} MB)\n`);
    process.stdout.write(`  import + prepare     ${imp.seconds.toFixed(2)} s, peak RSS ${imp.peakMB.toFixed(0)} MB (${(imp.peakMB / mb).toFixed(2)}x the file)\n`);
    process.stdout.write(`  ANN forward          executor ${(fwd.executor * 1000).toFixed(0)} ms/image, onnxruntime ${(fwd.onnxruntime * 1000).toFixed(0)} ms/image: executor / onnxruntime ${(fwd.executor / fwd.onnxruntime).toFixed(1)}x\n`);
    process.stdout.write(`  calibration (ort)    ${N} images ${small.seconds.toFixed(1)} s, peak ${small.peakMB.toFixed(0)} MB; ${4 * N} images ${large.seconds.toFixed(1)} s, peak ${large.peakMB.toFixed(0)} MB: ratio ${(large.peakMB / small.peakMB).toFixed(2)}x; ${large.sketched}/${large.layers} layers sketched\n`);
    process.stdout.write(`  calibration forward  ${((large.seconds / (4 * N)) * 1000).toFixed(0)} ms/image with the statistics, onnxruntime alone ${(fwd.onnxruntime * 1000).toFixed(0)} ms/image: ratio ${(large.seconds / (4 * N) / fwd.onnxruntime).toFixed(2)}x\n`);
    const mbText = (r: { peakMB?: number }): string => (r.peakMB ? `, peak ${r.peakMB.toFixed(0)} MB` : '');
    for (const T of [8, 32]) {
      process.stdout.write(
        `  SNN T=${String(T).padEnd(2)} ${SIM} images  snnc ${(1000 / snn[`steady${T}`]).toFixed(0)} ms/image-step steady (${(1000 / snn[`snnc${T}`]).toFixed(0)} with start-up ${snn[`startup${T}`].toFixed(1)} s), PyTorch ${(1000 / snn[`torch${T}`]).toFixed(0)}: snnc / PyTorch speed ${(snn[`steady${T}`] / snn[`torch${T}`]).toFixed(2)}x steady, ${(snn[`snnc${T}`] / snn[`torch${T}`]).toFixed(2)}x with start-up; predictions agree ${(snn[`agree${T}`] * 100).toFixed(0)} %\n`,
      );
    }
    const outcome = (r: { seconds: number; peakMB?: number; error?: string }): string => (r.error ? `refused after ${r.seconds.toFixed(1)} s, ${r.error}` : `${r.seconds.toFixed(1)} s${mbText(r)}`);
    process.stdout.write(`  snnc compile         --target c, T=8, ${N} calibration images: ${outcome(compile)}\n`);
    if (verify) process.stdout.write(`  snnc verify          2 images, interpreter vs C bit for bit (cc -O2 included): ${outcome(verify)}\n`);
    else if (!compile.error) process.stdout.write(`  snnc verify          skipped: cc on the C source of a ${mb.toFixed(0)} MB model (over ${C_MAX_MB} MB)\n`);
  }
}
