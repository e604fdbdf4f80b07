/**
 * The event-driven core target: the memory image round-trips and refuses damaged bytes with
 * coded errors; a hand-sized network's cycles per step match the figures derived by hand from
 * the description; a network too large for a preset is refused naming the binding limit; and
 * the cycle-level simulator, executing the decoded image, is bit-exact to the reference
 * interpreter on random graphs split across many cores and on fixture models.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SnncError } from '../ir/diagnostics.js';
import { parseGraph } from '../ir/text/parse.js';
import type { Graph } from '../ir/types.js';
import { loadImages } from '../src/data/dataset.js';
import { integerSamples } from '../src/data/integer.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { PRESETS } from '../src/methods.js';
import { calibrate, prepareAnn, toFixed, toSnn } from '../src/pipeline.js';
import { outcome } from '../bench/fuzz/targets.js';
import { mutateImage } from '../bench/fuzz/image-mutator.js';
import { Rng } from '../src/util/rng.js';
import { verifyCore } from '../src/verify-core.js';
import { verifyProgram } from '../src/verify-c.js';
import { runPass } from '../src/passes/pass.js';
import { insertDelays } from '../src/passes/insert-delays.js';
import { buildProgram, SANITIZE, withoutLeakScan, writeProgram } from './helpers/c-build.js';
import { cTarget } from '../targets/c/index.js';
import { loadCorePreset, parseCoreDesc, quantizerView, type CoreDesc } from '../targets/core/desc.js';
import { compileForCore, CoreSimulator, decodeImage } from '../targets/core/index.js';
import { encodeImage, IMAGE_VERSION, TPP_RULE_CODES } from '../targets/core/image.js';
import { printText } from '../ir/text/print.js';
import { randomGraph, randomSamples } from './helpers/random-graphs.js';
import { snnc } from './helpers/cli.js';
import { CALIB_IMAGES, modelPath, TEST_IMAGES } from './helpers/paths.js';

/** The generic description with changes (e.g. tiny cores to force splits). */
function descWith(changes: Record<string, unknown>): CoreDesc {
  const g = loadCorePreset('generic');
  const json = JSON.parse(JSON.stringify(g)) as Record<string, unknown>;
  return parseCoreDesc({ ...json, ...changes }, 'test');
}
const sourced = (value: unknown) => ({ value, source: 'test' });

// Three cores: input (4 values) -> dense -> population A (2 neurons, split 1 + 1 over cores 0 and 1)
// -> dense -> readout R (2 sums, core 2). Thresholds 1: every positive current spikes.
const HAND = `snnir 1
graph @hand stage=snn-fixed steps=2 {
  %x = input() {scale=1} : u8[N,4]
  %d = dense(%x, @w1) : i16[N,2]
  %a = if(%d) {accbits=16, overflow="saturate", reset="subtract", threshold=1, vbits=16} : u1[N,2]
  %e = dense(%a, @w2) : i16[N,2]
  %r = readout(%e) {overflow="saturate", scale=1, sumbits=16} : i16[N,2]
  output %r
}
const @w1 : i8[2,4] = [1,1,0,0,0,0,1,1]
const @w2 : i8[2,2] = [1,2,3,4]
`;

