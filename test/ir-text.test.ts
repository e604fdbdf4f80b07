/** The text form is lossless: print(parse(print(g))) === print(g), and parse(print(g)) equals g. */
import { describe, expect, it } from 'vitest';
import { SnncError } from '../ir/diagnostics.js';
import { parseGraph } from '../ir/text/parse.js';
import { printGraph, printText } from '../ir/text/print.js';
import { verify } from '../ir/verify.js';
import type { Graph } from '../ir/types.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { FIXTURE_MODELS, modelPath } from './helpers/paths.js';

/** Graph as plain data without parse positions, for deep comparison. */
function plain(g: Graph): unknown {
  return {
    ...g,
    nodes: g.nodes.map(({ pos: _pos, ...n }) => n),
    consts: [...g.consts.values()].map((c) => ({ id: c.id, type: c.type, data: Array.from(c.data) })),
  };
}

describe('IR text round trip', () => {
  for (const name of FIXTURE_MODELS) {
    it(`${name}: inline weights`, () => {
      const g = importOnnxFile(modelPath(name));
      const text = printText(g);
      const back = parseGraph(text, { file: `${name}.snnir` });
      expect(verify(back).filter((d) => d.severity === 'error')).toEqual([]);
      expect(printText(back)).toBe(text);
      expect(plain(back)).toEqual(plain(g));
    });
    it(`${name}: weights sidecar`, () => {
      const g = importOnnxFile(modelPath(name));
      const p = printGraph(g, { sidecar: 'w.bin' });
      expect(p.sidecar!.length).toBeGreaterThan(0);
      const back = parseGraph(p.text, { readSidecar: (f) => (f === 'w.bin' ? p.sidecar! : new Uint8Array()) });
      expect(printGraph(back, { sidecar: 'w.bin' }).text).toBe(p.text);
      expect(plain(back)).toEqual(plain(g));
    });
  }

  it('rejects a sidecar whose hash does not match', () => {
    const g = importOnnxFile(modelPath('fmnist-mlp'));
    const p = printGraph(g, { sidecar: 'w.bin' });
    const tampered = p.sidecar!.slice();
    tampered[100] ^= 1;
    expect(() => parseGraph(p.text, { readSidecar: () => tampered })).toThrow(/sha256/);
  });

  it('keeps -0, NaN, infinities and long doubles exactly', () => {
    const text = `snnir 1\ngraph @g stage=ann {\n  %x = input() : f32[N,2]\n  %c = clip(%x) {max=0.1000000000000000055511151231257827, min=-0} : f32[N,2]\n  %d = clip(%c) {max=inf, min=nan} : f32[N,2]\n  output %d\n}\n`;
    const g = parseGraph(text);
    expect(Object.is(g.nodes[1].attrs.min, -0)).toBe(true);
    expect(g.nodes[1].attrs.max).toBe(0.1);
    expect(Number.isNaN(g.nodes[2].attrs.min as number)).toBe(true);
    expect(printText(parseGraph(printText(g)))).toBe(printText(g));
  });

  it('reports parse errors with file:line:col', () => {
    try {
      parseGraph('snnir 1\ngraph @g stage=ann {\n  %x = input( : f32[N]\n}\n', { file: 'm.snnir' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SnncError);
      expect((e as SnncError).code).toBe('SNN0002');
      expect((e as SnncError).where).toBe('m.snnir:3:15');
    }
  });
});
