/**
 * K neurons per activation (src/passes/replicate-neurons.ts): the replicated ANN computes the
 * original on every fixture; the copies' rounding points make K counts of T levels one count of
 * K·T levels (Hermite's identity, checked over a grid of charges); on fmnist-resnet and
 * fmnist-dwsep the float TPP-round network with two copies answers as its ANN with every
 * activation rounded to 2T levels, and a QCFS network of L = 8 levels run at T = 4 with two is
 * that network itself; the replicated integer networks (grouped convolutions of K inputs per
 * group, shortcuts read through the mean of their copies) are bit-exact on the interpreter and
 * the C, and dwsep's on the core simulator; the energy reference is the original ANN; and the
 * method's names and options.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SnncError } from '../ir/diagnostics.js';
import { populationShape, spikeAmplitude, thresholdPerNeuron } from '../ir/neuron-params.js';
import { attrVector } from '../ir/ops.js';
import type { Graph } from '../ir/types.js';
import { loadImages } from '../src/data/dataset.js';
import { integerSamples } from '../src/data/integer.js';
import { runAnn } from '../src/exec/ann.js';
import { floatSimulator, simulateFloatChunk } from '../src/exec/snn-float.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { presetsByName } from '../src/methods.js';
import { isNeuronSource } from '../src/passes/activations.js';
import type { ActivationStats } from '../src/passes/calibrate.js';
import { runPass } from '../src/passes/pass.js';
import { replicaOffsets, replicateNeurons } from '../src/passes/replicate-neurons.js';
import { calibrate, prepareAnn, snnSteps, toFixed, toSnn } from '../src/pipeline.js';
import { methodFrom } from '../src/cli/options.js';
import { priceAnn } from '../src/energy/estimate.js';
import { DEFAULT_PROFILE } from '../src/energy/energy-report.js';
import { loadProfile } from '../src/energy/profile.js';
import { verifyProgram } from '../src/verify-c.js';
import { verifyCore } from '../src/verify-core.js';
import { cTarget } from '../targets/c/index.js';
import { loadCorePreset, quantizerView } from '../targets/core/desc.js';
import { compileForCore, CoreSimulator, decodeImage } from '../targets/core/index.js';
import { buildProgram, WARNINGS, writeProgram } from './helpers/c-build.js';
import { CALIB_IMAGES, FIXTURE_MODELS, modelPath, TEST_IMAGES } from './helpers/paths.js';

const images = (g: Graph, n: number) => loadImages(TEST_IMAGES, g.nodes[0].type, 1 / 255, n);

describe('the replicated ANN is the same function', () => {
  for (const name of FIXTURE_MODELS) {
    it(`${name}, K = 2 and 3: logits within float rounding of the original's, every activation K times wider`, () => {
      const ann = prepareAnn(importOnnxFile(modelPath(name)));
      const x = images(ann, 8);
      const input = [{ shape: [x.count, ...x.sampleShape], data: x.data }];
      const [want] = runAnn(ann, input);
      const range = Math.max(...want.data.map(Math.abs));
      for (const K of [2, 3]) {
        const rep = runPass(replicateNeurons, ann, { copies: K });
        const [got] = runAnn(rep, input);
        expect(got.shape).toEqual(want.shape);
        want.data.forEach((v, i) => expect(Math.abs(got.data[i] - v)).toBeLessThan(1e-5 * range));
        const widths = (g: Graph) => g.nodes.filter(isNeuronSource).map((n) => n.type.shape[1]);
        expect(widths(rep)).toEqual(widths(ann).map((c) => c * K));
      }
    });
  }

  it('refuses a network whose output is an activation', () => {
    const ann = prepareAnn(importOnnxFile(modelPath('fmnist-mlp')));
    const last = ann.nodes[ann.nodes.length - 1];
    const cut: Graph = { ...ann, nodes: ann.nodes.slice(0, -1), outputs: [ann.nodes[ann.nodes.length - 2].id] };
    expect(last.op).toBe('dense');
    expect(() => runPass(replicateNeurons, cut, { copies: 2 })).toThrow(expect.objectContaining({ code: 'SNN0508', message: expect.stringContaining('graph output') }) as SnncError);
  });
});

describe('the copies round at (2j + 1)/(2K)', () => {
  it("K counts of T levels are one count of K·T levels: Σ_j clip(⌊u + o_j + 1/2⌋, 0, T) = clip(⌊K u + 1/2⌋, 0, K T)", () => {
    const T = 4;
    for (const K of [2, 3, 4]) {
      const offsets = replicaOffsets(K, K);
      expect(offsets.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
      for (let i = -192; i <= 96 * (T + 2); i++) {
        const u = (i + 0.37) / 96; // never a tie: K u + 1/2 is never an integer
        const sum = Array.from(offsets, (o) => Math.min(T, Math.max(0, Math.floor(u + o + 0.5)))).reduce((a, b) => a + b, 0);
        expect(sum, `K=${K} u=${u}`).toBe(Math.min(K * T, Math.max(0, Math.floor(K * u + 0.5))));
      }
    }
  });
});

describe('two neurons per activation on the layer-major round network', () => {
  for (const name of ['fmnist-resnet', 'fmnist-dwsep']) {
    it(`${name}: the float TPP-round network with K = 2 answers as its ANN with every activation rounded to 2T levels`, async () => {
      const T = 4;
      const K = 2;
      const g = importOnnxFile(modelPath(name));
      const ann = prepareAnn(g);
      const stats = await calibrate(ann, loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 64), 1);
      const snn = toSnn(ann, stats, presetsByName('chp99.9-subtract-half+tpp-round+rep2')[0], T);
      const x = images(g, 8);
      const got = simulateFloatChunk(floatSimulator(snn), { count: x.count, sampleShape: x.sampleShape, data: x.data }, [T]).sums[0];
      // the original ANN, each activation a (channel c, position p) replaced by
      // A/(K T) · clip(floor(a K T/θ + 1/2), 0, K T), θ and A those of the copies of c
      const populations = new Map(snn.nodes.filter((n) => n.op === 'if').map((n) => [n.id, { theta: thresholdPerNeuron(n, snn.consts), amplitude: spikeAmplitude(n, snn.consts), ...populationShape(n) }]));
      let rounded = 0;
      const [want] = runAnn(ann, [{ shape: [x.count, ...x.sampleShape], data: x.data }], {
        onValue: (node, t) => {
          const p = populations.get(node.id);
          if (!p) return;
          rounded++;
          const size = p.size / K;
          t.data.forEach((a, k) => {
            const i = k % size;
            const c = Math.floor(i / p.HW);
            const copy0 = c * K * p.HW + (i % p.HW);
            const levels = K * T;
            t.data[k] = (p.amplitude[c * K] / levels) * Math.min(levels, Math.max(0, Math.floor((a * levels) / p.theta[copy0] + 0.5)));
          });
        },
      });
      expect(rounded).toBe(ann.nodes.filter(isNeuronSource).length);
      for (let k = 0; k < want.data.length; k++) expect(got[k] / T).toBeCloseTo(want.data[k], 3);
    }, 60_000);
  }
});

describe('a QCFS network of L levels at T = L/K', () => {
  it('fmnist-qcfs-resnet with two neurons per activation at T = 4 = L/2: the float TPP-round network is the QCFS network itself', async () => {
    const g = importOnnxFile(modelPath('fmnist-qcfs-resnet'));
    const ann = prepareAnn(g);
    expect(new Set(ann.nodes.filter((n) => n.op === 'qcfs').map((n) => n.attrs.levels))).toEqual(new Set([8]));
    const stats = await calibrate(ann, loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 16), 1);
    const snn = toSnn(ann, stats, presetsByName('qcfs+tpp-round+rep2')[0], 4);
    const x = images(g, 8);
    const got = simulateFloatChunk(floatSimulator(snn), { count: x.count, sampleShape: x.sampleShape, data: x.data }, [4]).sums[0];
    const [want] = runAnn(ann, [{ shape: [x.count, ...x.sampleShape], data: x.data }]);
    for (let k = 0; k < want.data.length; k++) expect(got[k] / 4).toBeCloseTo(want.data[k], 3);
  }, 60_000);
});

describe('replicated integer networks on every executor', () => {
  // the core check runs on dwsep only: mapping the replicated resnet onto the generic core takes 15 s
  const cases = [
    { name: 'fmnist-dwsep', method: 'chp99.9-subtract-half+rep2', core: true },
    { name: 'fmnist-resnet', method: 'chp99.9-subtract-half+tpp-round+rep2', core: false },
  ];
  const built: { prefix: string; graph: Graph; core?: Graph }[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'snnc-rep-'));
  let exe = '';
  const core = loadCorePreset('generic');
  beforeAll(async () => {
    for (const c of cases) {
      const g = importOnnxFile(modelPath(c.name));
      const ann = prepareAnn(g);
      const stats: ActivationStats = await calibrate(ann, loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 32), 2);
      const snn = toSnn(ann, stats, presetsByName(c.method)[0], 4);
      // the copies start at different points: v(0) differs within every replicated population
      for (const n of snn.nodes.filter((m) => m.op === 'if')) expect(new Set(attrVector(n, 'vinit', snn.consts, 0)).size).toBe(2);
      built.push({ prefix: c.name.replace(/-/g, '_'), graph: toFixed(snn, cTarget(), { inputScale: 1 / 255 }), ...(c.core ? { core: toFixed(snn, quantizerView(core), { inputScale: 1 / 255 }) } : {}) });
    }
    writeProgram(dir, built);
    exe = await buildProgram(dir, built.map((b) => b.prefix), [...WARNINGS, '-O1']);
  }, 300_000);

  cases.forEach((c, k) => {
    it(`${c.name} ${c.method}: interpreter = C${c.core ? ' = core simulator' : ''}`, () => {
      const { graph, core: coreGraph } = built[k];
      const r = verifyProgram(graph, exe, dir, integerSamples(graph, images(graph, 6)), k);
      expect(r.first).toBeUndefined();
      expect(r.bitExact).toBe(true);
      if (!coreGraph) return;
      const s = verifyCore(coreGraph, new CoreSimulator(decodeImage(compileForCore(coreGraph, core).bytes)), integerSamples(coreGraph, images(coreGraph, 1)));
      expect(s.first).toBeUndefined();
      expect(s.bitExact).toBe(true);
    });
  });
});

describe('the energy reference', () => {
  for (const name of ['fmnist-resnet', 'fmnist-dwsep', 'fmnist-mlp', 'fmnist-cnn-bn']) {
    it(`${name}: the ANN a replicated network is compared with is the original, layer by layer`, async () => {
      const g = importOnnxFile(modelPath(name));
      const ann = prepareAnn(g);
      const stats = await calibrate(ann, loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 16), 1);
      const fixed = (method: string) => toFixed(toSnn(ann, stats, presetsByName(method)[0], 4), cTarget(), { inputScale: 1 / 255 });
      const profile = loadProfile(DEFAULT_PROFILE);
      const one = priceAnn(fixed('chp99.9-subtract-half+tpp-round'), profile);
      const two = fixed('chp99.9-subtract-half+tpp-round+rep2');
      expect(two.nodes.filter((n) => n.op === 'conv2d' || n.op === 'dense').length).toBeGreaterThanOrEqual(one.layers.length);
      expect(priceAnn(two, profile)).toEqual(one);
    }, 60_000);
  }
});

describe('methods', () => {
  it('+rep2/3/4 compose with any preset, once', () => {
    expect(presetsByName('chmmse-subtract-shift+tpp-round+calib-weights+rep2')[0].replicas).toBe(2);
    expect(presetsByName('qcfs+rep4')[0].replicas).toBe(4);
    expect(() => presetsByName('qcfs+rep2+rep3')).toThrow(/names the replication twice/);
  });

  it('--replicas K spells the same method, and its copies round first of all the steps', () => {
    const flags = { threshold: 'channel-mmse', percentile: 99.9, reset: 'subtract', init: '0', shift: true, readout: 'mean', maxpool: 'gate', calibration: 'none', 'weight-calibration': true, tpp: 'round', replicas: 2 };
    const m = methodFrom(flags);
    expect(m.name).toBe('chmmse-subtract-shift+rep2+tpp-round+calib-weights');
    expect(presetsByName(m.name)[0]).toEqual(m);
    const ann = prepareAnn(importOnnxFile(modelPath('fmnist-mlp')));
    expect(snnSteps(m, ann, new Map()).map((s) => s.name)).toEqual(['dither-replicas', 'tpp', 'weight-calibration']);
    expect(() => methodFrom({ ...flags, replicas: 5 })).toThrow(expect.objectContaining({ code: 'SNN0407' }) as SnncError);
    expect(() => methodFrom({ method: 'qcfs', replicas: 2 })).toThrow(/--replicas/);
  });
});
