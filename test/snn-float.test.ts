/** The float SNN: closed forms of the IF neuron, and the event-driven engine against a naive dense simulator. */
import { describe, expect, it } from 'vitest';
import { parseGraph } from '../ir/text/parse.js';
import { verify } from '../ir/verify.js';
import type { Graph } from '../ir/types.js';
import { loadImages } from '../src/data/dataset.js';
import { floatSimulator, simulateFloatChunk } from '../src/exec/snn-float.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { PRESETS, type Method } from '../src/methods.js';
import { calibrate, prepareAnn, toSnn } from '../src/pipeline.js';
import { naiveSimulate } from './helpers/naive-snn.js';
import { testImages } from './helpers/data.js';
import { CALIB_IMAGES, FIXTURE_MODELS, modelPath } from './helpers/paths.js';

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
