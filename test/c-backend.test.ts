/**
 * The C back end is bit-exact to the reference interpreter: every population's spikes and
 * membranes at every step, the readout sums and the overflow counters — on 500 seeded random
 * graphs and on the fixture models — with the C built under -std=c99 -Wall -Wextra -Werror
 * -fsanitize=undefined,address. Hostile names cannot reach the C.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Graph } from '../ir/types.js';
import { verify } from '../ir/verify.js';
import { emitC, emitModelTable } from '../targets/c/emit.js';
import { cTarget, runtimeFiles } from '../targets/c/index.js';
import { loadImages } from '../src/data/dataset.js';
import { integerSamples } from '../src/data/integer.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { PRESETS } from '../src/methods.js';
import { calibrate, prepareAnn, toFixed, toSnn } from '../src/pipeline.js';
import { verifyProgram } from '../src/verify-c.js';
import { randomGraph, randomSamples } from './helpers/random-graphs.js';
import { snnc } from './helpers/cli.js';
import { CALIB_IMAGES, FIXTURE_MODELS, modelPath, ONNX_FIXTURES, TEST_IMAGES } from './helpers/paths.js';

const SANITIZE = ['-std=c99', '-O1', '-Wall', '-Wextra', '-Werror', '-fsanitize=undefined,address', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'];

function compile(dir: string, prefixes: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const exe = join(dir, 'model');
    const p = spawn('cc', [...SANITIZE, '-o', exe, ...prefixes.map((x) => `${x}.c`), 'models.c', 'snnc_host.c'], { cwd: dir });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve(exe) : reject(new Error(`cc failed:\n${err.slice(0, 4000)}`))));
  });
}

function writeProgram(dir: string, graphs: { prefix: string; graph: Graph }[]): void {
  mkdirSync(dir, { recursive: true });
  for (const { prefix, graph } of graphs) for (const f of emitC(graph, { prefix })) writeFileSync(join(dir, f.path), f.contents);
  for (const f of [...runtimeFiles(), emitModelTable(graphs.map((g) => g.prefix))]) writeFileSync(join(dir, f.path), f.contents);
}

describe('C back end vs reference interpreter on 500 random graphs', () => {
  const COUNT = 500;
  const BATCHES = 4;
  const graphs = Array.from({ length: COUNT }, (_, i) => ({ prefix: `g${i}`, seed: i, graph: randomGraph(i).graph }));
  const root = mkdtempSync(join(tmpdir(), 'snnc-random-'));
  const exes: string[] = [];

  beforeAll(async () => {
    const batches = Array.from({ length: BATCHES }, (_, b) => graphs.filter((_, i) => i % BATCHES === b));
    // two compilers at a time (CI has two cores)
    for (let b = 0; b < BATCHES; b += 2) {
      const built = await Promise.all(
        batches.slice(b, b + 2).map((batch, j) => {
          const dir = join(root, `batch${b + j}`);
          writeProgram(dir, batch);
          return compile(dir, batch.map((g) => g.prefix));
        }),
      );
      exes.push(...built);
    }
  }, 600_000);

  it('every generated graph verifies', () => {
    for (const g of graphs) expect(verify(g.graph).filter((d) => d.severity === 'error'), `seed ${g.seed}`).toEqual([]);
  });

  it('covers the ops and integer modes it is meant to exercise', () => {
    const seen = new Set<string>();
    for (const { graph } of graphs) {
      for (const n of graph.nodes) {
        seen.add(n.op);
        if (n.op === 'if') {
          seen.add(`overflow:${n.attrs.overflow}`);
          seen.add(`reset:${n.attrs.reset}`);
          seen.add(`leak:${n.attrs.leak ?? 'none'}`);
          if (n.attrs.round) seen.add(`round:${n.attrs.round}`);
          if (n.attrs.bias) seen.add(`bias-rows:${graph.consts.get((n.attrs.bias as { const: string }).const)!.type.shape[0] > 2 ? 'T' : graph.consts.get((n.attrs.bias as { const: string }).const)!.type.shape[0]}`);
        }
        if (n.op === 'conv2d') {
          if ((n.attrs.group as number) > 1) seen.add('conv:grouped');
          if ((n.attrs.dilations as number[]).some((d) => d > 1)) seen.add('conv:dilated');
          if ((n.attrs.strides as number[]).some((d) => d > 1)) seen.add('conv:strided');
        }
      }
    }
    for (const f of ['conv2d', 'dense', 'add', 'mul', 'sumpool2d', 'maxpool2d', 'spikemaxpool', 'globalsumpool', 'concat', 'flatten', 'if', 'readout', 'overflow:saturate', 'overflow:wrap', 'reset:zero', 'reset:subtract', 'leak:shift', 'leak:mul', 'round:floor', 'round:trunc', 'round:half-up', 'bias-rows:1', 'bias-rows:2', 'bias-rows:T', 'conv:grouped', 'conv:dilated', 'conv:strided']) {
      expect(seen.has(f), f).toBe(true);
    }
  });

  it('bit-exact on every graph (3 samples each); saturation and wrap-around happen and are counted alike', () => {
    let saturating = 0;
    graphs.forEach((g, i) => {
      const b = i % BATCHES;
      const index = Math.floor(i / BATCHES);
      const r = verifyProgram(g.graph, exes[b], join(root, `batch${b}`), randomSamples(g.graph, 3, g.seed), index);
      if (!r.bitExact) throw new Error(`seed ${g.seed}: ${JSON.stringify(r.first)}`);
      if (r.overflow.some((u) => u.acc > 0 || u.v > 0)) saturating++;
    });
    expect(saturating).toBeGreaterThan(COUNT / 4);
  });
});

describe('C back end on the fixture models (T = 32, 100 test images each)', () => {
  const root = mkdtempSync(join(tmpdir(), 'snnc-fixtures-'));
  const built: { prefix: string; graph: Graph }[] = [];
  let exe = '';
  beforeAll(async () => {
    for (const name of FIXTURE_MODELS) {
      const g = importOnnxFile(modelPath(name));
      const ann = prepareAnn(g);
      const stats = await calibrate(ann, loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 256), 2);
      const fixed = toFixed(toSnn(ann, stats, PRESETS['p99.9-subtract-half'], 32), cTarget(), { inputScale: 1 / 255 });
      built.push({ prefix: name.replace(/-/g, '_'), graph: fixed });
    }
    writeProgram(root, built);
    exe = await compile(root, built.map((b) => b.prefix));
  }, 600_000);

  FIXTURE_MODELS.forEach((name, k) => {
    it(name, () => {
      const g = built[k].graph;
      const images = loadImages(TEST_IMAGES, { shape: g.nodes[0].type.shape }, 1 / 255, 100);
      const r = verifyProgram(g, exe, root, integerSamples(g, images), k);
      expect(r.first).toBeUndefined();
      expect(r.bitExact).toBe(true);
      expect(r.samples).toBe(100);
    });
  });
});

describe('hostile names', () => {
  it('cannot break or inject into the emitted C, which still compiles and agrees', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'snnc-hostile-')), 'out');
    const model = join(ONNX_FIXTURES, 'hostile-names.onnx');
    const calib = join(mkdtempSync(join(tmpdir(), 'snnc-hcal-')), 'calib.npy');
    // 6x6 single-channel samples: the first 36 pixels of Fashion-MNIST images
    const full = readFileSync(CALIB_IMAGES);
    const header = `{'descr': '|u1', 'fortran_order': False, 'shape': (64, 1, 6, 6), }`.padEnd(117) + '\n';
    const body = Buffer.alloc(64 * 36);
    for (let i = 0; i < 64; i++) full.copy(body, i * 36, 128 + i * 784 + 300, 128 + i * 784 + 336);
    writeFileSync(calib, Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]), Buffer.from(header, 'latin1'), body]));
    const c = snnc(['compile', model, '--calib', calib, '--input-scale', '1/255', '-T', '8', '-o', out, '--threshold', 'max']);
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    const sources = readdirSync(out).filter((f) => /\.(c|h)$/.test(f) && !f.startsWith('snnc_'));
    const text = sources.map((f) => readFileSync(join(out, f), 'utf8')).join('\n');
    for (const evil of ['system(', '#include </etc', '#define int', '%n', '??=', 'int main(){}', '\u00e9', '*/ #include']) expect(text.includes(evil), evil).toBe(false);
    const v = snnc(['verify', out, '--data', calib, '--input-scale', '1/255', '-n', '16', '--json', `--cflags=${SANITIZE.join(' ')}`]);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout).bitExact).toBe(true);
  });

  it('rejects a prefix that is not a C identifier', () => {
    const r = snnc(['compile', modelPath('fmnist-mlp'), '--calib', CALIB_IMAGES, '--input-scale', '1/255', '-T', '4', '-o', join(tmpdir(), 'never'), '--prefix', 'x; int y']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SNN0201');
  });
});
