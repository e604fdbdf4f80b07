/** ANN-level passes preserve the function; calibration statistics and threshold rules. */
import { describe, expect, it } from 'vitest';
import { SnncError } from '../ir/diagnostics.js';
import { loadImages } from '../src/data/dataset.js';
import { runAnn } from '../src/exec/ann.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { computeThresholds, mmseThreshold, percentile, thresholdOf } from '../src/passes/balance-thresholds.js';
import { mmseThresholdReference } from './helpers/mmse-reference.js';
import { collectActivations } from '../src/passes/calibrate.js';
import { ChannelStats, HISTOGRAM_BITS, LayerStats } from '../src/passes/activation-stats.js';
import { prepareAnn, toSnn } from '../src/pipeline.js';
import { presetsByName } from '../src/methods.js';
import { populationShape, thresholdPerNeuron } from '../ir/neuron-params.js';
import { testImages } from './helpers/data.js';
import { CALIB_IMAGES, FIXTURE_MODELS, modelPath } from './helpers/paths.js';

const N = 64;
const x = testImages(N);
const run = (g: ReturnType<typeof importOnnxFile>) => runAnn(g, [{ shape: [N, 1, 28, 28], data: x }])[0].data;

describe('canonicalize + fold-batchnorm + recognize-qcfs preserve the ANN', () => {
  for (const name of FIXTURE_MODELS) {
    it(name, () => {
      const g = importOnnxFile(modelPath(name));
      const p = prepareAnn(g);
      expect(p.nodes.some((n) => n.op === 'batchnorm' || n.op === 'pad' || n.op === 'floor')).toBe(false);
      const a = run(g);
      const b = run(p);
      let range = 0;
      for (const v of a) range = Math.max(range, Math.abs(v));
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(2e-6 * range);
      if (name.includes('qcfs')) expect(Array.from(b)).toEqual(Array.from(a)); // same float32 operations, same order
    });
  }

  it('folding BN reproduces the exporter-fused model (fmnist-cnn-bn vs fmnist-cnn-fused)', () => {
    const folded = run(prepareAnn(importOnnxFile(modelPath('fmnist-cnn-bn'))));
    const fused = run(importOnnxFile(modelPath('fmnist-cnn-fused')));
    for (let i = 0; i < fused.length; i++) expect(Math.abs(folded[i] - fused[i])).toBeLessThanOrEqual(1e-4);
  });

  it('a QCFS activation takes θ = λ and v(0) = θ/2, or with qcfsThreshold rule the ReLU rule and v(0)', async () => {
    const ann = prepareAnn(importOnnxFile(modelPath('fmnist-qcfs')));
    const stats = await collectActivations(ann, loadImages(CALIB_IMAGES, ann.nodes[0].type, 1 / 255, 32), 1);
    const T = 4;
    const rule = { kind: 'channel-mmse' } as const;
    const base = { ...presetsByName('qcfs')[0], threshold: rule, vinit: 0 };
    const qcfsIds = ann.nodes.filter((n) => n.op === 'qcfs').map((n) => n.id);
    const lambdas = ann.nodes.filter((n) => n.op === 'qcfs').map((n) => n.attrs.lambda as number);
    const want = computeThresholds(stats, rule, T);
    const populations = (g: ReturnType<typeof toSnn>) => qcfsIds.map((id) => g.nodes.find((n) => n.id === id)!);
    const byLambda = toSnn(ann, stats, base, T);
    populations(byLambda).forEach((n, k) => {
      expect(new Set(thresholdPerNeuron(n, byLambda.consts))).toEqual(new Set([Math.fround(lambdas[k])]));
      expect(n.attrs.vinit).toBe(0.5);
    });
    const g = toSnn(ann, stats, { ...base, qcfsThreshold: 'rule' }, T);
    expect([byLambda.meta['convert.qcfs-threshold'], g.meta['convert.qcfs-threshold']]).toEqual([undefined, 'rule']);
    populations(g).forEach((n, k) => {
      const theta = thresholdPerNeuron(n, g.consts);
      const { C, HW } = populationShape(n);
      for (let c = 0; c < C; c++) expect(theta[c * HW]).toBeCloseTo(want.get(qcfsIds[k])![c], 6);
      expect(new Set(theta).size).toBeGreaterThan(1); // per channel, not the single λ
      expect(n.attrs.vinit ?? 0).toBe(0);
    });
  });

  it('recognises the three QCFS activations with the trained λ and L = 8', () => {
    const q = prepareAnn(importOnnxFile(modelPath('fmnist-qcfs'))).nodes.filter((n) => n.op === 'qcfs');
    expect(q.map((n) => n.attrs.levels)).toEqual([8, 8, 8]);
    const lambdas = q.map((n) => n.attrs.lambda as number);
    [2.072966, 3.396815, 4.879836].forEach((l, i) => expect(lambdas[i]).toBeCloseTo(l, 5));
  });
});