describe('core memory image', () => {
  const g = parseGraph(HAND);
  const d = descWith({ neuronsPerCore: sourced(1) });
  const c = compileForCore(g, d);

  it('encode ∘ decode is the identity, and re-encodes to the same bytes', () => {
    const img = decodeImage(c.bytes);
    expect(img).toEqual(c.image);
    expect(Buffer.from(encodeImage(img)).equals(Buffer.from(c.bytes))).toBe(true);
  });

  it('truncated, bit-flipped and forged images give coded errors only (2,000 mutants)', () => {
    const codes = new Map<string, number>();
    const r = new Rng(3);
    for (let i = 0; i < 2000; i++) {
      const o = outcome(() => void new CoreSimulator(decodeImage(mutateImage(c.bytes, r))));
      if (o.kind === 'internal') throw new Error(`mutant ${i}: ${o.error.message}`);
      codes.set(o.kind === 'coded' ? o.code : 'ok', (codes.get(o.kind === 'coded' ? o.code : 'ok') ?? 0) + 1);
    }
    for (const code of ['SNN0701', 'SNN0702', 'SNN0703']) expect(codes.get(code), code).toBeGreaterThan(0);
  });

  it('fuzz finding: a route to a core whose synapse table does not hear the neuron is refused (it crashed the simulator)', () => {
    const img = decodeImage(c.bytes);
    const route = img.routes.find((r) => r.source === -1)!;
    route.cores[0] = (route.cores[0] + 1) % img.coreCount;
    expect(() => decodeImage(encodeImage(img))).toThrow(/whose synapse table does not hear it/);
  });

  it('a TPP rule code the format does not define is refused (the codes are part of the format)', () => {
    const img = decodeImage(c.bytes);
    img.units[0].tppRule = Math.max(...Object.values(TPP_RULE_CODES)) + 1;
    expect(() => decodeImage(encodeImage(img))).toThrow(/TPP rule \d+ on a unit that cannot run it/);
    expect(TPP_RULE_CODES).toEqual({ remaining: 1, iid: 2, round: 3 });
  });

  it('a version from the future and a forged count are refused before any allocation', () => {
    const future = c.bytes.slice();
    new DataView(future.buffer).setUint32(8, IMAGE_VERSION + 1, true);
    expect(() => decodeImage(future)).toThrow(new RegExp(`version ${IMAGE_VERSION + 1} image`));
    const forged = c.bytes.slice();
    new DataView(forged.buffer).setUint32(8 + 4 * 18, 0x7fffffff, true); // unitCount (after the magic: 10 u32, clockHz f64, 6 u32)
    expect(() => decodeImage(forged)).toThrow(SnncError);
  });
});

describe('cycle counts derived by hand', () => {
  it('three cores: load and step cycles are exactly the description’s figures', () => {
    // Costs: perEvent 2, perSynOp 1, perNeuronUpdate 2, perHop 1, perPacketSent 1 (generic); one neuron per core.
    // Serpentine placement on the 8-wide mesh: core 0 (A0) at (0,0), core 1 (A1) at (1,0), core 2 (R) at (2,0).
    const d = descWith({ neuronsPerCore: sourced(1) });
    const c = compileForCore(parseGraph(HAND), d);
    expect(c.mapping.cores.map((k) => [k.x, k.y, k.units[0]])).toEqual([[0, 0, 'a'], [1, 0, 'a'], [2, 0, 'r'], [3, 0, 'r']]);
    const sim = new CoreSimulator(decodeImage(c.bytes));
    // Load: input [1, 0, 2, 0]: inputs 0 and 2 are nonzero; input 0 feeds A0 (core 0), input 2 feeds A1 (core 1).
    //   send: both packets leave the host port at core 0: 2 packets x perPacketSent 1 = 2
    //   network: routes 0->0 (local, 0 hops) and 0->1 (1 hop); longest 1, busiest link 1 packet: (1 + 1 - 1) x 1 = 1
    //   receive: core 0: 1 event (2) + 1 synop (1) = 3; core 1: the same = 3 -> max 3
    //   load = 2 + 1 + 3 = 6
    const load = sim.load([1, 0, 2, 0]);
    expect(load.cycles).toBe(6);
    expect(load.packets).toBe(2);
    expect(load.hops).toBe(0 + 1);
    // Step 1: currents A = [1, 2] >= 1: both neurons spike.
    //   level 1 (cores 0, 1): update 1 neuron x 2 = 2; A0 sends to R0 (core 2) and R1 (core 3): 2 packets = 2 cycles,
    //     A1 the same; front = 2 + 2 = 4
    //   network: routes 0->2 (2 hops), 0->3 (3), 1->2 (1), 1->3 (2); longest 3; link (1,0)>(2,0) carries 0->2, 0->3, 1->2, 1->3 = 4 packets
    //     -> (3 + 4 - 1) x 1 = 6
    //   receive: core 2 gets 2 packets, each 1 synapse: 2 x (2 + 1) = 6; core 3 the same -> 6
    //   level 1 = 4 + 6 + 6 = 16
    //   level 2 (cores 2, 3): update 1 x 2 = 2 each, no packets -> 2
    //   step = 16 + 2 = 18
    const s1 = sim.step(1);
    expect(s1.cycles).toBe(18);
    expect(s1.packets).toBe(4);
    expect(s1.synops).toBe(4);
    // energy counts: hops 2 + 3 + 1 + 2 = 8; updates 2 neurons of A + 2 sums of R = 4
    expect(s1.hops).toBe(8);
    expect(s1.updates).toBe(4);
    expect(Array.from(sim.output())).toEqual([1 * 1 + 2 * 1, 3 * 1 + 4 * 1]); // R = w2 · [1, 1]
    // per unit (A, R): the load's 2 synapse words reach A; the step's 4 reach R over 8 hops
    expect(Array.from(sim.unitActivity.loadSynops)).toEqual([2, 0]);
    expect(Array.from(sim.unitActivity.synops)).toEqual([0, 4]);
    expect(Array.from(sim.unitActivity.hops)).toEqual([1, 8]);
    expect(Array.from(sim.unitActivity.updates)).toEqual([2, 2]);
  });
});

