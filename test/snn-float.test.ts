/** The float SNN: closed forms of the IF neuron, and the event-driven engine against a naive dense simulator. */
import { describe, expect, it } from 'vitest';
import { parseGraph } from '../ir/text/parse.js';
import { verify } from '../ir/verify.js';
import type { Graph } from '../ir/types.js';
import { loadImages } from '../src/data/dataset.js';
import { floatSimulator, simulateFloatChunk } from '../src/exec/snn-float.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { PRESETS, type Method } from '../src/methods.js';
import { calibrate, prepareAnn, toFixed, toSnn } from '../src/pipeline.js';
import { attrVector } from '../ir/ops.js';
import { Rng } from '../src/util/rng.js';
import { cTarget } from '../targets/c/index.js';
import { targetByName } from '../targets/index.js';
import { compileForCore, CoreSimulator } from '../targets/core/index.js';
import { verifyCore } from '../src/verify-core.js';
import { integerSamples } from '../src/data/integer.js';
import { runFixedChunk } from '../src/exec/run-fixed.js';
import { FixedInterpreter } from '../ir/interp-fixed.js';
import { naiveSimulate } from './helpers/naive-snn.js';
import { testImages } from './helpers/data.js';
import { CALIB_IMAGES, FIXTURE_MODELS, modelPath, TEST_IMAGES } from './helpers/paths.js';

/** One neuron per input value: x -> dense(1) -> if(θ=1) -> readout. */
function oneNeuron(T: number, attrs: string): Graph {
  const g = parseGraph(`snnir 1
graph @closed stage=snn-float steps=${T} {
  %x = input() : f32[N,1]
  %d = dense(%x, @one) : f32[N,1]
  %n = if(%d) {reset="subtract", threshold=1${attrs}} : f32[N,1]
  %r = readout(%n) : f32[N,1]
  output %r
}
const @one : f32[1,1] = [1]
`);
  expect(verify(g).filter((d) => d.severity === 'error')).toEqual([]);
  return g;
}

function spikeCounts(g: Graph, xs: number[]): number[] {
  const sim = floatSimulator(g);
  const r = simulateFloatChunk(sim, { count: xs.length, sampleShape: [1], data: Float32Array.from(xs) }, [g.steps!]);
  return Array.from(r.sums[0]); // θ = 1: the readout sum is the spike count
}

describe('IF closed forms for constant input (algorithms.md §1.6)', () => {
  const T = 16;
  const xs = [-0.5, 0, 1 / 32, 3 / 32, 0.25, 5 / 16, 0.5, 11 / 16, 0.96875, 1, 1.5];
  it('v(0) = 0: N = min(T, floor(T x / θ))', () => {
    expect(spikeCounts(oneNeuron(T, ''), xs)).toEqual(xs.map((x) => Math.max(0, Math.min(T, Math.floor(T * x)))));
  });
  it('v(0) = θ/2: N = min(T, floor((T x + θ/2) / θ)), the QCFS activation with L = T', () => {
    expect(spikeCounts(oneNeuron(T, ', vinit=0.5'), xs)).toEqual(xs.map((x) => Math.max(0, Math.min(T, Math.floor(T * x + 0.5)))));
  });
  it('θ/(2T) per step gives the same count as v(0) = θ/2', () => {
    expect(spikeCounts(oneNeuron(T, `, shift=${1 / (2 * T)}`), xs)).toEqual(spikeCounts(oneNeuron(T, ', vinit=0.5'), xs));
  });
  it('reset to zero loses the remainder', () => {
    // x = 0.75: reset-to-zero spikes every 2nd step (0.75, 1.5 -> spike, 0, 0.75, 1.5 -> spike ...)
    expect(spikeCounts(parseGraph(printOneNeuronZero(T)), [0.75])).toEqual([T / 2]);
  });
  it('a negative constant input never spikes (ReLU)', () => {
    expect(spikeCounts(oneNeuron(64, ', vinit=0.5'), [-1e-3, -0.5])).toEqual([0, 0]);
  });
});

function printOneNeuronZero(T: number): string {
  return `snnir 1
graph @closed stage=snn-float steps=${T} {
  %x = input() : f32[N,1]
  %d = dense(%x, @one) : f32[N,1]
  %n = if(%d) {reset="zero", threshold=1} : f32[N,1]
  %r = readout(%n) : f32[N,1]
  output %r
}
const @one : f32[1,1] = [1]
`;
}

