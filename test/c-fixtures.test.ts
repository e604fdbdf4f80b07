/**
 * The C back end on the fixture models (T = 32, 40 test images each) is bit-exact to the
 * reference interpreter, built as users build it (-O2, warnings as errors, with UBSan's integer
 * checks); and hostile names cannot break or inject into the emitted C.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Graph } from '../ir/types.js';
import { cTarget } from '../targets/c/index.js';
import { loadImages } from '../src/data/dataset.js';
import { integerSamples } from '../src/data/integer.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { PRESETS } from '../src/methods.js';
import { calibrate, prepareAnn, toFixed, toSnn } from '../src/pipeline.js';
import { verifyProgram } from '../src/verify-c.js';
import { buildProgram, SANITIZE, WARNINGS, writeProgram } from './helpers/c-build.js';
import { snnc } from './helpers/cli.js';
import { CALIB_IMAGES, FIXTURE_MODELS, modelPath, ONNX_FIXTURES, TEST_IMAGES } from './helpers/paths.js';

const FIXTURE_FLAGS = [...WARNINGS, '-O2', '-fsanitize=signed-integer-overflow,shift,integer-divide-by-zero', '-fno-sanitize-recover=all'];

describe('C back end on the fixture models (T = 32, 40 test images each)', () => {
  const root = mkdtempSync(join(tmpdir(), 'snnc-fixtures-'));
  const built: { prefix: string; graph: Graph }[] = [];
  let exe = '';
  beforeAll(async () => {
    for (const name of FIXTURE_MODELS) {
      const g = importOnnxFile(modelPath(name));
      const ann = prepareAnn(g);
      const stats = await calibrate(ann, loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 64), 2);
      const fixed = toFixed(toSnn(ann, stats, PRESETS['p99.9-subtract-half'], 32), cTarget(), { inputScale: 1 / 255 });
      built.push({ prefix: name.replace(/-/g, '_'), graph: fixed });
    }
    writeProgram(root, built);
    exe = await buildProgram(root, built.map((b) => b.prefix), FIXTURE_FLAGS);
  }, 600_000);

  FIXTURE_MODELS.forEach((name, k) => {
    it(name, () => {
      const g = built[k].graph;
      const images = loadImages(TEST_IMAGES, { shape: g.nodes[0].type.shape }, 1 / 255, 40);
      const r = verifyProgram(g, exe, root, integerSamples(g, images), k);
      expect(r.first).toBeUndefined();
      expect(r.bitExact).toBe(true);
      expect(r.samples).toBe(40);
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