describe('limits', () => {
  // the generic core takes the same model: the CLI test below compiles it with these arguments
  it('a model too large for a preset is refused naming the layer and the binding limit (exit 4)', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'snnc-core-')), 'tn');
    const args = ['compile', modelPath('fmnist-cnn-bn'), '--calib', CALIB_IMAGES, '--calib-limit', '64', '--input-scale', '1/255', '-T', '4', '-o'];
    const r = snnc([...args, out, '--target', 'core:truenorth-like']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/SNN0207 %\w+: layer %\w+ does not fit: fanIn — neuron \d+ alone hears \d+ source neurons, a core has 256 input axons/);
  });

  it('CLI: compile --target core, then verify compares the core simulator and the C with the interpreter, and simulate reports cycles', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'snnc-core-')), 'cnn');
    const c = snnc(['compile', modelPath('fmnist-cnn-bn'), '--calib', CALIB_IMAGES, '--calib-limit', '64', '--input-scale', '1/255', '-T', '4', '--target', 'core', '-o', out]);
    expect(c.code).toBe(0);
    expect(c.stdout).toMatch(/core preset generic\n.*neurons.*synapses.*fan-in.*fan-out/);
    expect(c.stdout).toMatch(/cores used; mean/);
    const v = snnc(['verify', out, '--data', TEST_IMAGES, '--input-scale', '1/255', '-n', '8', '--json']);
    expect(v.code).toBe(0);
    const j = JSON.parse(v.stdout);
    expect(j.bitExact).toBe(true);
    expect(Object.keys(j.executors).sort()).toEqual(['c', 'core']);
    expect(j.executors.core.timing.cyclesPerStep).toBeGreaterThan(0);
    const s = snnc(['simulate', out, '--executor', 'core', '--data', TEST_IMAGES, '--input-scale', '1/255', '-n', '4', '--json']);
    expect(s.code).toBe(0);
    const sj = JSON.parse(s.stdout);
    expect(sj.predictions).toHaveLength(4);
    expect(sj.timing.secondsPerInference).toBeCloseTo(sj.timing.cyclesPerInference / 1e8, 12);
    const bad = snnc(['simulate', out, '--executor', 'gpu', '--data', TEST_IMAGES, '--input-scale', '1/255']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown executor 'gpu'/);
  });

  it('every preset parses, every figure has a source, and presets are labelled as approximations', () => {
    for (const p of ['generic', 'loihi-like', 'speck-like', 'truenorth-like']) {
      const d = loadCorePreset(p);
      if (p !== 'generic') expect(d.approximates).toMatch(/approximation/);
      expect(d.neuronsPerCore.source.length).toBeGreaterThan(3);
    }
    expect(loadCorePreset('loihi-like').synapticDelay.value).toBe(1);
    expect(() => descWith({ synapticDelay: sourced(2) })).toThrow(/synapticDelay.value must be 0 or 1/);
  });

  it('max pooling has no core form: refused naming the node', async () => {
    const g = importOnnxFile(modelPath('fmnist-vgg-maxpool'));
    const ann = prepareAnn(g);
    const stats = await calibrate(ann, loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 16), 1);
    const fixed = toFixed(toSnn(ann, stats, PRESETS['p99.9-subtract-half'], 4), cTarget(), { inputScale: 1 / 255 });
    expect(() => compileForCore(fixed, loadCorePreset('generic'))).toThrow(/spikemaxpool' is not linear/);
  });
});

