/** `snnc ann` and `snnc inspect` through the built CLI: JSON, outputs, determinism, data errors. */
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeNpy, encodeNpy } from '../src/data/npy.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { runAnn } from '../src/exec/ann.js';
import { snnc } from './helpers/cli.js';
import { testImages } from './helpers/data.js';
import { modelPath, TEST_IMAGES, TEST_LABELS } from './helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'snnc-cli-'));
const model = modelPath('fmnist-cnn-bn');

describe('snnc ann', () => {
  it('prints accuracy, images and seconds as JSON and writes outputs equal to the library', () => {
    const out = join(tmp, 'logits.npy');
    const r = snnc(['ann', model, '--input', TEST_IMAGES, '--labels', TEST_LABELS, '--input-scale', '1/255', '--limit', '300', '--output', out, '--json', '--threads', '2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.images).toBe(300);
    expect(j.accuracy).toBeGreaterThan(0.85);
    expect(j.seconds).toBeGreaterThan(0);
    const npy = decodeNpy(readFileSync(out), out);
    expect(npy.shape).toEqual([300, 10]);
    const [ref] = runAnn(importOnnxFile(model), [{ shape: [300, 1, 28, 28], data: testImages(300) }]);
    expect(Array.from(npy.data)).toEqual(Array.from(ref.data));
  });

  it('gives the same bits with 1 and 2 threads', () => {
    const a = join(tmp, 'a.npy');
    const b = join(tmp, 'b.npy');
    expect(snnc(['ann', model, '--input', TEST_IMAGES, '--input-scale', '1/255', '--limit', '200', '--output', a, '--threads', '1']).code).toBe(0);
    expect(snnc(['ann', model, '--input', TEST_IMAGES, '--input-scale', '1/255', '--limit', '200', '--output', b, '--threads', '2']).code).toBe(0);
    expect(Buffer.compare(readFileSync(a), readFileSync(b))).toBe(0);
  });

  const bad = (name: string, shape: number[], data: Float32Array | Uint8Array): string => {
    const p = join(tmp, name);
    writeFileSync(p, encodeNpy(shape, data));
    return p;
  };

  const cases: [string, () => string[], string, number][] = [
    ['uint8 without --input-scale', () => ['--input', TEST_IMAGES], 'SNN0407', 2],
    ['wrong sample shape', () => ['--input', bad('wrong.npy', [4, 1, 27, 28], new Float32Array(4 * 27 * 28))], 'SNN0403', 5],
    ['NaN values', () => ['--input', bad('nan.npy', [2, 1, 28, 28], new Float32Array(2 * 784).fill(NaN))], 'SNN0405', 5],
    ['empty data', () => ['--input', bad('empty.npy', [0, 1, 28, 28], new Float32Array(0))], 'SNN0406', 5],
    ['labels shorter than images', () => ['--input', bad('two.npy', [2, 1, 28, 28], new Float32Array(2 * 784)), '--labels', bad('one.npy', [1], new Uint8Array(1))], 'SNN0404', 5],
    ['labels out of range', () => ['--input', bad('two2.npy', [2, 1, 28, 28], new Float32Array(2 * 784)), '--labels', bad('l11.npy', [2], Uint8Array.of(3, 11))], 'SNN0404', 5],
    ['not a .npy', () => ['--input', model], 'SNN0401', 5],
    ['bad scale', () => ['--input', TEST_IMAGES, '--input-scale', 'abc'], 'SNN0407', 2],
  ];
  for (const [what, args, code, exit] of cases) {
    it(`${what}: ${code}, exit ${exit}, nothing written`, () => {
      const out = join(tmp, `${code}-${exit}-out.npy`);
      const r = snnc(['ann', model, ...args(), '--output', out]);
      expect(r.code).toBe(exit);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(code);
      expect(existsSync(out)).toBe(false);
    });
  }
});

describe('snnc inspect', () => {
  it('--json summarises layers, parameters and MACs', () => {
    const r = snnc(['inspect', model, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.stage).toBe('ann');
    expect(j.inputs[0].shape).toEqual(['N', 1, 28, 28]);
    expect(j.params).toBe(207114); // as the fixture README counts: weights, biases and all four BN vectors
    const conv1 = j.layers.find((l: { op: string }) => l.op === 'conv2d');
    expect(conv1.macs).toBe(16 * 9 * 28 * 28);
  });

  it('-o writes a .snnir + weights that load back to the same text', () => {
    const out = join(tmp, 'cnn.snnir');
    expect(snnc(['inspect', model, '-o', out]).code).toBe(0);
    expect(existsSync(`${out}.bin`)).toBe(true);
    const again = join(tmp, 'cnn2.snnir');
    expect(snnc(['inspect', out, '-o', again]).code).toBe(0);
    expect(readFileSync(again, 'utf8').replace(/cnn2\.snnir/g, 'cnn.snnir')).toBe(readFileSync(out, 'utf8'));
  });
});
