/**
 * Activity counts (src/energy/activity.ts): equal to an independent brute-force count over the
 * recorded values on every fixture model, and equal to counts derived by hand on a three-layer
 * network.
 */
import { describe, expect, it } from 'vitest';
import { FixedInterpreter } from '../ir/interp-fixed.js';
import { parseGraph } from '../ir/text/parse.js';
import { cTarget } from '../targets/c/index.js';
import { loadImages } from '../src/data/dataset.js';
import { integerSamples } from '../src/data/integer.js';
import { ActivityCounter } from '../src/energy/activity.js';
import { runFixedChunk } from '../src/exec/run-fixed.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { PRESETS, presetsByName } from '../src/methods.js';
import { measureEnergy } from '../src/energy/measure.js';
import { coreProfile, loadProfile } from '../src/energy/profile.js';
import { targetByName } from '../targets/index.js';
import { runSteps, tppOf } from '../ir/tpp.js';
import { calibrate, prepareAnn, toFixed, toSnn } from '../src/pipeline.js';
import { bruteForceCounts } from './helpers/brute-force-counts.js';
import { CALIB_IMAGES, FIXTURE_MODELS, modelPath, TEST_IMAGES } from './helpers/paths.js';

describe('SOP and spike counts equal a brute-force count over the recorded values (T = 8, 4 images)', () => {
  for (const name of FIXTURE_MODELS) {
    it(name, async () => {
      const g = importOnnxFile(modelPath(name));
      const ann = prepareAnn(g);
      const stats = await calibrate(ann, loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 64), 1);
      const fixed = toFixed(toSnn(ann, stats, PRESETS['p99.9-subtract-half'], 8), cTarget(), { inputScale: 1 / 255 });
      const samples = integerSamples(fixed, loadImages(TEST_IMAGES, { shape: fixed.nodes[0].type.shape }, 1 / 255, 4));
      const interp = new FixedInterpreter(fixed);
      const counted = runFixedChunk(interp, samples, [8], () => new ActivityCounter(fixed, interp.engine)).activity!;
      const brute = bruteForceCounts(fixed, new FixedInterpreter(fixed), samples.data, samples.count);
      const countedSops = new Map(counted.nodes.filter((n) => n.role === 'projection').map((n) => [n.id, [...n.sops]]));
      const countedSpikes = new Map(counted.nodes.filter((n) => n.role === 'population').map((n) => [n.id, [...n.spikes]]));
      expect(countedSops).toEqual(brute.sops);
      expect(countedSpikes).toEqual(brute.spikes);
      // a network that never spiked would pass vacuously
      expect([...brute.sops.values()].flat().reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
    }, 120_000);
  }
});

/**
 * Input: 16 pixels of value 1 (a 4x4 map). T = 4.
 *  c1  1x1 conv, 1 -> 2 channels, weights 1 and 2: currents 1 (channel 0) and 2 (channel 1) at
 *      every position. Analog: 2·4·4 outputs × 1 tap = 32 MACs per sample.
 *  n1  θ = 2, subtract, v0 = 0: channel 0 fires at t = 2, 4 (v = 1, 2, 1, 2); channel 1 fires at
 *      every step. Spikes: 16 at t = 1, 3 and 32 at t = 2, 4 (96 in all). Updates: 32 per step.
 *  c2  3x3 conv, 2 -> 1 channel, stride 2, pad 1, on 4x4 -> 2x2. Rows reached by input row y:
 *      y = 0 -> oy 0; y = 1 -> oy 0 and 1 (windows rows -1..1 and 1..3); y = 2 -> oy 1;
 *      y = 3 -> oy 1: [1, 2, 1, 1], the same for columns. A channel firing everywhere makes
 *      (1+2+1+1)² = 25 SOPs: 25 at t = 1, 3 and 50 at t = 2, 4 (150 in all).
 *  n2  θ = 4: the weights are 1, so an output's current is the number of spikes in its window,
 *      at least 4 (the corner window holds 2x2 positions of channel 1): every one of the 4
 *      neurons fires at every step. Spikes 4 per step, updates 4 per step. Its bias table
 *      [[1], [0]] is nonzero at step 1 only: 4 bias adds at t = 1.
 *  d   dense 4 -> 3: 4 spikes × 3 = 12 SOPs per step.
 *  r   readout with bias [0, 5, 7] (one row): 2 bias adds and 3 updates per step.
 */
