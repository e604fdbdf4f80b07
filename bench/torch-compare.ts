/**
 * One float SNN, simulated by snnc (simulateFloat, on its worker pool) and by PyTorch
 * (bench/torch_snn.py, Debian's python3-torch on the CPU) on the same images, T and thread count,
 * in the same run. PyTorch's time excludes its start-up (model loaded, warmed up); snnc's is
 * reported both with its start-up (worker pool, each worker's engine) and without it (steady).
 * Shared by bench/snn-throughput.ts and bench/scale.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isConstRef, type Graph } from '../ir/types.js';
import type { Images } from '../src/data/dataset.js';
import { encodeNpy } from '../src/data/npy.js';
import { simulateFloat } from '../src/exec/run-snn.js';
import { ROOT } from './fixture-network.js';

export interface Throughput {
  readonly images: number;
  readonly T: number;
  readonly threads: number;
  /** image-steps per second */
  readonly snnc: number;
  readonly snncSteady: number;
  /** seconds: the worker pool, its engines and one step of one image per worker */
  readonly startup: number;
  readonly torch: number;
  readonly torchVersion: string;
  /** fraction of images on which both predict the same class */
  readonly agree: number;
}

function exportForTorch(g: Graph, dir: string, scale: number): void {
  const consts: Record<string, string> = {};
  for (const c of g.consts.values()) {
    const file = `${c.id}.npy`;
    writeFileSync(join(dir, file), encodeNpy(c.type.shape, c.data instanceof Float32Array ? c.data : Float32Array.from(c.data)));
    consts[c.id] = file;
  }
  const nodes = g.nodes.map((n) => {
    const th = n.attrs.threshold;
    return {
      id: n.id,
      op: n.op,
      inputs: n.inputs.filter((r) => r.kind === 'value').map((r) => r.id),
      consts: n.inputs.filter((r) => r.kind === 'const').map((r) => r.id),
      attrs: n.attrs,
      ...(isConstRef(th) ? { theta: th.const } : {}),
    };
  });
  writeFileSync(join(dir, 'graph.json'), JSON.stringify({ nodes, consts, outputs: g.outputs, input_scale: scale }));
}

/**
 * `data`: the first images of `imagesPath` (uint8 .npy read with `scale`), already loaded for snnc;
 * PyTorch reads the same file.
 */
export async function compareWithTorch(snn: Graph, data: Images, imagesPath: string, scale: number, T: number, threads: number): Promise<Throughput> {
  const n = data.count;
  const per = data.data.length / n;
  const first = (k: number): Images => ({ ...data, count: k, data: data.data.subarray(0, k * per) });
  // every simulateFloat starts its own pool, so a warm-up run would warm nothing; the start-up
  // run compiles the workers' code as much as one step of the real run would
  let t0 = performance.now();
  await simulateFloat(snn, first(Math.min(threads, n)), [1], threads);
  const startup = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const ts = await simulateFloat(snn, data, [T], threads);
  const seconds = (performance.now() - t0) / 1000;

  const dir = mkdtempSync(join(tmpdir(), 'snnc-bench-'));
  try {
    exportForTorch(snn, dir, scale);
    // PyTorch holds T·batch maps of every layer at once: at 224×224, 128 images × T would not fit in memory
    const batch = Math.max(1, Math.floor(128 / T));
    const py = spawnSync('/usr/bin/python3', [join(ROOT, 'bench/torch_snn.py'), dir, imagesPath, String(n), String(T), String(threads), String(batch)], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (py.status !== 0) throw new Error(`PyTorch baseline failed (${py.signal ? `signal ${py.signal}` : `exit ${py.status}`}; needs Debian python3-torch: apt-get install python3-torch)\n${py.stderr}`);
    const torch = JSON.parse(py.stdout.trim().split('\n').pop()!) as { imageStepsPerSecond: number; predictions: number[] };
    const agree = torch.predictions.filter((p, i) => p === ts.predictions[0][i]).length / n;
    const torchVersion = spawnSync('/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' }).stdout.trim();
    return { images: n, T, threads, snnc: (n * T) / seconds, snncSteady: (n * T) / Math.max(seconds - startup, 1e-9), startup, torch: torch.imageStepsPerSecond, torchVersion, agree };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