describe('thresholds', () => {
  it('percentile follows numpy (linear interpolation)', () => {
    let s = 1;
    const rnd = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    for (const n of [1, 2, 7, 1000, 12345]) {
      const a = Float32Array.from({ length: n }, () => Math.fround(rnd() * 10));
      const sorted = Float64Array.from(a).sort();
      for (const p of [0, 50, 99, 99.9, 100]) {
        const pos = ((n - 1) * p) / 100;
        const lo = Math.floor(pos);
        const expected = lo + 1 < n ? sorted[lo] + (sorted[lo + 1] - sorted[lo]) * (pos - lo) : sorted[lo];
        expect(percentile(a.slice(), p)).toBeCloseTo(expected, 6);
      }
    }
  });

  it('max, layer percentile and channel percentile from calibration data; 1 and 2 threads agree', async () => {
    const g = prepareAnn(importOnnxFile(modelPath('fmnist-cnn-bn')));
    const calib = loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 200);
    const s1 = await collectActivations(g, calib, 1);
    const s2 = await collectActivations(g, calib, 2);
    const relu = g.nodes.find((n) => n.op === 'relu')!.id;
    expect(Array.from(s2.get(relu)!.perChannel[3].values()!)).toEqual(Array.from(s1.get(relu)!.perChannel[3].values()!));
    const max = computeThresholds(s1, { kind: 'max' }, 8).get(relu)!;
    const p = computeThresholds(s1, { kind: 'percentile', p: 99.9 }, 8).get(relu)!;
    const ch = computeThresholds(s1, { kind: 'channel-percentile', p: 99.9 }, 8).get(relu)!;
    expect(max).toHaveLength(1);
    expect(p[0]).toBeLessThan(max[0]);
    expect(ch).toHaveLength(16);
    expect(Math.max(...ch)).toBeLessThanOrEqual(max[0]);
    // the ANN's own maximum over these samples
    let m = 0;
    runAnn(g, [{ shape: [calib.count, 1, 28, 28], data: calib.data }], { onValue: (n, t) => n.id === relu && t.data.forEach((v) => (m = Math.max(m, v))) });
    expect(max[0]).toBe(Math.fround(m));
  });

  it('MMSE: the grid point of least squared error of the T-step floor quantiser, worked out by hand', () => {
    // a = {1, 2, 3}, T = 2, M = 3, grid V = 3(1 − 0.01 i).
    //  V in (2, 3]: q(1) = 0, q(2) = V/2, q(3) = V: err 1 + (2 − V/2)² + (3 − V)², least at V = 3: 1.25.
    //  V in (1.5, 2]: q(1) = V/2, q(2) = q(3) = V: err (1 − V/2)² + (2 − V)² + (3 − V)², falling up to
    //  V = 2; the largest grid point <= 2 is i = 34, V = 1.98: 0.0001 + 0.0004 + 1.0404 = 1.0409.
    //  V <= 1.5: q(3) <= 1.5 alone costs 2.25. So θ = 1.98 (i = 33 gives 2.01 > 2, where q(1) = 0).
    expect(mmseThreshold(Float32Array.of(1, 2, 3), 2)).toBeCloseTo(1.98, 9);
    // and per channel through computeThresholds
    const layer = new LayerStats(2);
    layer.addTensor(Float32Array.of(1, 4, 2, 0, 3, 0), 1); // [3 samples, 2 channels]: {1, 2, 3} and {4}
    const stats = new Map([['x', layer]]);
    const ch = computeThresholds(stats, { kind: 'channel-mmse' }, 2).get('x')!;
    expect(ch[0]).toBeCloseTo(1.98, 6);
    expect(ch[1]).toBeCloseTo(4, 6); // one value: V = M quantises it exactly
  });

  it('MMSE: the sorted prefix-sum search picks the same θ as the 95-pass definition, exact or sketched', () => {
    // values on the levels' edges (multiples of V/T for grid points V), repeats, T not a power of two,
    // a long tail; exact statistics, and sketched ones (weighted bin centres)
    let seed = 11;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) + 0.5) / 2 ** 32;
    for (const [n, T] of [[1, 1], [7, 3], [300, 4], [5000, 5], [20000, 8], [20000, 64]] as const) {
      const data = Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? Math.fround((Math.floor(rand() * 4 * T) * 0.97) / T) : Math.fround(-Math.log(rand()) * 0.5)));
      const stats = ChannelStats.of(data);
      const values = stats.values()!;
      expect(mmseThreshold(stats, T), `n ${n} T ${T}`).toBe(mmseThresholdReference(values, T));
      const layer = new LayerStats(1, 0);
      layer.addTensor(data, 1);
      const sketched = layer.perChannel[0];
      // the reference reads the histogram's bin centres itself, not the search's sorted points
      const bins = [...sketched.histogram().centres(sketched.max)];
      const x = Float64Array.from(bins, (b) => b[0]);
      const w = Float64Array.from(bins, (b) => b[1]);
      expect(mmseThreshold(sketched, T), `sketched n ${n} T ${T}`).toBe(mmseThresholdReference(x, T, w, sketched.max));
    }
  });

  it('past its budget a layer keeps histograms: quantiles within 2^-8 of the exact ones, bounded memory, any order', () => {
    // log-normal activations over six decades, 200,000 of them, two channels
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) + 0.5) / 2 ** 32;
    const data = Float32Array.from({ length: 200_000 }, () => Math.exp(2.5 * Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand())));
    // [100,000 samples, 2 channels, 1]; the shuffled copy has its samples in reverse order and
    // arrives in chunks of 777 samples, the others whole
    const exact = new LayerStats(2);
    const sketched = new LayerStats(2, 50_000);
    const shuffled = new LayerStats(2, 50_000);
    exact.addTensor(data, 1);
    sketched.addTensor(data, 1);
    const reversed = new Float32Array(data.length);
    for (let s = 0; s < data.length / 2; s++) reversed.set(data.subarray(2 * s, 2 * s + 2), data.length - 2 - 2 * s);
    for (let at = 0; at < reversed.length; at += 2 * 777) shuffled.addTensor(reversed.subarray(at, at + 2 * 777), 1);
    expect(exact.sketched).toBe(false);
    expect(sketched.sketched).toBe(true);
    for (const p of [1, 50, 99, 99.9, 99.99, 100]) {
      for (const c of [0, 1]) {
        const want = exact.perChannel[c].percentile(p, percentile);
        const got = sketched.perChannel[c].percentile(p, percentile);
        expect(Math.abs(got - want) / want, `p ${p} channel ${c}`).toBeLessThanOrEqual(2 ** -HISTOGRAM_BITS);
        expect(shuffled.perChannel[c].percentile(p, percentile)).toBe(got);
      }
      const layerWant = exact.layer().percentile(p, percentile);
      expect(Math.abs(sketched.layer().percentile(p, percentile) - layerWant) / layerWant).toBeLessThanOrEqual(2 ** -HISTOGRAM_BITS);
    }
    expect(sketched.perChannel[0].max).toBe(exact.perChannel[0].max);
    // memory: bins between the smallest and the largest value, 256 per binade, whatever the count
    const h = sketched.perChannel[0].histogram();
    expect(h.counts.length).toBeLessThanOrEqual(256 * (Math.log2(sketched.perChannel[0].max / exact.perChannel[0].percentile(0, percentile)) + 2));
    // MMSE from the histogram lands on the exact choice or its grid neighbour (1 % apart)
    const e = mmseThreshold(exact.perChannel[1], 8);
    const s = mmseThreshold(sketched.perChannel[1], 8);
    expect(Math.abs(s - e) / e).toBeLessThanOrEqual(0.0101);
    expect(ChannelStats.of(Float32Array.of(0, 1, -2, 2, Number.NaN)).count).toBe(2);
  });

  it('a layer that never activates is an error naming it', () => {
    expect(() => thresholdOf(new Map([['dead', Float64Array.of(NaN)]]), 'dead', '%dead')).toThrow(SnncError);
  });
});
