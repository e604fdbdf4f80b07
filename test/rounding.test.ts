/**
 * The rounding rules of quantize. GPTQ weight rounding (src/passes/weight-rounding.ts): the
 * factorisation, the error feedback on constructed inputs, and on a real network that it lowers
 * the dot-product error of held-out data while keeping every scale, threshold and bias of nearest
 * rounding. Running neuron rounding: θ held exactly and the additive terms' running sum within
 * half a step at every step (a hand-derived case is test/filetests/passes/quantize-running.snnir).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Graph } from '../ir/types.js';
import { cTarget } from '../targets/c/index.js';
import { loadImages, type Images } from '../src/data/dataset.js';
import { integerSamples } from '../src/data/integer.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { PRESETS } from '../src/methods.js';
import { choleskyUpper, inputGrams, roundRow, type InputGram } from '../src/passes/weight-rounding.js';
import { calibrate, prepareAnn, toFixed, toSnn } from '../src/pipeline.js';
import { nearestRounding, quantize } from '../src/passes/quantize.js';
import { attrVector } from '../ir/ops.js';
import { runPass } from '../src/passes/pass.js';
import { CALIB_IMAGES, modelPath } from './helpers/paths.js';

/** A seeded generator (mulberry32), so every run draws the same numbers. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** (w − q)ᵀ H (w − q): the squared dot-product error over the inputs H was measured on. */
function quadratic(h: Float64Array, w: ArrayLike<number>, q: ArrayLike<number>): number {
  const K = w.length;
  let s = 0;
  for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) s += (w[i] - q[i]) * h[i * K + j] * (w[j] - q[j]);
  return s;
}

describe('choleskyUpper and roundRow', () => {
  it('R is upper triangular with Rᵀ R = H', () => {
    const r = rng(1);
    const K = 30;
    const A = Float64Array.from({ length: K * K }, () => r() - 0.5);
    const H = new Float64Array(K * K);
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) for (let k = 0; k < K; k++) H[i * K + j] += A[i * K + k] * A[j * K + k] + (i === j && k === 0 ? 0.1 : 0);
    const R = choleskyUpper(H, K);
    for (let i = 0; i < K; i++) {
      for (let j = 0; j < K; j++) {
        if (i > j) expect(R[i * K + j]).toBe(0);
        let s = 0;
        for (let k = 0; k < K; k++) s += R[k * K + i] * R[k * K + j];
        expect(s).toBeCloseTo(H[i * K + j], 10);
      }
    }
  });

  it('with uncorrelated inputs (H diagonal) it is nearest rounding', () => {
    const r = rng(2);
    const K = 40;
    const H = new Float64Array(K * K);
    for (let i = 0; i < K; i++) H[i * K + i] = 1 + 10 * r();
    const w = Float64Array.from({ length: K }, () => (r() - 0.5) * 200);
    expect(Array.from(roundRow(w, choleskyUpper(H, K), 127))).toEqual(Array.from(w, (x) => Math.round(x)));
  });

  it('with one input pattern the dot product keeps its value to half a step, where nearest drifts', () => {
    const r = rng(3);
    const K = 64;
    const x = Float64Array.from({ length: K }, () => 1 + Math.floor(r() * 3));
    const H = new Float64Array(K * K);
    for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) H[i * K + j] = x[i] * x[j] + (i === j ? 1e-6 : 0);
    const R = choleskyUpper(H, K);
    let worstGptq = 0;
    let worstNearest = 0;
    for (let trial = 0; trial < 20; trial++) {
      const w = Float64Array.from({ length: K }, () => (r() - 0.5) * 100);
      const q = roundRow(w, R, 127);
      const dot = (v: ArrayLike<number>): number => Array.from(v).reduce((s, vi, i) => s + vi * x[i], 0);
      worstGptq = Math.max(worstGptq, Math.abs(dot(w) - dot(q)));
      worstNearest = Math.max(worstNearest, Math.abs(dot(w) - dot(Array.from(w, (v) => Math.round(v)))));
      for (const v of q) expect(Math.abs(v)).toBeLessThanOrEqual(127);
    }
    // the last column rounded carries the whole correction: its step is x_0 ≤ 3
    expect(worstGptq).toBeLessThanOrEqual(1.5 + 1e-9);
    expect(worstNearest).toBeGreaterThan(3);
  });

  it('keeps weights within the limit when the feedback pushes past it', () => {
    const K = 8;
    const H = new Float64Array(K * K).fill(1);
    for (let i = 0; i < K; i++) H[i * K + i] += 1e-3;
    const q = roundRow(Float64Array.from({ length: K }, () => 7.4), choleskyUpper(H, K), 7);
    for (const v of q) expect(Math.abs(v)).toBeLessThanOrEqual(7);
  });
});

