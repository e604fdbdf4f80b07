/**
 * The registers a quantized network's values must fit: a TPP membrane holds its whole accumulation
 * ((T + 1)θ, quantize-scales.ts), and on a narrow target the scales are lowered where calibration
 * data overflow a current or a readout sum (passes/measured-headroom.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { maxOf } from '../ir/fixed-arith.js';
import { attrInt, attrVector } from '../ir/ops.js';
import type { Graph } from '../ir/types.js';
import { cTarget } from '../targets/c/index.js';
import { targetByName } from '../targets/index.js';
import { loadImages, type Images } from '../src/data/dataset.js';
import { integerSamples } from '../src/data/integer.js';
import { simulateFixed } from '../src/exec/run-fixed.js';
import { saturationEffect } from '../src/exec/saturation-effect.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { presetsByName } from '../src/methods.js';
import { HEADROOM_SAMPLES, mayOverflow } from '../src/passes/measured-headroom.js';
import type { LayerReport } from '../src/passes/quantize.js';
import { calibrate, prepareAnn, toFixed, toSnn } from '../src/pipeline.js';
import { formatReport } from '../src/cli/commands/compile.js';
import { CALIB_IMAGES, modelPath, TEST_IMAGES } from './helpers/paths.js';

async function spiking(model: string, method: string, T: number): Promise<{ snn: Graph; calib: Images; test: Images }> {
  const g = importOnnxFile(modelPath(model));
  const ann = prepareAnn(g);
  const calib = loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, HEADROOM_SAMPLES);
  const test = loadImages(TEST_IMAGES, g.nodes[0].type, 1 / 255, 100);
  return { snn: toSnn(ann, await calibrate(ann, calib, 1), presetsByName(method)[0], T, calib), calib, test };
}

describe('a TPP membrane holds its whole accumulation', () => {
  it('(T + 1)θ fits the membrane of every TPP population, 2θ of every IF one, with wide weights', async () => {
    const T = 8;
    for (const method of ['chp99.9-subtract-half+tpp-round', 'chp99.9-subtract-half']) {
      const { snn } = await spiking('fmnist-cnn-bn', method, T);
      // 14-bit weights: the weights alone would allow scales at which θ fills a 24-bit membrane
      const fixed = toFixed(snn, cTarget(), { inputScale: 1 / 255, weightBits: 14 });
      const pops = fixed.nodes.filter((n) => n.op === 'if');
      expect(pops.length).toBeGreaterThan(0);
      for (const n of pops) {
        const held = n.attrs.tpp !== undefined ? T + 1 : 2;
        expect(held).toBe(method.includes('tpp') ? T + 1 : 2);
        const theta = Math.max(...attrVector(n, 'threshold', fixed.consts)!);
        expect(held * theta, `${method} %${n.id}`).toBeLessThanOrEqual(maxOf(attrInt(n, 'vbits')) + held);
      }
    }
  });
});

describe('measured headroom on a 16-bit core', () => {
  const speck = targetByName('core:speck-like').desc();
  let snn: Graph;
  let calib: Images;
  let test: Images;
  beforeAll(async () => {
    ({ snn, calib, test } = await spiking('fmnist-mlp', 'chp99.9-subtract-half', 8));
  });

  const overflowAt = async (g: Graph, images: Images) => {
    const run = await simulateFixed(g, integerSamples(g, images), [8], 1);
    return { run, acc: run.overflow.reduce((a, u) => a + u.acc, 0), readout: run.overflow.filter((u) => g.nodes.find((n) => n.id === u.id)!.op === 'readout').reduce((a, u) => a + u.v, 0) };
  };

  it('the static scales overflow the first layer\'s 16-bit accumulator on real images; the measured ones do not', async () => {
    const plain = toFixed(snn, speck, { inputScale: 1 / 255 });
    expect(mayOverflow(plain).map((n) => n.id)).toContain('v2_Relu');
    expect((await overflowAt(plain, calib)).acc).toBeGreaterThan(0);

    const reports: LayerReport[] = [];
    const measured = toFixed(snn, speck, { inputScale: 1 / 255, calib, onReport: (r) => reports.push(r) });
    const first = reports.find((r) => r.id === 'v2_Relu')!;
    expect(first.measuredFactor).toBeGreaterThan(0);
    expect(first.measuredFactor).toBeLessThan(1);
    // the measured peak keeps about one bit free at the lowered scale (the margin of 2)
    expect(first.measuredHeadroomBits).toBeGreaterThan(0.9);
    expect(first.measuredHeadroomBits).toBeLessThan(1.1);
    // on the samples it was measured on, every current and sum keeps a bit of headroom: nothing saturates
    const onCalib = await overflowAt(measured, calib);
    expect(onCalib.acc).toBe(0);
    expect(onCalib.readout).toBe(0);
    // and on held-out images no saturation changes a readout
    const held = await overflowAt(measured, test);
    expect(await saturationEffect(measured, integerSamples(measured, test), held.run, 1)).toEqual({ samples: test.count, readouts: 0, classes: 0 });
    // compile's report shows the factor
    const table = formatReport(reports);
    expect(table).toMatch(new RegExp(`^v2_Relu .* x${first.measuredFactor!.toPrecision(2).replace('.', '\\.')}$`, 'm'));
    expect(table).toMatch(/lowered: the scale factor/);
    // only accumulators that can overflow in the worst case are measured and lowered
    const watched = new Set(mayOverflow(plain).map((n) => n.id));
    for (const r of reports) if (r.measuredFactor !== undefined) expect(watched.has(r.id), r.id).toBe(true);
  });

  it('a target whose registers hold the worst case is not measured, and its network is unchanged', async () => {
    const plain = toFixed(snn, cTarget(), { inputScale: 1 / 255 });
    expect(mayOverflow(plain)).toEqual([]);
    const reports: LayerReport[] = [];
    const withCalib = toFixed(snn, cTarget(), { inputScale: 1 / 255, calib, onReport: (r) => reports.push(r) });
    expect(reports.every((r) => r.measuredFactor === undefined)).toBe(true);
    for (const [id, c] of plain.consts) expect(Array.from(withCalib.consts.get(id)!.data), id).toEqual(Array.from(c.data));
  });
});

describe('the folded bias table fits the bias width', () => {
  it('a network whose v(0) = θ/2 would overflow a 20-bit table compiles for that core, every entry within it', async () => {
    // loihi-like: 24-bit membranes, 20-bit biases; the mlp's first layer starts at θ/2, which at
    // the scale its weights allow is more than 2^19 (compile refused it: SNN0203)
    const loihi = targetByName('core:loihi-like').desc();
    const { snn } = await spiking('fmnist-mlp', 'chp99.9-subtract-half', 8);
    const fixed = toFixed(snn, loihi, { inputScale: 1 / 255 });
    let entries = 0;
    for (const n of fixed.nodes.filter((x) => x.op === 'if' || x.op === 'readout')) {
      const table = attrVector(n, 'bias', fixed.consts, 0)!;
      for (const b of table) expect(Math.abs(b), n.id).toBeLessThanOrEqual(maxOf(loihi.biasBits));
      entries += table.length;
    }
    expect(entries).toBeGreaterThan(0);
    // the first layer's table holds v(0) = θ/2: its largest entry is near the limit, the scale lowered to fit it
    const first = fixed.nodes.find((n) => n.id === 'v2_Relu')!;
    expect(Math.max(...attrVector(first, 'bias', fixed.consts)!.map(Math.abs))).toBeGreaterThan(maxOf(loihi.biasBits) / 2);
  });
});