describe('core simulator vs reference interpreter', () => {
  it('bit-exact on 300 random graphs split over many small cores, overflow counted alike (the c-random-graphs seeds: C agrees on the same graphs)', () => {
    const d = descWith({ neuronsPerCore: sourced(5), mesh: { width: 24, height: 24, source: 'test' }, weightBits: sourced(32), membraneBits: sourced(48), accBits: sourced(48), sumBits: sourced(48), biasBits: sourced(32), thresholdBits: sourced(32) });
    let tested = 0;
    let multiCore = 0;
    let saturating = 0;
    for (let seed = 0; tested < 300 && seed < 500; seed++) {
      const { graph } = randomGraph(seed);
      if (graph.nodes.some((n) => n.op === 'maxpool2d' || n.op === 'spikemaxpool')) continue;
      const c = compileForCore(graph, d);
      const r = verifyCore(graph, new CoreSimulator(decodeImage(c.bytes)), randomSamples(graph, 3, seed));
      if (!r.bitExact) throw new Error(`seed ${seed}: ${JSON.stringify(r.first)}`);
      tested++;
      if (c.mapping.cores.length > 3) multiCore++;
      // graphs where a value saturated or wrapped, counted alike by both executors
      if (r.overflow.some((u) => u.acc > 0 || u.v > 0)) saturating++;
    }
    expect(tested).toBe(300);
    expect(multiCore).toBeGreaterThan(200);
    expect(saturating).toBeGreaterThan(200);
  });

  it('synaptic delay 1: 100 random graphs with a delay after every population, bit-exact on the core and in C', async () => {
    const d = descWith({ neuronsPerCore: sourced(6), mesh: { width: 24, height: 24, source: 'test' }, weightBits: sourced(32), membraneBits: sourced(48), accBits: sourced(48), sumBits: sourced(48), biasBits: sourced(32), thresholdBits: sourced(32), synapticDelay: sourced(1) });
    const graphs: { prefix: string; graph: Graph; seed: number }[] = [];
    for (let seed = 1000; graphs.length < 100 && seed < 1500; seed++) {
      const { graph } = randomGraph(seed);
      if (graph.nodes.some((n) => n.op === 'maxpool2d' || n.op === 'spikemaxpool')) continue;
      const delayed = runPass(insertDelays, graph, undefined);
      if (delayed.nodes.some((n) => n.op === 'delay')) graphs.push({ prefix: `d${seed}`, graph: delayed, seed });
    }
    expect(graphs).toHaveLength(100);
    let oneLevel = 0;
    for (const { graph, seed } of graphs) {
      const c = compileForCore(graph, d);
      if (new Set(c.image.units.map((u) => u.level)).size === 1) oneLevel++;
      const r = verifyCore(graph, new CoreSimulator(decodeImage(c.bytes)), randomSamples(graph, 3, seed));
      if (!r.bitExact) throw new Error(`core, seed ${seed}: ${JSON.stringify(r.first)}`);
    }
    expect(oneLevel).toBeGreaterThan(75); // every source delayed: all units update in one phase
    const dir = mkdtempSync(join(tmpdir(), 'snnc-delay-c-'));
    writeProgram(dir, graphs);
    const exe = await buildProgram(dir, graphs.map((g) => g.prefix), SANITIZE);
    graphs.forEach((g, i) => {
      const run = () => verifyProgram(g.graph, exe, dir, randomSamples(g.graph, 3, g.seed), i);
      const r = i === 0 ? run() : withoutLeakScan(run); // one run with LeakSanitizer's exit scan
      if (!r.bitExact) throw new Error(`C, seed ${g.seed}: ${JSON.stringify(r.first)}`);
    });
  }, 300_000);

  const fixtures: [string, 'gate' | 'avg', number][] = [
    ['fmnist-cnn-bn', 'gate', 16],
    ['fmnist-resnet', 'gate', 4], // the slowest to simulate: 16 images took 12 s of the suite
    ['fmnist-dwsep', 'gate', 16],
  ];
  // every fixture (vgg with --maxpool avg) x 100 images, three ways: bench/core-vs-c.ts --all
  for (const [name, maxpool, count] of fixtures) {
    it(`${name}: bit-exact on ${count} test images, T = 8, on the same integer network the C target gets`, async () => {
      const g = importOnnxFile(modelPath(name));
      const ann = prepareAnn(g);
      const stats = await calibrate(ann, loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 64), 1);
      const snn = toSnn(ann, stats, { ...PRESETS['p99.9-subtract-half'], maxpool }, 8);
      const generic = loadCorePreset('generic');
      const fixed: Graph = toFixed(snn, quantizerView(generic), { inputScale: 1 / 255 });
      expect(printText(fixed)).toBe(printText(toFixed(snn, cTarget(), { inputScale: 1 / 255 })));
      const c = compileForCore(fixed, generic);
      const images = loadImages(TEST_IMAGES, g.nodes[0].type, 1 / 255, count);
      const r = verifyCore(fixed, new CoreSimulator(decodeImage(c.bytes)), integerSamples(fixed, images));
      expect(r.first).toBeUndefined();
      expect(r.bitExact).toBe(true);
      expect(r.timing.cyclesPerStep).toBeGreaterThan(0);
    });
  }
});
