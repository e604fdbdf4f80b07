/**
 * Calibration memory against the number of calibration images: peak RSS of a process that only
 * calibrates, for N and 4N images (the bundled 1,024 tiled), with the exact statistics and with a
 * budget that makes every layer keep histograms (activation-stats.ts).
 *
 *   npm run build && node dist/bench/calibration-memory.js [model] [N]
 *
 * Prints, per mode, the peak RSS at N and 4N images and their ratio (the goal for the histograms:
 * within 1.2x; the exact statistics grow with the images). The input images themselves are in
 * memory in both modes (4N × the input size), so a small model shows the statistics' share.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadImages, type Images } from '../src/data/dataset.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { collectActivations } from '../src/passes/calibrate.js';
import { prepareAnn } from '../src/pipeline.js';
import { ROOT } from './fixture-network.js';

const [mode, a1, a2] = process.argv.slice(2);

if (mode === 'child') {
  // one calibration: model a1, images a2, budget a3
  const [model, n, limit] = [a1, Number(a2), Number(process.argv[5])];
  const ann = prepareAnn(importOnnxFile(join(ROOT, `examples/models/${model}.onnx`)));
  const base = loadImages(join(ROOT, 'examples/data/fmnist-calib-images.npy'), ann.nodes[0].type, 1 / 255);
  const size = base.data.length / base.count;
  const data = new Float32Array(n * size);
  for (let i = 0; i < n; i++) data.set(base.data.subarray((i % base.count) * size, ((i % base.count) + 1) * size), i * size);
  const images: Images = { count: n, sampleShape: base.sampleShape, data };
  const before = process.memoryUsage().rss;
  const stats = await collectActivations(ann, images, 1, undefined, { exactLimit: limit });
  const sketched = [...stats.values()].filter((s) => s.sketched).length;
  process.stdout.write(JSON.stringify({ peakMB: process.resourceUsage().maxRSS / 1024, startMB: before / 2 ** 20, inputMB: (data.byteLength * 2) / 2 ** 20, sketched, layers: stats.size }));
} else {
  const model = mode ?? 'fmnist-resnet';
  const N = Number(a1 ?? 256);
  const self = fileURLToPath(import.meta.url);
  const run = (n: number, limit: number): { peakMB: number; inputMB: number; sketched: number; layers: number } => {
    const r = spawnSync(process.execPath, [self, 'child', model, String(n), String(limit)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout);
  };
  process.stdout.write(`${model}: calibration peak RSS, one thread, images in memory included\n`);
  for (const [name, limit] of [['exact statistics', 2 ** 30], ['histograms (budget 1 value)', 1]] as const) {
    const small = run(N, limit);
    const large = run(4 * N, limit);
    process.stdout.write(
      `  ${name.padEnd(30)} ${N} images ${small.peakMB.toFixed(0)} MB, ${4 * N} images ${large.peakMB.toFixed(0)} MB (images alone ${small.inputMB.toFixed(0)} and ${large.inputMB.toFixed(0)} MB): ratio ${(large.peakMB / small.peakMB).toFixed(2)}x; ${large.sketched}/${large.layers} layers sketched\n`,
    );
  }
}