const THREE_LAYERS = `snnir 1
graph @three stage=snn-fixed steps=4 {
  %x = input() {scale=1} : u8[N,1,4,4]
  %c1 = conv2d(%x, @w1) {dilations=[1,1], group=1, pads=[0,0,0,0], strides=[1,1]} : i32[N,2,4,4]
  %n1 = if(%c1) {accbits=32, overflow="saturate", reset="subtract", threshold=@th1, vbits=24} : u1[N,2,4,4]
  %c2 = conv2d(%n1, @w2) {dilations=[1,1], group=1, pads=[1,1,1,1], strides=[2,2]} : i32[N,1,2,2]
  %n2 = if(%c2) {accbits=32, bias=@b2, overflow="saturate", reset="subtract", threshold=@th2, vbits=24} : u1[N,1,2,2]
  %f = flatten(%n2) {axis=1} : u1[N,4]
  %d = dense(%f, @w3) : i32[N,3]
  %r = readout(%d) {bias=@b3, overflow="saturate", scale=1, sumbits=32} : i32[N,3]
  output %r
}
const @w1 : i8[2,1,1,1] = [1,2]
const @th1 : i24[2] = [2,2]
const @w2 : i8[1,2,3,3] = [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]
const @th2 : i24[1] = [4]
const @b2 : i24[2,1] = [1,0]
const @w3 : i8[3,4] = [1,1,1,1,1,1,1,1,1,1,1,1]
const @b3 : i24[1,3] = [0,5,7]
`;

describe('hand-checked counts on a three-layer network', () => {
  it('matches every number derived in the comment', () => {
    const g = parseGraph(THREE_LAYERS);
    const interp = new FixedInterpreter(g);
    const samples = { count: 2, size: 16, data: new Int32Array(32).fill(1) };
    const a = runFixedChunk(interp, samples, [4], () => new ActivityCounter(g, interp.engine)).activity!;
    const at = (id: string) => a.nodes.find((n) => n.id === id)!;
    const x2 = (xs: number[]) => xs.map((v) => 2 * v); // two samples
    expect(a.samples).toBe(2);
    expect(at('c1').role).toBe('analog');
    expect(at('c1').macs).toBe(2 * 32);
    expect([...at('n1').spikes]).toEqual(x2([16, 32, 16, 32]));
    expect([...at('n1').updates]).toEqual(x2([32, 32, 32, 32]));
    expect([...at('n1').biasAdds]).toEqual([0, 0, 0, 0]);
    expect([...at('c2').sops]).toEqual(x2([25, 50, 25, 50]));
    expect([...at('c2').events]).toEqual(x2([16, 32, 16, 32]));
    expect([...at('n2').spikes]).toEqual(x2([4, 4, 4, 4]));
    expect([...at('n2').biasAdds]).toEqual(x2([4, 0, 0, 0]));
    expect([...at('d').sops]).toEqual(x2([12, 12, 12, 12]));
    expect([...at('r').updates]).toEqual(x2([3, 3, 3, 3]));
    expect([...at('r').biasAdds]).toEqual(x2([2, 2, 2, 2]));
    // and the brute force agrees
    const brute = bruteForceCounts(g, new FixedInterpreter(g), samples.data, 2);
    expect(brute.sops.get('c2')).toEqual(x2([25, 50, 25, 50]));
    expect(brute.sops.get('d')).toEqual(x2([12, 12, 12, 12]));
  });
});

