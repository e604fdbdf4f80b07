/**
 * Front end on generated models (test/fixtures/onnx/make_models.py): opset forms, shape
 * subgraphs, 1-D windows, grouped convolutions, external data — each against onnxruntime —
 * and every kind of bad input, through the CLI: one line on stderr, a documented exit code,
 * no stack trace, no output file.
 */
import { existsSync, mkdtempSync, symlinkSync, copyFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { decodeTensor, onnx } from '../src/frontend/onnx/decode.js';
import { runAnn } from '../src/exec/ann.js';
import { SnncError } from '../ir/diagnostics.js';
import { BATCH } from '../ir/types.js';
import { snnc } from './helpers/cli.js';
import { ONNX_FIXTURES } from './helpers/paths.js';

function random(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  });
}

const GOOD = ['shape-subgraph', 'opset9-forms', 'opset13-forms', 'conv1d', 'grouped-conv', 'matmul-add', 'external-data'];

describe('generated models vs onnxruntime', () => {
  for (const name of GOOD) {
    it(name, async () => {
      const path = join(ONNX_FIXTURES, `${name}.onnx`);
      const g = importOnnxFile(path);
      const session = await ort.InferenceSession.create(path);
      const batch = 3;
      const inputs = g.nodes.filter((n) => n.op === 'input');
      const feeds: Record<string, ort.Tensor> = {};
      const tensors = inputs.map((n, i) => {
        const shape = n.type.shape.map((d) => (d === BATCH ? batch : d));
        const data = random(shape.reduce((a, b) => a * b, 1), 7 + i);
        feeds[n.loc!] = new ort.Tensor('float32', data, shape);
        return { shape, data };
      });
      const ours = runAnn(g, tensors);
      const ref = await session.run(feeds);
      const refOut = Object.values(ref)[0];
      expect(ours[0].shape).toEqual(refOut.dims);
      const r = refOut.data as Float32Array;
      for (let i = 0; i < r.length; i++) expect(Math.abs(ours[0].data[i] - r[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(r[i])));
    });
  }
});

const BAD: [string, string, number][] = [
  ['truncated', 'SNN0301', 3],
  ['not-onnx', 'SNN0301', 3],
  ['unsupported-op', 'SNN0302', 4],
  ['missing-initializer', 'SNN0305', 3],
  ['shape-mismatch', 'SNN0306', 3],
  ['old-opset', 'SNN0303', 4],
  ['dynamic-dim', 'SNN0309', 4],
  ['external-outside', 'SNN0308', 3],
  ['external-absolute', 'SNN0308', 3],
  ['external-missing', 'SNN0308', 3],
  ['absurd-dims', 'SNN0307', 3],
];

describe('bad models', () => {
  for (const [name, code, exit] of BAD) {
    it(`${name}: ${code}, exit ${exit}, one line, no output`, () => {
      const path = join(ONNX_FIXTURES, 'bad', `${name}.onnx`);
      expect(() => importOnnxFile(path)).toThrow(SnncError);
      try {
        importOnnxFile(path);
      } catch (e) {
        expect((e as SnncError).code).toBe(code);
      }
      const out = join(mkdtempSync(join(tmpdir(), 'snnc-')), 'out.snnir');
      const r = snnc(['inspect', path, '-o', out]);
      expect(r.code).toBe(exit);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(code);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
    });
  }

  it('unsupported op names the node, the op, the opset and the supported ops', () => {
    const r = snnc(['inspect', join(ONNX_FIXTURES, 'bad', 'unsupported-op.onnx')]);
    expect(r.stderr).toMatch(/onnx node 'leaky' \(LeakyRelu, opset 13\)/);
    expect(r.stderr).toMatch(/supported ops: .*Conv/);
  });

  it('external data through a symbolic link that leaves the folder is rejected', () => {
    const dir = mkdtempSync(join(tmpdir(), 'snnc-ext-'));
    const outside = mkdtempSync(join(tmpdir(), 'snnc-outside-'));
    writeFileSync(join(outside, 'secret.bin'), new Uint8Array(48));
    copyFileSync(join(ONNX_FIXTURES, 'external-data.onnx'), join(dir, 'm.onnx'));
    symlinkSync(join(outside, 'secret.bin'), join(dir, 'external-data.bin'));
    expect(() => importOnnxFile(join(dir, 'm.onnx'))).toThrow(/outside the model's folder/);
  });

  it('a missing file is an io error (exit 8)', () => {
    const r = snnc(['inspect', '/nonexistent/model.onnx']);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('SNN0408');
  });
});

describe('float32 raw data without a copy', () => {
  it('decodes aligned and misaligned tensors as views of the model bytes, the same values twice', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 1e3);
    for (const nameLength of [1, 2, 3, 4]) {
      const t = onnx.TensorProto.create({ name: 'w'.repeat(nameLength), dims: [1000], dataType: 1, rawData: new Uint8Array(values.buffer) });
      const bytes = Buffer.from(onnx.TensorProto.encode(t).finish());
      const proto = onnx.TensorProto.decode(bytes);
      const a = decodeTensor(proto, '.', 'w');
      const b = decodeTensor(proto, '.', 'w');
      expect(Array.from(a.data)).toEqual(Array.from(values));
      expect(Array.from(b.data)).toEqual(Array.from(values));
      expect(a.data.buffer).toBe(bytes.buffer);
    }
  });
});
