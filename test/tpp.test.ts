/**
 * TPP neurons and the layer-major schedule (ir/tpp.ts): the fire rules on networks whose counts
 * are known, the generator's statistics, the verifier's schedule rules, a naive layer-major
 * reference (each layer run whole on its inputs' recorded trains, as the paper's code does) against
 * the windowed schedule every executor runs, and the interpreter, the core simulator and the C
 * bit-exact on random layer-major graphs, with and without synaptic delay. The round rule: its
 * counts by hand, and a network of it equal to its ANN with the activations rounded to T levels
 * (and, at T = L, to a QCFS-trained ANN itself).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FixedInterpreter } from '../ir/interp-fixed.js';
import { parseGraph } from '../ir/text/parse.js';
import { drawOf, runSteps, stepStream } from '../ir/tpp.js';
import type { Graph } from '../ir/types.js';
import { verify } from '../ir/verify.js';
import { presetsByName } from '../src/methods.js';
import { tpp, TPP_DEFAULTS } from '../src/passes/tpp.js';
import { snnCalibration } from '../src/passes/snn-calibration.js';
import { floatSimulator, simulateFloatChunk } from '../src/exec/snn-float.js';
import { ONE_NEURON_ANN, oneNeuronSnn } from './helpers/one-neuron.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { loadImages } from '../src/data/dataset.js';
import { runAnn } from '../src/exec/ann.js';
import { calibrate, prepareAnn, snnSteps, toSnn } from '../src/pipeline.js';
import { hiddenPopulations } from '../src/passes/layer-runs.js';
import { populationShape, spikeAmplitude, thresholdPerNeuron } from '../ir/neuron-params.js';
import { CALIB_IMAGES, modelPath, TEST_IMAGES } from './helpers/paths.js';
import { runPass } from '../src/passes/pass.js';
import { insertDelays } from '../src/passes/insert-delays.js';
import { verifyCore } from '../src/verify-core.js';
import { verifyProgram } from '../src/verify-c.js';
import { Rng } from '../src/util/rng.js';
import { loadCorePreset, parseCoreDesc, type CoreDesc } from '../targets/core/desc.js';
import { compileForCore, CoreSimulator, decodeImage } from '../targets/core/index.js';
import { buildProgram, WARNINGS, writeProgram } from './helpers/c-build.js';
import { asLayerMajor, randomGraph, randomSamples } from './helpers/random-graphs.js';

/** F neurons, each hearing one input value x through weight 1, θ = T: V = T·x, so rule A fires exactly x times (x in 0..T). */
function identityNet(F: number, T: number, rule: string, theta = T): Graph {
  return parseGraph(`snnir 1
graph @eye stage=snn-fixed steps=${T} {
  %x = input() {scale=1} : u8[N,${F}]
  %d = mul(%x, @one) : i32[N,${F}]
  %a = if(%d) {accbits=24, overflow="saturate", reset="subtract", threshold=${theta}, vbits=24, tpp="${rule}", seed=7, key=0, window=0} : u1[N,${F}]
  %e = mul(%a, @one) : i32[N,${F}]
  %r = readout(%e) {overflow="saturate", scale=1, sumbits=32, window=${T}} : i32[N,${F}]
  output %r
}
const @one : i8[1] = [1]
`);
}

