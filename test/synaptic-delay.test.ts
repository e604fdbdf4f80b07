/**
 * A one-step synaptic delay (insert-delays, targets with synapticDelay 1) makes a step-major
 * network's output hear its input late: how late (arrivalDelay), and the warning every command that
 * quantizes for such a target gives (SNN0208).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGraph } from '../ir/text/parse.js';
import { arrivalDelay, insertDelays } from '../src/passes/insert-delays.js';
import { runPass } from '../src/passes/pass.js';
import { snnc } from './helpers/cli.js';
import { attrInt } from '../ir/ops.js';
import { runSteps } from '../ir/tpp.js';
import type { Graph } from '../ir/types.js';
import { cTarget } from '../targets/c/index.js';
import { loadImages, type Images } from '../src/data/dataset.js';
import { integerSamples } from '../src/data/integer.js';
import { simulateFixed } from '../src/exec/run-fixed.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { presetsByName } from '../src/methods.js';
import { calibrate, prepareAnn, toFixed, toSnn } from '../src/pipeline.js';
import { CALIB_IMAGES, modelPath, TEST_IMAGES, TEST_LABELS } from './helpers/paths.js';

async function spiking(model: string, method: string, T: number): Promise<{ snn: Graph; test: Images }> {
  const g = importOnnxFile(modelPath(model));
  const ann = prepareAnn(g);
  const calib = loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 128);
  const test = loadImages(TEST_IMAGES, g.nodes[0].type, 1 / 255, 20);
  return { snn: toSnn(ann, await calibrate(ann, calib, 1), presetsByName(method)[0], T, calib), test };
}

/** Two populations in a row, and a shortcut from the first to the readout. */
const text = () => `snnir 1
graph @d stage=snn-fixed steps=3 {
  %x = input() {scale=1} : u8[N,2]
  %h = dense(%x, @w) : i16[N,2]
  %a = if(%h) {accbits=16, overflow="saturate", reset="subtract", threshold=5, vbits=16} : u1[N,2]
  %e = dense(%a, @w) : i16[N,2]
  %b = if(%e) {accbits=16, overflow="saturate", reset="subtract", threshold=5, vbits=16} : u1[N,2]
  %f = dense(%b, @w) : i16[N,2]
  %g = dense(%a, @w) : i16[N,2]
  %s = add(%f, %g) : i16[N,2]
  %r = readout(%s) {overflow="saturate", scale=1, sumbits=16} : i16[N,2]
  output %r
}
const @w : i8[2,2] = [1,2,3,4]
`;

describe('arrivalDelay', () => {
  it('counts the delays on the longest path to the output', () => {
    const g = parseGraph(text());
    expect(arrivalDelay(g)).toBe(0);
    // %a and %b each get a delay: the longest path x -> a -> b -> readout crosses two, the shortcut one
    expect(arrivalDelay(runPass(insertDelays, g, undefined))).toBe(2);
  });

  it('is 0 on a layer-major graph, whose windows wait for their delayed inputs', () => {
    const chain = parseGraph(`snnir 1
graph @lm stage=snn-fixed steps=3 {
  %x = input() {scale=1} : u8[N,2]
  %h = dense(%x, @w) : i16[N,2]
  %a = if(%h) {accbits=16, key=0, overflow="saturate", reset="subtract", seed=3, threshold=5, tpp="round", vbits=16, window=0} : u1[N,2]
  %e = dense(%a, @w) : i16[N,2]
  %b = if(%e) {accbits=16, key=1, overflow="saturate", reset="subtract", seed=3, threshold=5, tpp="round", vbits=16, window=1} : u1[N,2]
  %f = dense(%b, @w) : i16[N,2]
  %r = readout(%f) {overflow="saturate", scale=1, sumbits=16, window=2} : i16[N,2]
  output %r
}
const @w : i8[2,2] = [1,2,3,4]
`);
    const delayed = runPass(insertDelays, chain, undefined);
    expect(delayed.nodes.filter((n) => n.op === 'delay').length).toBe(2);
    expect(arrivalDelay(delayed)).toBe(0);
  });
});

