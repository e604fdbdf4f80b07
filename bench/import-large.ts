/**
 * Import of a large model: `node dist/bench/import-large.js [MB=100]`.
 *
 * Writes an ONNX MLP of about MB megabytes of float32 weights (seeded, exported the way
 * torch.onnx.export writes a Linear stack: Gemm with transB=1, weights in raw_data), then, each
 * in a fresh process so that peak RSS is the import's own:
 *   baseline  read the file (readFileSync), the time any importer must spend;
 *   import    snnc's importOnnxFile (decode, tensors, IR, verifier).
 * Prints both times, their ratio (goal < 2) and the import's peak RSS against the file size
 * (goal < 2.5).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onnx, type NodeProto, type TensorProto, type ValueInfoProto } from '../src/frontend/onnx/decode.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { Rng } from '../src/util/rng.js';

function makeModel(path: string, megabytes: number): void {
  const hidden = Math.round(Math.sqrt((megabytes * 2 ** 20) / 4 / 1.6));
  const widths = [784, hidden, hidden, Math.round(hidden * 0.4), 10];
  const r = new Rng(1);
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  let x = 'input';
  for (let l = 0; l + 1 < widths.length; l++) {
    const [k, m] = [widths[l], widths[l + 1]];
    const w = new Float32Array(m * k);
    for (let i = 0; i < w.length; i++) w[i] = (r.next() - 0.5) * 0.05;
    const b = Float32Array.from({ length: m }, () => r.next() * 0.01);
    inits.push({ name: `fc${l}.weight`, dims: [m, k], dataType: 1, rawData: new Uint8Array(w.buffer) }, { name: `fc${l}.bias`, dims: [m], dataType: 1, rawData: new Uint8Array(b.buffer) });
    nodes.push({ opType: 'Gemm', input: [x, `fc${l}.weight`, `fc${l}.bias`], output: [`g${l}`], name: `/fc${l}/Gemm`, attribute: [{ name: 'transB', type: 2, i: 1 }] });
    x = `g${l}`;
    if (l + 2 < widths.length) {
      nodes.push({ opType: 'Relu', input: [x], output: [`r${l}`], name: `/relu${l}/Relu` });
      x = `r${l}`;
    }
  }
  const vi = (name: string, dims: (number | string)[]): ValueInfoProto => ({
    name,
    type: { tensorType: { elemType: 1, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'snnc-bench',
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'large_mlp', node: nodes, initializer: inits, input: [vi('input', ['N', 784])], output: [vi(x, ['N', 10])] },
  });
  writeFileSync(path, onnx.ModelProto.encode(model).finish());
}

function measure(mode: string, path: string): { seconds: number; peakRss: number } {
  const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), mode, path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as { seconds: number; peakRss: number };
}

const [mode, arg] = process.argv.slice(2);
if (mode === 'read' || mode === 'import') {
  const t0 = performance.now();
  if (mode === 'read') readFileSync(arg);
  else importOnnxFile(arg);
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({ seconds, peakRss: process.resourceUsage().maxRSS * 1024 }));
} else {
  const megabytes = Number(mode ?? 100);
  const path = join(mkdtempSync(join(tmpdir(), 'snnc-large-')), 'large.onnx');
  makeModel(path, megabytes);
  const size = statSync(path).size;
  readFileSync(path); // warm the page cache for both
  const best = (m: string) => [0, 1, 2].map(() => measure(m, path)).sort((a, b) => a.seconds - b.seconds)[0];
  const idle = measure('read', '/dev/null');
  const read = best('read');
  const imp = best('import');
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  process.stdout.write(
    `${mb(size)} MB model (${path})\n` +
      `read:   ${(read.seconds * 1000).toFixed(0)} ms, peak RSS ${mb(read.peakRss)} MB\n` +
      `import: ${(imp.seconds * 1000).toFixed(0)} ms, peak RSS ${mb(imp.peakRss)} MB (node alone: ${mb(idle.peakRss)} MB)\n` +
      `import / read time: ${(imp.seconds / read.seconds).toFixed(2)}x (goal < 2)\n` +
      `import peak RSS / file size: ${(imp.peakRss / size).toFixed(2)}x (goal < 2.5)\n`,
  );
}