async function converted(name: string, method: Method, T: number): Promise<Graph> {
  const g = importOnnxFile(modelPath(name));
  const ann = prepareAnn(g);
  const calib = loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 128);
  return toSnn(ann, await calibrate(ann, calib, 1), method, T);
}

function compareWithNaive(snn: Graph, n: number): void {
  const x = testImages(n);
  const T = snn.steps!;
  const sim = floatSimulator(snn);
  const fast = simulateFloatChunk(sim, { count: n, sampleShape: [1, 28, 28], data: x }, [T]);
  const naive = naiveSimulate(snn, { shape: [n, 1, 28, 28], data: x }, T);
  const total = naive.spikes.reduce((a, b) => a + b, 0);
  const diff = naive.spikes.reduce((a, s, i) => a + Math.abs(s - fast.spikes[0][i]), 0);
  // float32 (naive, ANN kernels) vs float64 (engine) currents may flip a spike at a threshold tie
  expect(diff).toBeLessThanOrEqual(Math.max(2, total * 1e-3));
  let scale = 0;
  for (const v of naive.sums) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < naive.sums.length; i++) expect(Math.abs(fast.sums[0][i] - naive.sums[i])).toBeLessThanOrEqual(scale * 2e-2);
}

describe('event-driven engine vs naive dense simulation', () => {
  for (const name of FIXTURE_MODELS) {
    it(name, async () => compareWithNaive(await converted(name, PRESETS['p99.9-subtract-half'], 12), 3));
  }
  for (const maxpool of ['gate', 'or', 'avg'] as const) {
    it(`fmnist-vgg-maxpool with maxpool=${maxpool}`, async () => compareWithNaive(await converted('fmnist-vgg-maxpool', { ...PRESETS['max-subtract'], maxpool }, 10), 2));
  }
  it('reset to zero, shift and spike-count readout', async () => {
    compareWithNaive(await converted('fmnist-cnn-bn', { ...PRESETS['max-subtract-shift'], reset: 'zero', readout: 'count' }, 16), 3);
  });
});

/**
 * Per-neuron θ with the spike amplitude set apart (ir/neuron-params.ts). `perNeuronVariant` gives
 * every population of a converted network θ_i = θ_c (1 + spread·(u_i − 0.5)) and amplitude θ_c,
 * and (with `terms`) per-neuron shift and per-step biases of ±0.05 θ. With spread 0 and no terms
 * it is the same network written per neuron: every executor must give the same bits. Otherwise the
 * engine (per-neuron lanes in the WebAssembly kernels) must match the naive simulation, and
 * quantize must give an integer network that the interpreter and the core run bit for bit.
 */
function perNeuronVariant(snn: Graph, seed: number, spread: number, terms: boolean): Graph {
  const rng = new Rng(seed);
  const consts = new Map(snn.consts);
  const T = snn.steps!;
  const nodes = snn.nodes.map((n) => {
    if (n.op !== 'if') return n;
    const shape = n.type.shape.slice(1);
    const size = shape.reduce((a, b) => a * b, 1);
    const HW = size / shape[0];
    const thC = attrVector(n, 'threshold', snn.consts)!;
    const at = (i: number): number => thC[thC.length === 1 ? 0 : Math.floor(i / HW)];
    const add = (name: string, dims: number[], data: Float32Array): { const: string } => {
      consts.set(`${n.id}.${name}`, { id: `${n.id}.${name}`, type: { dtype: 'f32', shape: dims }, data });
      return { const: `${n.id}.${name}` };
    };
    const small = (): number => 0.1 * (rng.next() - 0.5);
    return {
      ...n,
      attrs: {
        ...n.attrs,
        threshold: add('theta_n', shape, Float32Array.from({ length: size }, (_, i) => at(i) * (1 + spread * (rng.next() - 0.5)))),
        amplitude: add('amp', [shape[0]], Float32Array.from({ length: shape[0] }, (_, c) => thC[thC.length === 1 ? 0 : c])),
        ...(terms ? { shift: add('shift_n', [size], Float32Array.from({ length: size }, small)), stepbias: add('sb_n', [T, ...shape], Float32Array.from({ length: T * size }, small)) } : {}),
      },
    };
  });
  return { ...snn, nodes, consts };
}

async function integerRun(g: Graph, n: number): Promise<Float64Array> {
  const fixed = toFixed(g, cTarget(), { inputScale: 1 / 255 });
  const samples = integerSamples(fixed, loadImages(TEST_IMAGES, { shape: fixed.nodes[0].type.shape }, 1 / 255, n));
  const interp = new FixedInterpreter(fixed);
  return runFixedChunk(interp, samples, [g.steps!]).sums[0];
}