describe('a step-major network aligned for the delay', () => {
  it('computes the delay-free integer network, readout for readout at every T, D steps later', async () => {
    const c = cTarget();
    for (const [model, method] of [
      ['fmnist-mlp', 'chp99.9-subtract-half'],
      ['fmnist-cnn-bn', 'chmmse-subtract-shift+calib-advanced+ftbc'],
      ['fmnist-vgg-maxpool', 'chp99.9-subtract-half'],
    ] as const) {
      const { snn, test } = await spiking(model, method, 8);
      const plain = toFixed(snn, c, { inputScale: 1 / 255 });
      const delayed = toFixed(snn, { ...c, synapticDelay: 1 }, { inputScale: 1 / 255 });
      expect(delayed.nodes.filter((n) => n.op === 'delay').length, model).toBeGreaterThan(0);
      expect(arrivalDelay(delayed), model).toBe(0);
      const window = attrInt(delayed.nodes.find((n) => n.id === delayed.outputs[0])!, 'window', 0);
      expect(window, model).toBeGreaterThan(0);
      expect(runSteps(delayed)).toBe(8 + window);
      const a = await simulateFixed(plain, integerSamples(plain, test), [2, 5, 8], 1);
      const b = await simulateFixed(delayed, integerSamples(delayed, test), [2, 5, 8], 1);
      for (let k = 0; k < 3; k++) expect(Array.from(b.readouts[k]), `${model} checkpoint ${k}`).toEqual(Array.from(a.readouts[k]));
    }
  });

  it('a residual network (a shortcut crosses fewer delays) is left as it is, and hears its input late', async () => {
    const { snn } = await spiking('fmnist-resnet', 'chp99.9-subtract-half', 8);
    const delayed = toFixed(snn, { ...cTarget(), synapticDelay: 1 }, { inputScale: 1 / 255 });
    expect(arrivalDelay(delayed)).toBe(7);
    expect(runSteps(delayed)).toBe(8);
  });
});

describe('SNN0208', () => {
  const evalOn = (model: string, target: string, methods: string) =>
    snnc(['eval', modelPath(model), '--calib', CALIB_IMAGES, '--calib-limit', '64', '--data', TEST_IMAGES, '--labels', TEST_LABELS, '--input-scale', '1/255', '--limit', '10', '-T', '2,8', '--methods', methods, '--target', target]);

  it('eval on a delay-1 core warns for a step-major residual network, naming how late and what is left of each T', () => {
    const r = evalOn('fmnist-resnet', 'core:loihi-like', 'chp99.9-subtract-half,chp99.9-subtract-half+tpp-round');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning SNN0208: chp99\.9-subtract-half: the integer network: on core:loihi-like a spike reaches the next layer one step after it fires: the output of this step-major network hears its input 7 steps late, so at T = 2, 8 its readout sums 0, 1 steps that carry signal/);
    // the layer-major method waits for its inputs: no warning for it
    expect(r.stderr).not.toMatch(/SNN0208: chp99\.9-subtract-half\+tpp-round/);
  });

  it('an aligned chain says nothing on a delay-1 core, and nor does a delay-0 one', () => {
    for (const target of ['core:loihi-like', 'core:generic']) {
      const r = evalOn('fmnist-mlp', target, 'chp99.9-subtract-half');
      expect(r.code).toBe(0);
      expect(r.stderr).not.toMatch(/SNN0208/);
    }
  });

  it('compile for a delay-1 core: an aligned network runs T + D steps, bit-exact on the core and C', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'snnc-delay-')), 'mlp');
    const r = snnc(['compile', modelPath('fmnist-mlp'), '--calib', CALIB_IMAGES, '--calib-limit', '64', '--input-scale', '1/255', '-T', '8', '--target', 'core:loihi-like', '-o', out, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/SNN0208/);
    const report = JSON.parse(r.stdout);
    expect(report.arrivalDelay).toBeUndefined();
    expect(report.latencySteps).toBe(10);
    // its 21-bit accumulator can overflow in the worst case and did on calibration data: the scale is lowered to leave a bit
    expect(r.stderr).toMatch(/warning SNN0204 %v2_Relu: the worst-case input current needs [\d.]+ more bits than the 21-bit accumulator; it would saturate and be counted; on the calibration data it peaked 1\.0 bits below its register \(its scale lowered x0\.\d+ to leave one\)\n/);
    const v = snnc(['verify', out, '--data', TEST_IMAGES, '--input-scale', '1/255', '-n', '6', '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout).bitExact).toBe(true);
  });

  it('the HTML report says it next to the target', async () => {
    const { reportHtml } = await import('../src/report/html.js');
    const html = await reportHtml({ title: 't', target: 'core:loihi-like', steps: 8, method: 'm', arrivalDelay: 7 });
    expect(html).toMatch(/<b>Synaptic delay<\/b>: on core:loihi-like .* hears its input 7 steps late: of its T = 8 steps the readout sums 1 that carry signal/);
    expect(await reportHtml({ title: 't', target: 'core:loihi-like', steps: 8, method: 'm' })).not.toMatch(/Synaptic delay/);
  });
});