describe('TPP fire rules', () => {
  const T = 8;
  const F = 4000;
  const r = new Rng(11);
  const x = Int32Array.from({ length: F }, () => r.int(0, T));

  it('rule A (remaining) with V = mθ emits exactly m spikes, all in the firing window, at uniformly spread steps', () => {
    const g = identityNet(F, T, 'remaining');
    expect(verify(g).filter((d) => d.severity === 'error')).toEqual([]);
    expect(runSteps(g)).toBe(2 * T);
    const interp = new FixedInterpreter(g);
    const perStep = new Float64Array(2 * T + 1);
    let before = 0;
    const out = interp.run(x, 0, (t) => {
      perStep[t] = interp.engine.spikes[0] - before;
      before = interp.engine.spikes[0];
    });
    for (let i = 0; i < F; i++) if (out[i] !== x[i]) throw new Error(`neuron ${i}: ${out[i]} spikes for V = ${x[i]}θ`);
    for (let t = 1; t <= T; t++) expect(perStep[t]).toBe(0); // accumulating: silent
    // the spikes are spread over the T firing steps as a random permutation spreads them: each step gets ~1/T
    const total = x.reduce((a, b) => a + b, 0);
    for (let t = T + 1; t <= 2 * T; t++) expect(Math.abs(perStep[t] / total - 1 / T)).toBeLessThan(0.02);
  });

  it('rule B (iid) fires Binomial(T, V/(θT)): the mean count is x, within 4 standard errors', () => {
    const g = identityNet(F, T, 'iid');
    const out = new FixedInterpreter(g).run(x, 0);
    let dev = 0;
    let variance = 0;
    for (let i = 0; i < F; i++) {
      dev += out[i] - x[i];
      variance += T * (x[i] / T) * (1 - x[i] / T);
    }
    expect(Math.abs(dev)).toBeLessThan(4 * Math.sqrt(variance));
    // and it is not rule A: some neuron's count differs from x
    expect(Array.from(out).some((v, i) => v !== x[i])).toBe(true);
  });

  it('the generator: uniform 16-bit draws, independent across populations and steps, deterministic', () => {
    const n = 1 << 16;
    const a = Float64Array.from({ length: n }, (_, i) => drawOf(stepStream(1, 0, 1), i));
    const b = Float64Array.from({ length: n }, (_, i) => drawOf(stepStream(1, 1, 1), i));
    const c = Float64Array.from({ length: n }, (_, i) => drawOf(stepStream(1, 0, 2), i));
    const mean = a.reduce((s, v) => s + v, 0) / n / 2 ** 16;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.max(...a)).toBeLessThan(2 ** 16);
    let same = 0;
    for (let i = 0; i < n; i++) same += Number(a[i] === b[i]) + Number(a[i] === c[i]);
    expect(same).toBeLessThan(20); // ~2 expected by chance
    // the seed decides: another seed's stream differs on almost every neuron
    let sameSeed = 0;
    for (let i = 0; i < n; i++) sameSeed += Number(drawOf(stepStream(2, 0, 1), i) === a[i]);
    expect(sameSeed).toBeLessThan(10);
  });
});