describe('per-neuron thresholds and biases, the spike amplitude set apart', () => {
  it('the verifier asks for an amplitude when θ is per neuron, and for one value per channel', async () => {
    const snn = perNeuronVariant(await converted('fmnist-cnn-bn', PRESETS['p99.9-subtract-half'], 4), 1, 0.5, true);
    expect(verify(snn).filter((d) => d.severity === 'error')).toEqual([]);
    const drop = (g: Graph, f: (attrs: Record<string, unknown>) => void): Graph => ({ ...g, nodes: g.nodes.map((n) => (n.op === 'if' ? (() => { const attrs = { ...n.attrs }; f(attrs); return { ...n, attrs: attrs as typeof n.attrs }; })() : n)) });
    expect(verify(drop(snn, (a) => delete a.amplitude)).map((d) => d.message).join('\n')).toMatch(/per neuron\), so the spike needs an amplitude of 1 or \d+ values/);
    expect(verify(drop(snn, (a) => (a.amplitude = a.threshold))).map((d) => d.message).join('\n')).toMatch(/amplitude has \d+ values, expected 1 or \d+ \(channels\)/);
    expect(verify(drop(snn, (a) => (a.amplitude = -1))).map((d) => d.message).join('\n')).toMatch(/amplitude must be > 0/);
  });
  it('three neurons (the scalar kernel): θ = 1, 2, 4 per neuron fire 4, 2, 1 times in 4 steps, each spike worth the amplitude 0.5', () => {
    const g = parseGraph(`snnir 1
graph @amp stage=snn-float steps=4 {
  %x = input() : f32[N,3]
  %d = dense(%x, @eye) : f32[N,3]
  %n = if(%d) {amplitude=0.5, reset="subtract", threshold=@th} : f32[N,3]
  %r = readout(%n) : f32[N,3]
  output %r
}
const @eye : f32[3,3] = [1,0,0,0,1,0,0,0,1]
const @th : f32[3] = [1,2,4]
`);
    expect(verify(g).filter((d) => d.severity === 'error')).toEqual([]);
    const r = simulateFloatChunk(floatSimulator(g), { count: 1, sampleShape: [3], data: Float32Array.of(1, 1, 1) }, [4]);
    // the readout's running sum: (4, 2, 1) spikes × 0.5
    expect(Array.from(r.sums[0])).toEqual([2, 1, 0.5]);
  });
  for (const name of ['fmnist-cnn-bn', 'fmnist-resnet']) {
    it(`${name}: the same network written per neuron gives the same bits, float and integer`, async () => {
      const snn = await converted(name, PRESETS['p99.9-subtract-half'], 5);
      const same = perNeuronVariant(snn, 3, 0, false);
      const float = (g: Graph) => simulateFloatChunk(floatSimulator(g), { count: 4, sampleShape: [1, 28, 28], data: testImages(4) }, [5]);
      expect(float(same).sums[0]).toEqual(float(snn).sums[0]);
      expect(await integerRun(same, 4)).toEqual(await integerRun(snn, 4));
    }, 60_000);
  }
  for (const name of ['fmnist-cnn-bn', 'fmnist-dwsep', 'fmnist-mlp']) {
    it(`${name}: per-neuron θ, shift and step biases: engine = naive float, integer interpreter = core`, async () => {
      const T = 6;
      const plain = await converted(name, PRESETS['p99.9-subtract-half'], T);
      const snn = perNeuronVariant(plain, 7, 0.6, true);
      expect(verify(snn).filter((d) => d.severity === 'error')).toEqual([]);
      compareWithNaive(snn, 3);
      // the variant is not the plain network: per-neuron θ moved spikes
      const run = (g: Graph) => simulateFloatChunk(floatSimulator(g), { count: 3, sampleShape: [1, 28, 28], data: testImages(3) }, [T]);
      expect(run(snn).spikes[0]).not.toEqual(run(plain).spikes[0]);
      const core = targetByName('core:generic');
      const onCore = toFixed(snn, core.desc(), { inputScale: 1 / 255 });
      const r = verifyCore(onCore, new CoreSimulator(compileForCore(onCore, core.core!).image), integerSamples(onCore, loadImages(TEST_IMAGES, { shape: onCore.nodes[0].type.shape }, 1 / 255, 3)));
      expect(r.bitExact).toBe(true);
    }, 60_000);
  }
});
