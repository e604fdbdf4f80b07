/** quantize on a real network: per-channel and per-tensor scales, weight widths, the report. */
import { beforeAll, describe, expect, it } from 'vitest';
import { SnncError } from '../ir/diagnostics.js';
import type { Graph } from '../ir/types.js';
import { cTarget } from '../targets/c/index.js';
import { loadImages } from '../src/data/dataset.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { PRESETS } from '../src/methods.js';
import type { LayerReport } from '../src/passes/quantize.js';
import { calibrate, prepareAnn, toFixed, toSnn } from '../src/pipeline.js';
import { CALIB_IMAGES, modelPath } from './helpers/paths.js';
import { parseGraph } from '../ir/text/parse.js';

let snn: Graph;
beforeAll(async () => {
  const g = importOnnxFile(modelPath('fmnist-cnn-bn'));
  const ann = prepareAnn(g);
  snn = toSnn(ann, await calibrate(ann, loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 128), 1), PRESETS['p99.9-subtract-half'], 16);
});

function weightRows(g: Graph): { id: string; rows: Int32Array[] }[] {
  return g.nodes
    .filter((n) => n.op === 'conv2d' || n.op === 'dense')
    .map((n) => {
      const c = g.consts.get(n.inputs[1].id)!;
      const per = c.data.length / c.type.shape[0];
      return { id: n.id, rows: Array.from({ length: c.type.shape[0] }, (_, r) => c.data.subarray(r * per, (r + 1) * per) as Int32Array) };
    });
}

const maxAbs = (a: ArrayLike<number>): number => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

describe('quantize', () => {
  it('per channel: every output channel of a hidden layer uses the full 8-bit range', () => {
    const fixed = toFixed(snn, cTarget(), { inputScale: 1 / 255 });
    for (const { id, rows } of weightRows(fixed).slice(0, -1)) for (const r of rows) expect(maxAbs(r), id).toBe(127);
  });

  it('per tensor: one scale per layer, reached by its largest weight only', () => {
    const fixed = toFixed(snn, cTarget(), { inputScale: 1 / 255, granularity: 'tensor' });
    for (const { id, rows } of weightRows(fixed)) {
      expect(Math.max(...rows.map(maxAbs)), id).toBe(127);
      expect(rows.some((r) => maxAbs(r) < 127), id).toBe(true);
    }
  });

  it('weights stay in range at 2..16 bits and the error shrinks with width', () => {
    const err: number[] = [];
    for (const bits of [2, 4, 8, 12, 16]) {
      const reports: LayerReport[] = [];
      const fixed = toFixed(snn, cTarget(), { inputScale: 1 / 255, weightBits: bits, onReport: (r) => reports.push(r) });
      for (const { rows } of weightRows(fixed)) for (const r of rows) expect(maxAbs(r)).toBeLessThanOrEqual(2 ** (bits - 1) - 1);
      err.push(reports.reduce((s, r) => s + r.weightError, 0));
      expect(reports.every((r) => r.accHeadroomBits > 0 && r.clipped === 0)).toBe(true);
    }
    for (let i = 1; i < err.length; i++) expect(err[i]).toBeLessThan(err[i - 1]);
  });

  it('clipping at a percentile is reported', () => {
    const reports: LayerReport[] = [];
    toFixed(snn, cTarget(), { inputScale: 1 / 255, weightClip: 99, onReport: (r) => reports.push(r) });
    expect(reports.some((r) => r.clipped > 0.001 && r.clipped < 0.05)).toBe(true);
  });

  it('the readout has one scale, so its argmax compares classes', () => {
    const fixed = toFixed(snn, cTarget(), { inputScale: 1 / 255 });
    const readout = fixed.nodes.find((n) => n.op === 'readout')!;
    expect(typeof readout.attrs.scale).toBe('number');
    expect(readout.attrs.bias).toBeDefined();
  });

  it('rejects weight widths the target does not offer', () => {
    expect(() => toFixed(snn, cTarget(), { inputScale: 1 / 255, weightBits: 20 })).toThrow(SnncError);
  });
});

describe('a projection reading a current', () => {
  it('is refused naming the producer: a linear layer (no neuron after it) feeding another projection, as in a linear bottleneck', () => {
    const g = parseGraph(
      [
        'snnir 1',
        'graph @m stage=snn-float steps=4 {',
        '  %x = input() : f32[N,4]',
        '  %a = dense(%x, @w1) : f32[N,4]',
        '  %s = if(%a) {threshold=1} : f32[N,4]',
        '  %lin = dense(%s, @w2) : f32[N,4]',
        '  %b = dense(%lin, @w3) : f32[N,2]',
        '  %t = if(%b) {threshold=1} : f32[N,2]',
        '  %r = readout(%t) : f32[N,2]',
        '  output %r',
        '}',
        'const @w1 : f32[4,4] = [1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1]',
        'const @w2 : f32[4,4] = [1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1]',
        'const @w3 : f32[2,4] = [1,1,0,0,0,0,1,1]',
      ].join('\n'),
    );
    let err: unknown;
    try {
      toFixed(g, cTarget(), { inputScale: 1 / 255 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SnncError);
    expect((err as SnncError).code).toBe('SNN0202');
    expect((err as SnncError).message).toMatch(/%b reads a current \(dense %lin, with no neuron population after it/);
  });
});