describe('the layer-major schedule in the verifier', () => {
  const errors = (g: Graph): string[] => verify(g).filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.message}`);
  it('refuses a window that is not the schedule\'s, a mix of IF and TPP, and a biased current into a later window', () => {
    const ok = identityNet(4, 4, 'remaining');
    expect(errors(ok)).toEqual([]);
    const text = (g: string): Graph => parseGraph(g);
    const src = `snnir 1
graph @two stage=snn-fixed steps=4 {
  %x = input() {scale=1} : u8[N,2]
  %d = dense(%x, @w) : i32[N,2]
  %a = if(%d) {accbits=24, overflow="saturate", reset="subtract", threshold=4, vbits=24, tpp="remaining", seed=1, key=0, window=0} : u1[N,2]
  %e = dense(%a, @w BIAS) : i32[N,2]
  %b = if(%e) {accbits=24, overflow="saturate", reset="subtract", threshold=4, vbits=24 B} : u1[N,2]
  %f = dense(%b, @w) : i32[N,2]
  %r = readout(%f) {overflow="saturate", scale=1, sumbits=32, window=RW} : i32[N,2]
  output %r
}
const @w : i8[2,2] = [1,0,0,1]
const @bias : i8[2] = [3,3]
`;
    const good = src.replace(' BIAS', '').replace(' B}', ', tpp="iid", seed=1, key=1, window=4}').replace('RW', '8');
    expect(errors(text(good))).toEqual([]);
    expect(errors(text(good.replace('window=8', 'window=5')))[0]).toMatch(/SNN0114 window 5, but the schedule puts it at 8/);
    expect(errors(text(src.replace(' BIAS', '').replace(' B}', '}').replace('RW', '8'))).join()).toMatch(/every population of a layer-major graph is a TPP population/);
    expect(errors(text(src.replace(' BIAS', ', @bias').replace(' B}', ', tpp="iid", seed=1, key=1, window=4}').replace('RW', '8'))).join()).toMatch(/a projection bias reaches this population/);
    expect(errors(text(good.replace('seed=1, key=1', 'key=1'))).join()).toMatch(/needs seed/);
  });

  it('+tpp and +tpp-iid compose with any preset and make the method T-dependent', () => {
    const [a, b] = presetsByName('qcfs+tpp,chp99.9-subtract-half+calib-light+tpp-iid');
    expect(a.tpp?.rule).toBe('remaining');
    expect(b.tpp?.rule).toBe('iid');
    expect(b.calibration).toBe('light');
    expect(() => presetsByName('qcfs+tpp+tpp-iid')).toThrow(/names TPP twice/);
  });

  it('a +calib-* named after +tpp calibrates the TPP network: it runs last and corrects by the TPP rates', () => {
    const [before, after] = presetsByName('chmmse-subtract-shift+calib-advanced+tpp,chmmse-subtract-shift+tpp+calib-advanced');
    const ann = parseGraph(ONE_NEURON_ANN);
    expect(snnSteps(before, ann, new Map()).map((s) => s.name)).toEqual(['snn-calibration', 'tpp']);
    expect(snnSteps(after, ann, new Map()).map((s) => s.name)).toEqual(['tpp', 'snn-calibration']);
    expect(() => presetsByName('qcfs+tpp+calib-light+calib-advanced')).toThrow(/twice/);
    // One neuron (θ = 1, T = 4) with a constant current 0.3 = its ANN activation. As TPP (v(0) = 0)
    // it accumulates 1.2 and fires m spikes (1 or 2, by its draws); potential calibration adds
    // T·(a − m/T) = 1.2 − m to v(0), in θ units, whatever an IF neuron would have done.
    const tppNet = runPass(tpp, parseGraph(oneNeuronSnn(4)), TPP_DEFAULTS);
    const sim = floatSimulator(tppNet);
    const m = simulateFloatChunk(sim, { count: 1, sampleShape: [1], data: Float32Array.of(0.3) }, [4]).spikes[0][0];
    expect([1, 2]).toContain(m);
    const calibrated = runPass(snnCalibration, tppNet, { level: 'advanced', ann, calib: { count: 1, sampleShape: [1], data: Float32Array.of(0.3) }, batchSize: 1 });
    const n = calibrated.nodes.find((x) => x.id === 'r')!;
    expect(calibrated.consts.get((n.attrs.vinit as { const: string }).const)!.data[0]).toBeCloseTo(1.2 - m, 6);
    expect(n.attrs.tpp).toBe('remaining');
  });
});

/**
 * The paper's layer-major execution, written independently of the engine: each population runs
 * on its input trains recorded in full (T steps, aligned at local steps 1..T — a residual add sums
 * the two trains step by step), accumulating T steps and then firing T steps. Integer arithmetic
 * with registers wide enough that nothing narrows, so the order of the sums cannot matter and
 * the windowed schedule must give the same spikes.
 */
function naiveLayerMajor(g: Graph, x: Int32Array): Float64Array {
  const T = g.steps!;
  const trains = new Map<string, Float64Array[]>(); // per value, T steps of NCHW values
  const w = (id: string): Int32Array => g.consts.get(id)!.data as Int32Array;
  let out = new Float64Array(0);
  for (const n of g.nodes) {
    const arg = (i: number): Float64Array[] => trains.get(n.inputs[i].id)!;
    const F = n.type.shape[1];
    switch (n.op) {
      case 'input':
        trains.set(n.id, Array.from({ length: T }, () => Float64Array.from(x)));
        break;
      case 'dense': {
        const W = w(n.inputs[1].id);
        const K = W.length / F;
        trains.set(n.id, arg(0).map((v) => Float64Array.from({ length: F }, (_, m) => v.reduce((s, xv, k) => s + W[m * K + k] * xv, 0))));
        break;
      }
      case 'add':
        trains.set(n.id, arg(0).map((v, t) => v.map((a, i) => a + arg(1)[t][i])));
        break;
      case 'if': {
        const th = Number(n.attrs.threshold);
        const V = new Float64Array(F);
        const bias = n.attrs.bias ? (g.consts.get((n.attrs.bias as { const: string }).const)!.data as Int32Array) : undefined;
        const R = bias ? bias.length / F : 0;
        for (let t = 1; t <= T; t++) for (let i = 0; i < F; i++) V[i] += arg(0)[t - 1][i] + (bias ? bias[(Math.min(t, R) - 1) * F + i] : 0);
        const seed = Number(n.attrs.seed);
        const key = Number(n.attrs.key);
        const remaining = n.attrs.tpp !== 'iid';
        const s: Float64Array[] = [];
        for (let k = 1; k <= T; k++) {
          const stream = stepStream(seed, key, k);
          const R2 = remaining ? T - k + 1 : T;
          s.push(Float64Array.from({ length: F }, (_, i) => {
            const fire = n.attrs.tpp === 'round' ? 2 * V[i] >= th : drawOf(stream, i) * th * R2 < V[i] * 65536;
            if (fire && remaining) V[i] -= th;
            return fire ? 1 : 0;
          }));
        }
        trains.set(n.id, s);
        break;
      }
      case 'readout':
        out = new Float64Array(F);
        for (const v of arg(0)) v.forEach((a, i) => (out[i] += a));
        break;
      default:
        throw new Error(`naive layer-major: ${n.op}`);
    }
  }
  return out;
}

/** A random MLP whose hidden layers alternate with identity-width residual adds (a skip over one or two layers), as layer-major text. */
function randomResidualMlp(seed: number): Graph {
  const r = new Rng(seed);
  const T = r.int(1, 8);
  const F = r.int(2, 12);
  const layers = r.int(2, 5);
  const lines: string[] = [`  %x = input() {scale=1} : u8[N,${F}]`];
  const consts: string[] = [];
  const weights = (name: string): string => {
    consts.push(`const @${name} : i8[${F},${F}] = [${Array.from({ length: F * F }, () => r.int(-20, 30)).join(',')}]`);
    return `@${name}`;
  };
  let prev = 'x';
  const pops: string[] = [];
  for (let l = 0; l < layers; l++) {
    lines.push(`  %d${l} = dense(%${prev}, ${weights(`w${l}`)}) : i32[N,${F}]`);
    let cur = `d${l}`;
    if (l >= 2 && r.chance(0.6)) {
      const skip = pops[r.int(0, pops.length - 2)];
      lines.push(`  %k${l} = dense(%${skip}, ${weights(`k${l}`)}) : i32[N,${F}]`, `  %s${l} = add(%${cur}, %k${l}) : i32[N,${F}]`);
      cur = `s${l}`;
    }
    const rows = Math.min(T, r.pick([1, 2, T]));
    consts.push(`const @b${l} : i16[${rows},${F}] = [${Array.from({ length: rows * F }, () => r.int(-300, 300)).join(',')}]`);
    lines.push(`  %p${l} = if(%${cur}) {accbits=32, bias=@b${l}, overflow="saturate", reset="subtract", threshold=${r.int(300, 3000)}, vbits=36, tpp="${r.pick(['remaining', 'iid', 'round'])}", seed=${r.int(0, 1e9)}, key=${l}} : u1[N,${F}]`);
    pops.push(`p${l}`);
    prev = `p${l}`;
  }
  lines.push(`  %o = dense(%${prev}, ${weights('wo')}) : i32[N,${F}]`, `  %r = readout(%o) {overflow="saturate", scale=1, sumbits=48} : i48[N,${F}]`, '  output %r');
  const g = parseGraph(`snnir 1\ngraph @res${seed} stage=snn-fixed steps=${T} {\n${lines.join('\n')}\n}\n${consts.join('\n')}\n`);
  return asLayerMajor(g, seed)!;
}

describe('the windowed schedule is the layer-major semantics', () => {
  it('80 random residual MLPs: the interpreter equals a naive whole-layer-at-a-time run, spike for spike in the readout', () => {
    let residual = 0;
    for (let seed = 0; seed < 80; seed++) {
      const g = randomResidualMlp(seed);
      expect(verify(g).filter((d) => d.severity === 'error')).toEqual([]);
      if (g.nodes.some((n) => n.op === 'add')) residual++;
      const F = g.nodes[0].type.shape[1];
      const r = new Rng(seed + 99);
      for (let s = 0; s < 3; s++) {
        const x = Int32Array.from({ length: F }, () => r.int(0, 40));
        const interp = new FixedInterpreter(g);
        const got = interp.run(x, 0);
        expect(interp.overflow().every((u) => u.acc === 0 && u.v === 0)).toBe(true);
        const want = naiveLayerMajor(g, x);
        if (Array.from(got).some((v, i) => v !== want[i])) throw new Error(`seed ${seed} sample ${s}: ${Array.from(got)} vs naive ${Array.from(want)}`);
      }
    }
    expect(residual).toBeGreaterThan(20);
  });
});

function descWith(changes: Record<string, unknown>): CoreDesc {
  const json = JSON.parse(JSON.stringify(loadCorePreset('generic'))) as Record<string, unknown>;
  return parseCoreDesc({ ...json, ...changes }, 'test');
}
const sourced = (value: unknown) => ({ value, source: 'test' });

describe('TPP on every executor', () => {
  it('random layer-major graphs: interpreter = core simulator (many small cores) = C, with and without synaptic delay 1', async () => {
    const wide = { mesh: { width: 24, height: 24, source: 'test' }, weightBits: sourced(32), membraneBits: sourced(48), accBits: sourced(48), sumBits: sourced(48), biasBits: sourced(32), thresholdBits: sourced(32) };
    const plain = descWith({ ...wide, neuronsPerCore: sourced(5) });
    const delayed = descWith({ ...wide, neuronsPerCore: sourced(6), synapticDelay: sourced(1) });
    const graphs: { prefix: string; graph: Graph; seed: number }[] = [];
    let saturating = 0;
    for (let seed = 2000; graphs.length < 90 && seed < 2600; seed++) {
      const base = randomGraph(seed).graph;
      if (base.nodes.some((n) => n.op === 'maxpool2d' || n.op === 'spikemaxpool')) continue;
      const g = asLayerMajor(base, seed);
      if (!g) continue;
      expect(verify(g).filter((d) => d.severity === 'error')).toEqual([]);
      const withDelay = graphs.length % 3 === 2;
      const graph = withDelay ? runPass(insertDelays, g, undefined) : g;
      const r = verifyCore(graph, new CoreSimulator(decodeImage(compileForCore(graph, withDelay ? delayed : plain).bytes)), randomSamples(graph, 3, seed));
      if (!r.bitExact) throw new Error(`core, seed ${seed}${withDelay ? ' (delay 1)' : ''}: ${JSON.stringify(r.first)}`);
      if (r.overflow.some((u) => u.acc > 0 || u.v > 0)) saturating++;
      graphs.push({ prefix: `t${seed}`, graph, seed });
    }
    expect(graphs).toHaveLength(90);
    expect(saturating).toBeGreaterThan(20);
    const dir = mkdtempSync(join(tmpdir(), 'snnc-tpp-c-'));
    writeProgram(dir, graphs);
    const exe = await buildProgram(dir, graphs.map((g) => g.prefix), [...WARNINGS, '-O1']);
    graphs.forEach((g, i) => {
      const r = verifyProgram(g.graph, exe, dir, randomSamples(g.graph, 3, g.seed), i);
      if (!r.bitExact) throw new Error(`C, seed ${g.seed}: ${JSON.stringify(r.first)}`);
    });
  }, 300_000);
});

describe('the round rule is the schedule\'s deterministic limit', () => {
  it('F neurons with V = xθ/2: each emits clip(round-half-up(x/2), 0, T) spikes, at the first steps of its window', () => {
    const T = 8;
    const x = Int32Array.from({ length: 40 }, (_, i) => i); // V/θ from 0 to 19.5: every half-way case up to past T
    const g = identityNet(x.length, T, 'round', 2 * T);
    expect(verify(g).filter((d) => d.severity === 'error')).toEqual([]);
    const interp = new FixedInterpreter(g);
    const trains: number[][] = Array.from(x, () => []);
    const out = interp.run(x, 0, (t) => interp.engine.read('a').forEach((s, i) => void (s && trains[i].push(t))));
    x.forEach((xi, i) => {
      const m = Math.min(T, Math.max(0, Math.floor(xi / 2 + 0.5)));
      expect([out[i], trains[i]]).toEqual([m, Array.from({ length: m }, (_, k) => T + 1 + k)]);
    });
  });

  for (const name of ['fmnist-mlp', 'fmnist-resnet']) {
    it(`${name}: the float TPP-round network answers as its ANN with every activation rounded to T levels`, async () => {
      const T = 4;
      const g = importOnnxFile(modelPath(name));
      const ann = prepareAnn(g);
      const stats = await calibrate(ann, loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 64), 1);
      const snn = toSnn(ann, stats, presetsByName('chp99.9-subtract-half+tpp-round')[0], T);
      const images = loadImages(TEST_IMAGES, g.nodes[0].type, 1 / 255, 8);
      const got = simulateFloatChunk(floatSimulator(snn), { count: images.count, sampleShape: images.sampleShape, data: images.data }, [T]).sums[0];
      // the ANN, each hidden activation a replaced by A/T · clip(floor(a T/θ + 1/2), 0, T)
      const populations = new Map(hiddenPopulations(snn, ann).map((n) => [n.id, { theta: thresholdPerNeuron(n, snn.consts), amplitude: spikeAmplitude(n, snn.consts), ...populationShape(n) }]));
      const [want] = runAnn(ann, [{ shape: [images.count, ...images.sampleShape], data: images.data }], {
        onValue: (node, t) => {
          const p = populations.get(node.id);
          if (!p) return;
          t.data.forEach((a, k) => {
            const i = k % p.size;
            const c = Math.floor(i / p.HW);
            t.data[k] = (p.amplitude[c] / T) * Math.min(T, Math.max(0, Math.floor((a * T) / p.theta[i] + 0.5)));
          });
        },
      });
      expect(populations.size).toBeGreaterThan(1);
      for (let k = 0; k < want.data.length; k++) expect(got[k] / T).toBeCloseTo(want.data[k], 3); // the readout holds the sum over its T steps
    }, 60_000);
  }

  for (const name of ['fmnist-qcfs-resnet', 'fmnist-qcfs-dwsep']) {
    it(`${name}: at T = L the float TPP-round network of the QCFS network is that network itself`, async () => {
      const g = importOnnxFile(modelPath(name));
      const ann = prepareAnn(g);
      const levels = new Set(ann.nodes.filter((n) => n.op === 'qcfs').map((n) => n.attrs.levels as number));
      expect([...levels]).toEqual([8]);
      const T = 8;
      const stats = await calibrate(ann, loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 16), 1);
      const snn = toSnn(ann, stats, presetsByName('qcfs+tpp-round')[0], T);
      const images = loadImages(TEST_IMAGES, g.nodes[0].type, 1 / 255, 8);
      const got = simulateFloatChunk(floatSimulator(snn), { count: images.count, sampleShape: images.sampleShape, data: images.data }, [T]).sums[0];
      const [want] = runAnn(ann, [{ shape: [images.count, ...images.sampleShape], data: images.data }]);
      for (let k = 0; k < want.data.length; k++) expect(got[k] / T).toBeCloseTo(want.data[k], 3);
    }, 60_000);
  }
});