describe('gptq rounding of a network', () => {
  let snn: Graph;
  let calib: Images;
  let nearest: Graph;
  let gptq: Graph;
  let grams: Map<string, InputGram>;
  beforeAll(async () => {
    const g = importOnnxFile(modelPath('fmnist-cnn-bn'));
    const ann = prepareAnn(g);
    const all = loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 192);
    const size = all.sampleShape.reduce((a, b) => a * b, 1);
    const part = (from: number, to: number): Images => ({ count: to - from, sampleShape: all.sampleShape, data: all.data.subarray(from * size, to * size) });
    calib = part(0, 64);
    snn = toSnn(ann, await calibrate(ann, calib, 1), PRESETS['chp99.9-subtract-half'], 8);
    nearest = toFixed(snn, cTarget(), { inputScale: 1 / 255 });
    gptq = toFixed(snn, cTarget(), { inputScale: 1 / 255, weightRounding: 'gptq', calib });
    // measured on samples gptq did not see
    grams = inputGrams(nearest, integerSamples(nearest, part(64, 192)));
  });

  it('changes only projection weights: scales, thresholds, biases and tables stay those of nearest rounding', () => {
    const weights = new Set(nearest.nodes.filter((n) => n.op === 'conv2d' || n.op === 'dense').map((n) => n.inputs[1].id));
    expect(gptq.nodes.map((n) => JSON.stringify(n))).toEqual(nearest.nodes.map((n) => JSON.stringify(n)));
    let changed = 0;
    for (const [id, c] of nearest.consts) {
      const d = gptq.consts.get(id)!;
      if (weights.has(id)) changed += Array.from(c.data).filter((v, i) => v !== d.data[i]).length;
      else expect(Array.from(d.data), id).toEqual(Array.from(c.data));
    }
    expect(changed).toBeGreaterThan(0);
  });

  it('lowers every projection’s dot-product error on held-out inputs', () => {
    // the real weights in integer units, as quantize hands them to the rounding rule
    const real = new Map<string, Float64Array>();
    runPass(quantize, snn, { target: cTarget(), weightBits: 8, granularity: 'channel', inputScale: 1 / 255, weightClip: 100, rounding: (p, w, rows, limit) => (real.set(p.id, Float64Array.from(w)), nearestRounding(p, w, rows, limit)) });
    expect(real.size).toBe(grams.size);
    for (const n of nearest.nodes.filter((m) => grams.has(m.id))) {
      const gram = grams.get(n.id)!;
      const K = gram.fanIn;
      const w = real.get(n.id)!;
      const wn = nearest.consts.get(n.inputs[1].id)!.data;
      const wg = gptq.consts.get(n.inputs[1].id)!.data;
      const rows = w.length / K;
      const perGroup = rows / gram.groups.length;
      let eNearest = 0;
      let eGptq = 0;
      for (let r = 0; r < rows; r++) {
        const h = gram.groups[Math.floor(r / perGroup)];
        const at = r * K;
        eNearest += quadratic(h, w.subarray(at, at + K), wn.subarray(at, at + K));
        eGptq += quadratic(h, w.subarray(at, at + K), wg.subarray(at, at + K));
      }
      expect(eGptq, n.id).toBeLessThan(0.8 * eNearest);
    }
  });

  it('is deterministic: the same network and data give the same integers', () => {
    const again = toFixed(snn, cTarget(), { inputScale: 1 / 255, weightRounding: 'gptq', calib });
    for (const [id, c] of gptq.consts) expect(Array.from(again.consts.get(id)!.data), id).toEqual(Array.from(c.data));
  });

  it('needs calibration data', () => {
    expect(() => toFixed(snn, cTarget(), { inputScale: 1 / 255, weightRounding: 'gptq' })).toThrow(/calibration data/);
  });
});

describe('running neuron rounding', () => {
  it('holds each θ exactly and keeps the running sum of bias, shift and per-step terms within half a step', async () => {
    const g = importOnnxFile(modelPath('fmnist-cnn-bn'));
    const ann = prepareAnn(g);
    const calib = loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 64);
    const T = 8;
    const snn = toSnn(ann, await calibrate(ann, calib, 1), PRESETS['chmmse-subtract-shift'], T);
    const worst = (rounding: 'step' | 'running'): number => {
      const q = runPass(quantize, snn, { target: cTarget(), weightBits: 8, granularity: 'channel', inputScale: 1 / 255, weightClip: 100, neuronRounding: rounding });
      const byId = new Map(q.nodes.map((n) => [n.id, n]));
      let err = 0;
      for (const n of snn.nodes.filter((m) => m.op === 'if')) {
        const f = byId.get(n.id)!;
        const C = n.type.shape[1];
        const th = attrVector(n, 'threshold', snn.consts)!;
        const thq = attrVector(f, 'threshold', q.consts)!;
        const shift = attrVector(n, 'shift', snn.consts, 0)!;
        const shiftq = attrVector(f, 'shift', q.consts, 0)!;
        const table = f.attrs.stepbias !== undefined ? attrVector(f, 'stepbias', q.consts)! : undefined;
        const proj = snn.nodes.find((m) => m.id === n.inputs[0].id)!;
        const b = snn.consts.get(proj.inputs[2].id)!.data;
        const bq = q.consts.get(byId.get(proj.id)!.inputs[2].id)!.data;
        expect(table === undefined || table.length === T * C, n.id).toBe(true);
        for (let c = 0; c < C; c++) {
          const thc = th.length === 1 ? th[0] : th[c];
          const tq = thq.length === 1 ? thq[0] : thq[c];
          // with running rounding S = θ_q / θ exactly; with step rounding it is the same scale up to θ's rounding
          const S = tq / thc;
          let real = 0;
          let int = 0;
          for (let t = 0; t < T; t++) {
            real += b[c] * S + (shift.length === 1 ? shift[0] : shift[c]) * tq;
            int += bq[c] + (shiftq.length === 1 ? shiftq[0] : shiftq[c]) + (table ? table[t * C + c] : 0);
            err = Math.max(err, Math.abs(int - real));
          }
        }
      }
      return err;
    };
    expect(worst('running')).toBeLessThanOrEqual(0.5 + 1e-9);
    expect(worst('step')).toBeGreaterThan(1);
  });
});
