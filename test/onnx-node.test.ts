/**
 * ONNX backend node tests (Debian libonnx-testdata) for every op snnc claims; the list and the
 * reasons for skipped cases are in test/onnx-node/claimed.json.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, decodeTensor, onnx } from '../src/frontend/onnx/decode.js';
import { importModel } from '../src/frontend/onnx/import.js';
import { runAnn } from '../src/exec/ann.js';
import { ROOT } from './helpers/paths.js';

const HERE = join(ROOT, 'test/onnx-node');
const claimed = JSON.parse(readFileSync(join(HERE, 'claimed.json'), 'utf8')) as { claimed: string[]; skipped: Record<string, string> };

function runCase(name: string): void {
  const dir = join(HERE, 'cases', name);
  const model = decodeModel(readFileSync(join(dir, 'model.onnx')), name);
  const inits = new Set((model.graph!.initializer ?? []).map((t) => t.name));
  const graphInputs = (model.graph!.input ?? []).map((i) => i.name!).filter((n) => !inits.has(n));
  const sets = readdirSync(dir).filter((d) => d.startsWith('test_data_set'));
  expect(sets.length).toBeGreaterThan(0);
  for (const set of sets) {
    const files = readdirSync(join(dir, set)).sort();
    const inputs = files.filter((f) => f.startsWith('input_')).map((f) => onnx.TensorProto.decode(readFileSync(join(dir, set, f))));
    const bind = new Map(graphInputs.slice(1).map((n, i) => [n, { ...inputs[i + 1], name: n }]));
    const g = importModel(model, { modelDir: dir, bind, batchAxis: false });
    const x = decodeTensor(inputs[0], dir, 'input_0');
    const outs = runAnn(g, [{ shape: x.dims, data: Float32Array.from(x.data) }]);
    files
      .filter((f) => f.startsWith('output_'))
      .forEach((f, i) => {
        const expected = decodeTensor(onnx.TensorProto.decode(readFileSync(join(dir, set, f))), dir, f);
        expect(outs[i].shape, `${set}/${f} shape`).toEqual(expected.dims);
        for (let k = 0; k < expected.data.length; k++) {
          const e = expected.data[k];
          const d = Math.abs(outs[i].data[k] - e);
          if (!(d <= 1e-4 * Math.max(1, Math.abs(e)))) throw new Error(`${set}/${f}[${k}]: expected ${e}, found ${outs[i].data[k]}`);
        }
      });
  }
}

describe('ONNX backend node tests', () => {
  it('claims a case list with reasons for every skipped case of a claimed op', () => {
    expect(claimed.claimed.length).toBeGreaterThan(100);
    for (const [name, reason] of Object.entries(claimed.skipped)) expect(reason.length, name).toBeGreaterThan(20);
    expect(readdirSync(join(HERE, 'cases')).sort()).toEqual([...claimed.claimed].sort());
  });
  for (const name of claimed.claimed) it(name, () => runCase(name));
});