describe('a layer-major (TPP) network is counted over its whole schedule', () => {
  it('fmnist-cnn-bn at T = 4: brute-force spikes and SOPs, updates inside each unit\'s windows, energy and latency over (depth + 1)·T steps', async () => {
    const T = 4;
    const g = importOnnxFile(modelPath('fmnist-cnn-bn'));
    const ann = prepareAnn(g);
    const calib = loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 64);
    const stats = await calibrate(ann, calib, 1);
    const [method] = presetsByName('chp99.9-subtract-half+tpp');
    const fixed = toFixed(toSnn(ann, stats, method, T, calib), cTarget(), { inputScale: 1 / 255 });
    const schedule = runSteps(fixed);
    expect(schedule).toBeGreaterThan(2 * T);
    const samples = integerSamples(fixed, loadImages(TEST_IMAGES, { shape: fixed.nodes[0].type.shape }, 1 / 255, 3));
    const interp = new FixedInterpreter(fixed);
    const counted = runFixedChunk(interp, samples, [T], () => new ActivityCounter(fixed, interp.engine)).activity!;
    expect(counted.steps).toBe(schedule);
    const brute = bruteForceCounts(fixed, new FixedInterpreter(fixed), samples.data, samples.count);
    expect(new Map(counted.nodes.filter((n) => n.role === 'projection').map((n) => [n.id, [...n.sops]]))).toEqual(brute.sops);
    expect(new Map(counted.nodes.filter((n) => n.role === 'population').map((n) => [n.id, [...n.spikes]]))).toEqual(brute.spikes);
    // every population spikes only in its firing window (o + T, o + 2T] and is updated until it ends
    for (const node of fixed.nodes.filter((n) => n.op === 'if' || n.op === 'readout')) {
      const a = counted.nodes.find((n) => n.id === node.id)!;
      const o = Number(node.attrs.window ?? 0);
      const tpp = tppOf(node) !== undefined;
      const spiking = [...a.spikes].map((s, i) => (s > 0 ? i + 1 : 0)).filter((t) => t > 0);
      if (tpp) {
        expect(spiking.length).toBeGreaterThan(0);
        expect(Math.min(...spiking)).toBeGreaterThan(o + T);
        expect(Math.max(...spiking)).toBeLessThanOrEqual(o + 2 * T);
      }
      const active = (t: number): boolean => (tpp ? t <= o + 2 * T : t > o && t <= o + T);
      expect([...a.updates]).toEqual(Array.from({ length: schedule }, (_, i) => (active(i + 1) ? samples.count * a.size : 0)));
    }
    // the energy of one inference spans the schedule, on the C target and on a core
    const labels = new Int32Array(samples.count);
    const c = await measureEnergy({ fixed, steps: [T] }, samples, loadProfile('45nm-int8'), { threads: 1, labels });
    expect(c.points[0].T).toBe(T);
    expect(c.points[0].snn.latency.steps).toBe(schedule);
    const spikes = [...brute.spikes.values()].flat().reduce((a, b) => a + b, 0) / samples.count;
    expect(c.points[0].snn.counts.spikes).toBeCloseTo(spikes, 6);
    await expect(measureEnergy({ fixed, steps: [2, T] }, samples, loadProfile('45nm-int8'), { threads: 1 })).rejects.toThrow(/answers only at T=4, not at T=2/);
    const core = targetByName('core:generic');
    const onCore = toFixed(toSnn(ann, stats, method, T, calib), core.desc(), { inputScale: 1 / 255 });
    const k = await measureEnergy({ fixed: onCore, steps: [T] }, samples, coreProfile(core.core!), { threads: 1, core: core.core! });
    expect(k.points[0].snn.latency.steps).toBe(runSteps(onCore));
    expect(k.points[0].snn.joules.static).toBeGreaterThan(0);
  }, 120_000);
});
