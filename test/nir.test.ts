/**
 * NIR interop: the three NIR-paper fixtures import and, driven by the paper's input spike train,
 * match a reference written here from the NIR equations (forward Euler at dt, docs/nir.md); they
 * compile to C bit-exactly with their temporal input; snnc -> NIR -> snnc is the identity on the
 * fixture models; the written files have the layout NIR's reference reader expects; bad files and
 * unsupported graphs get coded errors and nothing written.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../ir/engine/engine.js';
import { floatSemantics } from '../ir/engine/neuron-float.js';
import { FixedInterpreter } from '../ir/interp-fixed.js';
import { printGraph } from '../ir/text/print.js';
import type { Graph } from '../ir/types.js';
import { cTarget } from '../targets/c/index.js';
import { decodeImage, IMAGE_FILE } from '../targets/core/index.js';
import { CoreSimulator } from '../targets/core/simulate.js';
import { verifyCore } from '../src/verify-core.js';
import { targetByName } from '../targets/index.js';
import { loadImages } from '../src/data/dataset.js';
import { evaluateSpiking } from '../src/evaluate.js';
import { readHdf5, writeHdf5, type H5Group, type H5WriteNode } from '../src/frontend/nir/hdf5.js';
import { exportNir } from '../src/frontend/nir/export.js';
import { importNir, NIR_DEFAULT_DT } from '../src/frontend/nir/import.js';
import { NIR_PARAMS, nirGraphOf, type NirGraph } from '../src/frontend/nir/nir-graph.js';
import { readNirFile } from '../src/frontend/nir/file.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { PRESETS } from '../src/methods.js';
import { calibrate, prepareAnn, toFixed, toSnn } from '../src/pipeline.js';
import { verifyProgram } from '../src/verify-c.js';
import { buildProgram, WARNINGS, writeProgram } from './helpers/c-build.js';
import { snnc } from './helpers/cli.js';
import { CALIB_IMAGES, modelPath, ROOT } from './helpers/paths.js';

const NIR_DIR = join(ROOT, 'test/fixtures/nir');
const FIXTURES = ['lif_norse', 'lif_rockpool', 'two_lif_neurons'];
/** Column 1 of the paper's trace: the input spike train, 1,000 steps of dt = 1e-4 s. */
const csv = (name: string): number[][] =>
  readFileSync(join(NIR_DIR, `${name}.csv`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(',').map(Number));
const INPUT = csv('lif_norse').map((r) => r[0]);
const T = INPUT.length;
const spikeSteps = (rows: number[][]): number[] => rows.flatMap((r, i) => (r[2] !== 0 ? [i + 1] : []));

// ---- NIR files written here, in the layout of NIR's reference writer
const h5group = (m: Record<string, H5WriteNode>): H5WriteNode => ({ kind: 'group', children: new Map(Object.entries(m)) });
const h5str = (value: string): H5WriteNode => ({ kind: 'string', value });
const h5vec = (...v: number[]): H5WriteNode => ({ kind: 'floats', shape: [v.length], data: v, precision: 64 });
const h5ints = (...v: number[]): H5WriteNode => ({ kind: 'ints', shape: [v.length], data: v });
const h5matrix = (shape: number[], data: number[]): H5WriteNode => ({ kind: 'floats', shape, data });
/** A NIR node: its type and parameters. */
const nirNode = (type: string, params: Record<string, H5WriteNode>): H5WriteNode => h5group({ type: h5str(type), ...params });
/** The path of a new NIR file holding these nodes and edges. */
async function nirFile(nodes: Record<string, H5WriteNode>, edges: [string, string][], name = 'g.nir'): Promise<string> {
  const tree = h5group({
    version: h5str('1.0.7'),
    node: h5group({ type: h5str('NIRGraph'), nodes: h5group(nodes), edges: { kind: 'strings', shape: [edges.length, 2], data: edges.flat() } }),
  }) as Extract<H5WriteNode, { kind: 'group' }>;
  const path = join(mkdtempSync(join(tmpdir(), 'snnc-nir-')), name);
  writeFileSync(path, await writeHdf5(tree));
  return path;
}

async function nirOf(name: string): Promise<NirGraph> {
  return nirGraphOf(await readHdf5(readFileSync(join(NIR_DIR, `${name}.nir`)), name), name);
}

/**
 * The NIR equations, independently of snnc's importer (float64): along the chain from Input,
 * Affine/Linear compute W x (+ b); a LIF does v += dt/τ (v_leak − v + R I), z = v > v_threshold,
 * then v = v_reset where it fired. Returns each LIF's spikes (steps) and membrane after each step.
 */
function reference(g: NirGraph, input: readonly number[], dt: number): { spikes: number[][]; v: number[][]; vth: number[] } {
  const next = (name: string): string | undefined => g.edges.find(([a]) => a === name)?.[1];
  const chain: string[] = [];
  for (let n = [...g.nodes.values()].find((x) => x.type === 'Input')!.name; n !== undefined; n = next(n)!) {
    chain.push(n);
    if (g.nodes.get(n)!.type === 'Output') break;
  }
  const lifs = chain.filter((n) => g.nodes.get(n)!.type === 'LIF');
  const state = new Map(lifs.map((n) => [n, 0]));
  const out = { spikes: lifs.map(() => [] as number[]), v: lifs.map(() => [] as number[]), vth: lifs.map((n) => g.nodes.get(n)!.params.get('v_threshold')!.data[0]) };
  input.forEach((x, t) => {
    let value = x;
    for (const name of chain) {
      const n = g.nodes.get(name)!;
      const p = (k: string): number => n.params.get(k)!.data[0];
      if (n.type === 'Affine') value = p('weight') * value + p('bias');
      else if (n.type === 'Linear') value = p('weight') * value;
      else if (n.type === 'LIF') {
        let v = state.get(name)!;
        v += (dt / p('tau')) * (p('v_leak') - v + p('r') * value);
        const z = v > p('v_threshold') ? 1 : 0;
        if (z) v = n.params.has('v_reset') ? p('v_reset') : 0;
        state.set(name, v);
        const k = lifs.indexOf(name);
        if (z) out.spikes[k].push(t + 1);
        out.v[k].push(v);
        value = z;
      }
    }
  });
  return out;
}

/** snnc's float engine on a temporal graph: spikes (steps) and membranes in NIR units (u · v_threshold / θ, populations in chain order). */
function runFloat(g: Graph, vth: readonly number[], input: readonly number[]): { spikes: number[][]; v: number[][] } {
  const e = new Engine(g, floatSemantics);
  const pops = e.populations;
  const theta = pops.map((p) => Number(g.nodes.find((n) => n.id === p.id)!.attrs.threshold));
  const out = { spikes: pops.map(() => [] as number[]), v: pops.map(() => [] as number[]) };
  e.begin();
  for (let t = 1; t <= input.length; t++) {
    e.loadInput([input[t - 1]]);
    e.step(t);
    pops.forEach((p, k) => {
      if (e.read(p.id)[0] !== 0) out.spikes[k].push(t);
      out.v[k].push(((p.unit as unknown as { v: Float32Array }).v[0] * vth[k]) / theta[k]);
    });
  }
  return out;
}

describe('the NIR paper fixtures', () => {
  const graphs = new Map<string, Graph>();
  beforeAll(async () => {
    for (const f of FIXTURES) graphs.set(f, await readNirFile(join(NIR_DIR, `${f}.nir`), { steps: T }));
  });

  it('import as temporal float spiking networks with a gain, a leak and NIR\'s strict threshold', () => {
    const g = graphs.get('lif_norse')!;
    expect(g.stage).toBe('snn-float');
    expect(g.nodes[0].attrs.temporal).toBe(true);
    const lif = g.nodes.find((n) => n.op === 'if')!;
    // τ = 2.5 ms, dt = 0.1 ms: leak 1 − dt/τ = 0.96; gain dt·R/τ / v_threshold = 0.04 / 0.1 = 0.4
    expect(lif.attrs).toMatchObject({ fire: 'gt', reset: 'zero', threshold: 1, leak: Math.fround(0.96) });
    expect(Math.abs(g.consts.get(g.nodes[1].inputs[1].id)!.data[0] - 0.4)).toBeLessThan(1e-7);
    // v_leak = 1.2 drives lif1 of two_lif_neurons: dt/τ · v_leak / v_threshold = 0.012 per step, in the bias
    const two = graphs.get('two_lif_neurons')!;
    expect(Math.abs(two.consts.get('linear1.bias')!.data[0] - 0.012)).toBeLessThan(1e-8);
  });

  for (const f of FIXTURES) {
    it(`${f}: float spikes equal the NIR-equation reference, membranes within 1e-5 · v_threshold (float32 against float64)`, async () => {
      const nir = await nirOf(f);
      const input = f === 'two_lif_neurons' ? INPUT.map(() => 0) : INPUT;
      const ref = reference(nir, input, NIR_DEFAULT_DT);
      const got = runFloat(graphs.get(f)!, ref.vth, input);
      expect(got.spikes).toEqual(ref.spikes);
      got.v.forEach((trace, k) => {
        const worst = Math.max(...trace.map((v, t) => Math.abs(v - ref.v[k][t])));
        expect(worst).toBeLessThan(1e-5 * ref.vth[k]);
      });
      if (f === 'two_lif_neurons') expect(ref.spikes[0].length).toBeGreaterThan(3); // lif1 fires from its v_leak drive alone
    });
  }

  it('lif_norse spikes at the steps of the analytic solution and of Norse (the paper\'s CSVs)', () => {
    const g = graphs.get('lif_norse')!;
    const e = new Engine(g, floatSemantics);
    const spikes: number[] = [];
    e.begin();
    for (let t = 1; t <= T; t++) {
      e.loadInput([INPUT[t - 1]]);
      e.step(t);
      if (e.read(e.populations[0].id)[0] !== 0) spikes.push(t);
    }
    expect(spikes).toEqual(spikeSteps(csv('lif_exact')));
    expect(spikes).toEqual(spikeSteps(csv('lif_norse')));
  });

  it('compile to integer C and to the core, bit-exact to the interpreter, one input frame per step', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'snnc-nir-c-'));
    const built = FIXTURES.map((f) => ({ prefix: f, graph: toFixed(graphs.get(f)!, cTarget(), { inputScale: 1, weightBits: 16 }) }));
    writeProgram(dir, built);
    const exe = await buildProgram(dir, FIXTURES, [...WARNINGS, '-O2']);
    built.forEach(({ graph }, k) => {
      const frames = FIXTURES[k] === 'two_lif_neurons' ? INPUT.map(() => 0) : INPUT;
      const samples = { count: 2, size: T, data: Int32Array.from([...frames, ...frames.map((x, t) => (t % 7 === 0 ? 1 : x))]) };
      const r = verifyProgram(graph, exe, dir, samples, k);
      expect(r.first).toBeUndefined();
      expect(r.bitExact).toBe(true);
    });
    // the cycle-level core simulator takes the same frames, one per step, and agrees step by step
    built.forEach(({ graph }, k) => {
      const frames = FIXTURES[k] === 'two_lif_neurons' ? INPUT.map(() => 0) : INPUT;
      const image = decodeImage(targetByName('core:generic').emit(graph, 'm').find((f) => f.path === IMAGE_FILE)!.contents as Uint8Array);
      expect(image.inputFrames).toBe(T);
      const r = verifyCore(graph, new CoreSimulator(image), { count: 1, size: T, data: Int32Array.from(frames) });
      expect(r.first).toBeUndefined();
      expect(r.bitExact).toBe(true);
    });
    // at 16-bit weights the integer neuron spikes where the float one does
    const it16 = new FixedInterpreter(built[0].graph);
    const got: number[] = [];
    it16.run(INPUT, 0, (t) => {
      if (it16.engine.read(it16.engine.populations[0].id)[0] !== 0) got.push(t);
    });
    expect(got).toEqual(spikeSteps(csv('lif_exact')));
  });
});

describe('a current-based LIF (CubaLIF): synaptic current, then membrane', () => {
  const P = { tauSyn: [0.005, 0.005], tauMem: [0.01, 0.01], r: [3, 2], vLeak: [0, 0], vth: [0.1, 0.05], win: [1, 0.8], w: [1, 1] };
  let graph: Graph;
  beforeAll(async () => {
    const path = await nirFile(
      {
        in: nirNode('Input', { shape: h5ints(1) }),
        lin: nirNode('Linear', { weight: h5matrix([2, 1], P.w) }),
        cuba: nirNode('CubaLIF', { tau_syn: h5vec(...P.tauSyn), tau_mem: h5vec(...P.tauMem), r: h5vec(...P.r), v_leak: h5vec(...P.vLeak), v_threshold: h5vec(...P.vth), w_in: h5vec(...P.win) }),
        out: nirNode('Output', { shape: h5ints(2) }),
      },
      [['in', 'lin'], ['lin', 'cuba'], ['cuba', 'out']],
    );
    graph = await readNirFile(path, { steps: T });
  });

  it('float spikes and membranes follow the NIR equations (float64 reference written here)', () => {
    // τ_syn İ = −I + w_in S;  τ_mem v̇ = (v_leak − v) + R I;  forward Euler, the membrane takes this step's I
    const I = [0, 0];
    const v = [0, 0];
    const ref: number[][] = [[], []];
    const refV: number[][] = [[], []];
    INPUT.forEach((x, t) => {
      for (let k = 0; k < 2; k++) {
        I[k] += (NIR_DEFAULT_DT / P.tauSyn[k]) * (-I[k] + P.win[k] * P.w[k] * x);
        v[k] += (NIR_DEFAULT_DT / P.tauMem[k]) * (P.vLeak[k] - v[k] + P.r[k] * I[k]);
        if (v[k] > P.vth[k]) {
          v[k] = 0;
          ref[k].push(t + 1);
        }
        refV[k].push(v[k]);
      }
    });
    const e = new Engine(graph, floatSemantics);
    const pop = e.populations[0];
    const got: number[][] = [[], []];
    let worst = 0;
    e.begin();
    for (let t = 1; t <= T; t++) {
      e.loadInput([INPUT[t - 1]]);
      e.step(t);
      const s = e.read(pop.id);
      const u = (pop.unit as unknown as { v: Float32Array }).v;
      for (let k = 0; k < 2; k++) {
        if (s[k] !== 0) got[k].push(t);
        worst = Math.max(worst, Math.abs(u[k] * P.vth[k] - refV[k][t - 1]) / P.vth[k]);
      }
    }
    expect(got).toEqual(ref);
    expect(ref[0].length + ref[1].length).toBeGreaterThan(2);
    expect(worst).toBeLessThan(1e-5);
  });

  it('compiles to C bit-exact with the interpreter; the core refuses it, naming the synaptic current', async () => {
    const fixed = toFixed(graph, cTarget(), { inputScale: 1, weightBits: 16 });
    expect(fixed.nodes.some((n) => n.op === 'synapse' && n.attrs.leak === 'mul')).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'snnc-cuba-c-'));
    writeProgram(dir, [{ prefix: 'cuba', graph: fixed }]);
    const exe = await buildProgram(dir, ['cuba'], [...WARNINGS, '-O2']);
    const r = verifyProgram(fixed, exe, dir, { count: 1, size: T, data: Int32Array.from(INPUT) });
    expect(r.first).toBeUndefined();
    expect(r.bitExact).toBe(true);
    expect(() => targetByName('core:generic').emit(fixed, 'm')).toThrow(/synaptic-current/);
  });

  it('exports as CubaLIF and re-imports as the same graph', async () => {
    const bytes = await writeHdf5(exportNir(graph, { dt: NIR_DEFAULT_DT }));
    const nir = nirGraphOf(await readHdf5(bytes, 'cuba'), 'cuba');
    expect(nir.nodes.get('cuba')!.type).toBe('CubaLIF');
    const back = importNir(nir, { dt: NIR_DEFAULT_DT, name: 'x' });
    expect(printGraph(back, { sidecar: 'w.bin' }).text).toBe(printGraph(graph, { sidecar: 'w.bin' }).text);
  });
});

describe('a recurrent graph (a cycle through a neuron)', () => {
  // in -> W -> LIF -> out, with LIF -> V -> LIF: the recurrent edge reads the previous step's spikes
  const W = [0.9, 0.2, 0.1, 0.8, 0.5, 0.5];
  const V = [0, -0.6, 0.4, 0.5, 0, 0.3, 0.3, 0.3, 0];
  const P = { tau: 0.002, r: 1, vth: [0.2, 0.15, 0.25] };
  const frames = Array.from({ length: 64 }, (_, t) => [t % 3 === 0 ? 1 : 0, t % 5 < 2 ? 1 : 0]);
  let graph: Graph;
  beforeAll(async () => {
    const path = await nirFile(
      {
        in: nirNode('Input', { shape: h5ints(2) }),
        w: nirNode('Linear', { weight: h5matrix([3, 2], W) }),
        lif: nirNode('LIF', { tau: h5vec(P.tau, P.tau, P.tau), r: h5vec(P.r, P.r, P.r), v_leak: h5vec(0, 0, 0), v_threshold: h5vec(...P.vth) }),
        v: nirNode('Linear', { weight: h5matrix([3, 3], V) }),
        out: nirNode('Output', { shape: h5ints(3) }),
      },
      [['in', 'w'], ['w', 'lif'], ['lif', 'v'], ['v', 'lif'], ['lif', 'out']],
    );
    graph = await readNirFile(path, { steps: frames.length });
  });

  it('imports with a delay on the edge that leaves the neuron; float spikes follow the NIR equations', () => {
    const d = graph.nodes.find((n) => n.op === 'delay')!;
    expect(d.inputs[0].id).toBe('lif');
    expect(graph.nodes.indexOf(d)).toBeLessThan(graph.nodes.findIndex((n) => n.id === 'lif'));
    const dt = NIR_DEFAULT_DT;
    const v = [0, 0, 0];
    let prev = [0, 0, 0];
    const ref: number[][] = [];
    for (const x of frames) {
      const z = [0, 0, 0];
      for (let i = 0; i < 3; i++) {
        const I = W[2 * i] * x[0] + W[2 * i + 1] * x[1] + V[3 * i] * prev[0] + V[3 * i + 1] * prev[1] + V[3 * i + 2] * prev[2];
        v[i] += (dt / P.tau) * (0 - v[i] + P.r * I);
        if (v[i] > P.vth[i]) {
          z[i] = 1;
          v[i] = 0;
        }
      }
      ref.push(z);
      prev = z;
    }
    const e = new Engine(graph, floatSemantics);
    const got: number[][] = [];
    e.begin();
    frames.forEach((x, t) => {
      e.loadInput(x);
      e.step(t + 1);
      got.push(Array.from(e.read('lif')));
    });
    expect(got).toEqual(ref);
    expect(ref.flat().filter((z) => z).length).toBeGreaterThan(5);
  });

  it('eval runs its frames through the worker pool: the float engine\'s own predictions score 100 %', async () => {
    const samples = 6;
    const data = new Float32Array(samples * frames.length * 2);
    // sample j drives input 0 every (j+1)th step and input 1 every (6-j)th: different winners
    for (let j = 0; j < samples; j++) for (let t = 0; t < frames.length; t++) {
      data[(j * frames.length + t) * 2] = t % (j + 1) === 0 ? 1 : 0;
      data[(j * frames.length + t) * 2 + 1] = t % (6 - j) === 0 ? 1 : 0;
    }
    const e = new Engine(graph, floatSemantics);
    const labels = Int32Array.from({ length: samples }, (_, k) => {
      e.begin();
      for (let t = 1; t <= frames.length; t++) {
        e.loadInput(data, (k * frames.length + t - 1) * 2);
        e.step(t);
      }
      const out = Array.from(e.read(graph.outputs[0]));
      return out.indexOf(Math.max(...out));
    });
    const r = await evaluateSpiking(graph, { data: { count: samples, sampleShape: [frames.length, 2], data }, labels, steps: [frames.length], threads: 2 });
    expect(r.snn[0].accuracy).toBe(1);
    expect(new Set(labels).size).toBeGreaterThan(1);
  });

  it('compiles to C and to the core, both bit-exact with the interpreter; exports and re-imports as the same graph', async () => {
    const data = Int32Array.from(frames.flat());
    const fixed = toFixed(graph, cTarget(), { inputScale: 1, weightBits: 12 });
    const dir = mkdtempSync(join(tmpdir(), 'snnc-rec-c-'));
    writeProgram(dir, [{ prefix: 'rec', graph: fixed }]);
    const exe = await buildProgram(dir, ['rec'], [...WARNINGS, '-O2']);
    const c = verifyProgram(fixed, exe, dir, { count: 1, size: data.length, data });
    expect(c.bitExact).toBe(true);
    const core = targetByName('core:generic');
    const onCore = toFixed(graph, core.desc(), { inputScale: 1 });
    const image = decodeImage(core.emit(onCore, 'm').find((f) => f.path === IMAGE_FILE)!.contents as Uint8Array);
    const r = verifyCore(onCore, new CoreSimulator(image), { count: 1, size: data.length, data });
    expect(r.first).toBeUndefined();
    expect(r.bitExact).toBe(true);
    const back = importNir(nirGraphOf(await readHdf5(await writeHdf5(exportNir(graph, { dt: NIR_DEFAULT_DT })), 'rec'), 'rec'), { dt: NIR_DEFAULT_DT, name: 'x' });
    expect(printGraph(back, { sidecar: 'w.bin' }).text).toBe(printGraph(graph, { sidecar: 'w.bin' }).text);
  });
});

describe('leaky readouts: LI and CubaLI', () => {
  // in -> Linear -> LIF -> Linear -> LI (or CubaLI) -> out
  const dt = NIR_DEFAULT_DT;
  const frames = Array.from({ length: 80 }, (_, t) => [t % 4 === 0 ? 1 : 0]);
  const build = async (readout: 'LI' | 'CubaLI'): Promise<Graph> => {
    const ro: Record<string, H5WriteNode> =
      readout === 'LI' ? { tau: h5vec(0.004, 0.004), r: h5vec(1, 2), v_leak: h5vec(0.1, 0) } : { tau_syn: h5vec(0.002, 0.002), tau_mem: h5vec(0.004, 0.004), r: h5vec(1, 2), v_leak: h5vec(0, 0), w_in: h5vec(1, 1) };
    const path = await nirFile(
      {
        in: nirNode('Input', { shape: h5ints(1) }),
        a: nirNode('Linear', { weight: h5matrix([2, 1], [1, 0.7]) }),
        lif: nirNode('LIF', { tau: h5vec(0.002, 0.002), r: h5vec(1, 1), v_leak: h5vec(0, 0), v_threshold: h5vec(0.05, 0.04) }),
        b: nirNode('Linear', { weight: h5matrix([2, 2], [1, -0.5, 0.25, 1]) }),
        ro: nirNode(readout, ro),
        out: nirNode('Output', { shape: h5ints(2) }),
      },
      [['in', 'a'], ['a', 'lif'], ['lif', 'b'], ['b', 'ro'], ['ro', 'out']],
    );
    return readNirFile(path, { steps: frames.length });
  };

  it('LI: the readout follows the NIR equations in float; C and the core are bit-exact; it round-trips', async () => {
    const graph = await build('LI');
    // reference: the LIF spikes z, then v = v + dt/τ (v_leak − v + R·(B z))
    const v = [0, 0];
    const m = [0, 0];
    const refOut: number[][] = [];
    for (const [x] of frames) {
      const z = [0, 0];
      [1, 0.7].forEach((w, i) => {
        m[i] += (dt / 0.002) * (-m[i] + w * x);
        if (m[i] > [0.05, 0.04][i]) {
          z[i] = 1;
          m[i] = 0;
        }
      });
      const I = [z[0] - 0.5 * z[1], 0.25 * z[0] + z[1]];
      [0.1, 0].forEach((vl, i) => (v[i] += (dt / 0.004) * (vl - v[i] + [1, 2][i] * I[i])));
      refOut.push([...v]);
    }
    const e = new Engine(graph, floatSemantics);
    e.begin();
    let worst = 0;
    frames.forEach((x, t) => {
      e.loadInput(x);
      e.step(t + 1);
      const s = e.read(graph.outputs[0]);
      for (let i = 0; i < 2; i++) worst = Math.max(worst, Math.abs(s[i] - refOut[t][i]));
    });
    expect(worst).toBeLessThan(1e-6);
    expect(Math.max(...refOut.map((r) => Math.abs(r[1])))).toBeGreaterThan(0.05);
    const data = Int32Array.from(frames.flat());
    const fixed = toFixed(graph, cTarget(), { inputScale: 1, weightBits: 12 });
    const dir = mkdtempSync(join(tmpdir(), 'snnc-li-c-'));
    writeProgram(dir, [{ prefix: 'li', graph: fixed }]);
    const c = verifyProgram(fixed, await buildProgram(dir, ['li'], [...WARNINGS, '-O2']), dir, { count: 1, size: data.length, data });
    expect(c.bitExact).toBe(true);
    const core = targetByName('core:generic');
    const onCore = toFixed(graph, core.desc(), { inputScale: 1 });
    expect(onCore.nodes.find((n) => n.op === 'readout')!.attrs.leak).toBe('mul');
    const r = verifyCore(onCore, new CoreSimulator(decodeImage(core.emit(onCore, 'm').find((f) => f.path === IMAGE_FILE)!.contents as Uint8Array)), { count: 1, size: data.length, data });
    expect(r.bitExact).toBe(true);
    const back = importNir(nirGraphOf(await readHdf5(await writeHdf5(exportNir(graph, { dt })), 'li'), 'li'), { dt, name: 'x' });
    expect(printGraph(back, { sidecar: 'w.bin' }).text).toBe(printGraph(graph, { sidecar: 'w.bin' }).text);
  });

  it('CubaLI: a synaptic current, then the leaky readout; C bit-exact; it round-trips', async () => {
    const graph = await build('CubaLI');
    expect(graph.nodes.map((n) => n.op)).toEqual(['input', 'dense', 'if', 'dense', 'synapse', 'readout']);
    const data = Int32Array.from(frames.flat());
    const fixed = toFixed(graph, cTarget(), { inputScale: 1, weightBits: 12 });
    const dir = mkdtempSync(join(tmpdir(), 'snnc-culi-c-'));
    writeProgram(dir, [{ prefix: 'culi', graph: fixed }]);
    const c = verifyProgram(fixed, await buildProgram(dir, ['culi'], [...WARNINGS, '-O2']), dir, { count: 1, size: data.length, data });
    expect(c.bitExact).toBe(true);
    const back = importNir(nirGraphOf(await readHdf5(await writeHdf5(exportNir(graph, { dt })), 'culi'), 'culi'), { dt, name: 'x' });
    expect(printGraph(back, { sidecar: 'w.bin' }).text).toBe(printGraph(graph, { sidecar: 'w.bin' }).text);
  });
});

describe('a membrane time constant per neuron', () => {
  it('imports as a leak per neuron: float spikes follow the NIR equations, C and the core are bit-exact, it round-trips', async () => {
    const tau = [0.002, 0.0025, 0.01];
    const vth = [0.05, 0.08, 0.08];
    const W = [1, 1, 1];
    const path = await nirFile(
      {
        in: nirNode('Input', { shape: h5ints(1) }),
        w: nirNode('Linear', { weight: h5matrix([3, 1], W) }),
        lif: nirNode('LIF', { tau: h5vec(...tau), r: h5vec(1, 1, 1), v_leak: h5vec(0, 0, 0), v_threshold: h5vec(...vth) }),
        out: nirNode('Output', { shape: h5ints(3) }),
      },
      [['in', 'w'], ['w', 'lif'], ['lif', 'out']],
    );
    const frames = INPUT.slice(0, 600);
    const graph = await readNirFile(path, { steps: frames.length });
    const lif = graph.nodes.find((n) => n.op === 'if')!;
    expect(graph.consts.get((lif.attrs.leak as { const: string }).const)!.data.length).toBe(3);
    const v = [0, 0, 0];
    const ref: number[][] = [[], [], []];
    frames.forEach((x, t) => {
      for (let i = 0; i < 3; i++) {
        v[i] += (NIR_DEFAULT_DT / tau[i]) * (-v[i] + W[i] * x);
        if (v[i] > vth[i]) {
          v[i] = 0;
          ref[i].push(t + 1);
        }
      }
    });
    const e = new Engine(graph, floatSemantics);
    const got: number[][] = [[], [], []];
    e.begin();
    frames.forEach((x, t) => {
      e.loadInput([x]);
      e.step(t + 1);
      e.read('lif').forEach((z, i) => z !== 0 && got[i].push(t + 1));
    });
    expect(got).toEqual(ref);
    expect(new Set(ref.map((r) => r.length)).size).toBe(3); // three different rates
    const fixed = toFixed(graph, cTarget(), { inputScale: 1, weightBits: 16 });
    const dir = mkdtempSync(join(tmpdir(), 'snnc-tau-c-'));
    writeProgram(dir, [{ prefix: 'tau', graph: fixed }]);
    const r = verifyProgram(fixed, await buildProgram(dir, ['tau'], [...WARNINGS, '-O2']), dir, { count: 1, size: frames.length, data: Int32Array.from(frames) });
    expect(r.first).toBeUndefined();
    expect(r.bitExact).toBe(true);
    // the core holds a leak multiplier per neuron too (image version 4)
    const core = targetByName('core:generic');
    const onCore = toFixed(graph, core.desc(), { inputScale: 1 });
    const image = decodeImage(core.emit(onCore, 'm').find((f) => f.path === IMAGE_FILE)!.contents as Uint8Array);
    expect(image.units.find((u) => u.kind === 0)!.leakMulCount).toBe(3);
    const rc = verifyCore(onCore, new CoreSimulator(image), { count: 1, size: frames.length, data: Int32Array.from(frames) });
    expect(rc.first).toBeUndefined();
    expect(rc.bitExact).toBe(true);
    const back = importNir(nirGraphOf(await readHdf5(await writeHdf5(exportNir(graph, { dt: NIR_DEFAULT_DT })), 'tau'), 'tau'), { dt: NIR_DEFAULT_DT, name: 'x' });
    expect(printGraph(back, { sidecar: 'w.bin' }).text).toBe(printGraph(graph, { sidecar: 'w.bin' }).text);
  });
});

describe('Threshold: a neuron without memory', () => {
  it('spikes exactly where W x > θ at that step; C is bit-exact', async () => {
    const W = [0.7, 0.3, 0.5, 0.5];
    const path = await nirFile(
      {
        in: nirNode('Input', { shape: h5ints(2) }),
        w: nirNode('Linear', { weight: h5matrix([2, 2], W) }),
        th: nirNode('Threshold', { threshold: h5vec(0.5, 0.5) }),
        out: nirNode('Output', { shape: h5ints(2) }),
      },
      [['in', 'w'], ['w', 'th'], ['th', 'out']],
    );
    const frames = Array.from({ length: 16 }, (_, t) => [t & 1, (t >> 1) & 1]);
    const graph = await readNirFile(path, { steps: frames.length });
    const e = new Engine(graph, floatSemantics);
    e.begin();
    frames.forEach((x, t) => {
      e.loadInput(x);
      e.step(t + 1);
      // 0.7 + 0.3 = 1 > 0.5; 0.7 > 0.5; 0.3 ≤ 0.5 — and 0.5 + 0.5 = 1 > 0.5, but 0.5 alone is not (strict)
      const want = [W[0] * x[0] + W[1] * x[1] > 0.5 ? 1 : 0, W[2] * x[0] + W[3] * x[1] > 0.5 ? 1 : 0];
      expect(Array.from(e.read('th')).map((z) => (z !== 0 ? 1 : 0))).toEqual(want);
    });
    const fixed = toFixed(graph, cTarget(), { inputScale: 1, weightBits: 12 });
    const dir = mkdtempSync(join(tmpdir(), 'snnc-th-c-'));
    writeProgram(dir, [{ prefix: 'th', graph: fixed }]);
    const data = Int32Array.from(frames.flat());
    expect(verifyProgram(fixed, await buildProgram(dir, ['th'], [...WARNINGS, '-O2']), dir, { count: 1, size: data.length, data }).bitExact).toBe(true);
    // and the integer network keeps the strict comparison at the tie
    const it = new FixedInterpreter(fixed);
    const ties: number[] = [];
    it.run(data, 0, () => ties.push(it.engine.read('th')[1]));
    expect(ties).toEqual(frames.map((x) => (W[2] * x[0] + W[3] * x[1] > 0.5 ? 1 : 0)));
  });
});

describe('Conv1d over a sequence [C, L]', () => {
  it('imports as a conv2d over [C, 1, L]; float spikes follow the NIR equations; C is bit-exact', async () => {
    const [C, L, Co, K] = [2, 12, 3, 3];
    const w = Array.from({ length: Co * C * K }, (_, i) => ((i * 7) % 5) / 4 - 0.4);
    const vth = 0.9;
    const path = await nirFile(
      {
        in: nirNode('Input', { shape: h5ints(C, L) }),
        conv: nirNode('Conv1d', { weight: h5matrix([Co, C, K], w), bias: h5vec(0.1, 0, -0.1), stride: h5ints(1), padding: h5ints(1), dilation: h5ints(1), groups: { kind: 'ints', shape: [], data: [1] }, input_shape: h5ints(L) }),
        n: nirNode('IF', { r: h5matrix([Co, L], new Array(Co * L).fill(1 / NIR_DEFAULT_DT)), v_threshold: h5matrix([Co, L], new Array(Co * L).fill(vth)) }),
        f: nirNode('Flatten', { start_dim: { kind: 'ints', shape: [], data: [0] }, end_dim: { kind: 'ints', shape: [], data: [-1] }, input_type: h5ints(Co, L) }),
        fc: nirNode('Linear', { weight: h5matrix([2, Co * L], Array.from({ length: 2 * Co * L }, (_, i) => (i % 7) / 7 - 0.3)) }),
        i: nirNode('I', { r: h5vec(1 / NIR_DEFAULT_DT, 1 / NIR_DEFAULT_DT) }),
        out: nirNode('Output', { shape: h5ints(2) }),
      },
      [['in', 'conv'], ['conv', 'n'], ['n', 'f'], ['f', 'fc'], ['fc', 'i'], ['i', 'out']],
    );
    const frames = Array.from({ length: 10 }, (_, t) => Array.from({ length: C * L }, (_, i) => ((i + t) % 3 === 0 ? 1 : 0)));
    const graph = await readNirFile(path, { steps: frames.length });
    expect(graph.nodes.find((n) => n.op === 'conv2d')!.type.shape).toEqual([-1, Co, 1, L]);
    // reference: v += dt·r·(conv1d(x) + b) = conv1d(x) + b; z = v > v_th; reset to 0
    const v = new Float64Array(Co * L);
    const ref: number[][] = [];
    for (const x of frames) {
      const z: number[] = [];
      for (let o = 0; o < Co; o++) {
        for (let j = 0; j < L; j++) {
          let a = [0.1, 0, -0.1][o];
          for (let c = 0; c < C; c++) for (let k = 0; k < K; k++) {
            const q = j + k - 1;
            if (q >= 0 && q < L) a += w[(o * C + c) * K + k] * x[c * L + q];
          }
          v[o * L + j] += a;
          z.push(v[o * L + j] > vth ? 1 : 0);
          if (v[o * L + j] > vth) v[o * L + j] = 0;
        }
      }
      ref.push(z);
    }
    const e = new Engine(graph, floatSemantics);
    e.begin();
    const got = frames.map((x, t) => {
      e.loadInput(x);
      e.step(t + 1);
      return Array.from(e.read('n'));
    });
    expect(got).toEqual(ref);
    const data = Int32Array.from(frames.flat());
    const fixed = toFixed(graph, cTarget(), { inputScale: 1, weightBits: 12 });
    const dir = mkdtempSync(join(tmpdir(), 'snnc-conv1d-c-'));
    writeProgram(dir, [{ prefix: 'c1', graph: fixed }]);
    const r = verifyProgram(fixed, await buildProgram(dir, ['c1'], [...WARNINGS, '-O2']), dir, { count: 1, size: data.length, data });
    expect(r.first).toBeUndefined();
    expect(r.bitExact).toBe(true);
  });
});

describe('snnc -> NIR -> snnc', () => {
  const models = ['fmnist-mlp', 'fmnist-resnet', 'fmnist-dwsep', 'fmnist-vgg-maxpool'];
  const snns = new Map<string, Graph>();
  beforeAll(async () => {
    for (const m of models) {
      const ann = prepareAnn(importOnnxFile(modelPath(m)));
      const stats = await calibrate(ann, loadImages(CALIB_IMAGES, ann.nodes[0].type, 1 / 255, 32), 2);
      snns.set(m, toSnn(ann, stats, { ...PRESETS['chp99.9-subtract-half'], vinit: 0, maxpool: 'avg' }, 8));
    }
  }, 300_000);

  for (const m of models) {
    it(`${m}: the re-imported graph is the same text and weights`, async () => {
      const g = snns.get(m)!;
      const bytes = await writeHdf5(exportNir(g, { dt: NIR_DEFAULT_DT }));
      const back = importNir(nirGraphOf(await readHdf5(bytes, m), m), { dt: NIR_DEFAULT_DT, name: 'other' });
      const a = printGraph(g, { sidecar: 'w.bin' });
      const b = printGraph(back, { sidecar: 'w.bin' });
      expect(b.text).toBe(a.text);
      expect(Buffer.compare(Buffer.from(b.sidecar!), Buffer.from(a.sidecar!))).toBe(0);
    });
  }

  it('writes the layout NIR\'s reference reader reads (nir/serialization.py read_node)', async () => {
    const tree = await readHdf5(await writeHdf5(exportNir(snns.get('fmnist-resnet')!, { dt: NIR_DEFAULT_DT })), 'resnet');
    const str = (g: H5Group, k: string): string => {
      const d = g.children.get(k)!;
      expect(d.kind).toBe('dataset');
      return (d as { data: readonly string[] }).data[0];
    };
    expect(str(tree, 'version')).toMatch(/^\d+\.\d+\.\d+$/);
    const node = tree.children.get('node') as H5Group;
    expect(str(node, 'type')).toBe('NIRGraph');
    const nodes = node.children.get('nodes') as H5Group;
    const types = new Set<string>();
    for (const [name, n] of nodes.children) {
      const g = n as H5Group;
      const type = str(g, 'type');
      types.add(type);
      expect(Object.keys(NIR_PARAMS), name).toContain(type);
      for (const p of NIR_PARAMS[type]) expect(g.children.get(p)?.kind, `${name}.${p}`).toBe('dataset');
      if (type === 'IF') for (const p of ['r', 'v_threshold', 'v_reset']) expect((g.children.get(p) as unknown as { shape: number[] }).shape).toEqual((g.children.get('r') as unknown as { shape: number[] }).shape);
    }
    expect([...types].sort()).toEqual(['Affine', 'AvgPool2d', 'Conv2d', 'Flatten', 'I', 'IF', 'Input', 'Output', 'Scale']);
    const edges = node.children.get('edges') as unknown as { shape: number[]; data: readonly string[] };
    expect(edges.shape[1]).toBe(2);
    for (const e of edges.data) expect(nodes.children.has(e)).toBe(true);
  });
});

describe('NIR errors', () => {
  const io = h5ints(2);
  const lif = nirNode('LIF', { tau: h5vec(0.01, 0.01), r: h5vec(1, 1), v_leak: h5vec(0, 0), v_threshold: h5vec(1, 1) });
  const lin = nirNode('Linear', { weight: { kind: 'floats', shape: [2, 2], data: [1, 0, 0, 1] } });

  const cases: [string, () => Promise<string>, string][] = [
    ['bytes that are not HDF5', async () => {
      const p = join(mkdtempSync(join(tmpdir(), 'snnc-nir-bad-')), 'g.nir');
      writeFileSync(p, 'this is not an HDF5 file');
      return p;
    }, 'SNN0321'],
    ['an output that is a feature map', () => nirFile({ in: nirNode('Input', { shape: { kind: 'ints', shape: [3], data: [1, 4, 4] } }), c: nirNode('Conv2d', { weight: { kind: 'floats', shape: [2, 1, 1, 1], data: [1, 1] }, bias: h5vec(0, 0), stride: { kind: 'ints', shape: [2], data: [1, 1] }, padding: { kind: 'ints', shape: [2], data: [0, 0] }, dilation: { kind: 'ints', shape: [2], data: [1, 1] }, groups: { kind: 'ints', shape: [], data: [1] } }), n: nirNode('IF', { r: { kind: 'floats', shape: [2, 4, 4], data: new Array(32).fill(1e4) }, v_threshold: { kind: 'floats', shape: [2, 4, 4], data: new Array(32).fill(1) } }), out: nirNode('Output', { shape: { kind: 'ints', shape: [3], data: [2, 4, 4] } }) }, [['in', 'c'], ['c', 'n'], ['n', 'out']]), 'SNN0324'],
    ['a nested graph', () => nirFile({ in: nirNode('Input', { shape: io }), sub: nirNode('NIRGraph', {}), out: nirNode('Output', { shape: io }) }, [['in', 'sub'], ['sub', 'out']]), 'SNN0322'],
    ['a Delay that is not a whole number of steps', () => nirFile({ in: nirNode('Input', { shape: io }), d: nirNode('Delay', { delay: h5vec(1.5e-4, 1.5e-4) }), out: nirNode('Output', { shape: io }) }, [['in', 'd'], ['d', 'out']]), 'SNN0324'],
    ['an unknown primitive', () => nirFile({ in: nirNode('Input', { shape: io }), x: nirNode('Dropout', {}), out: nirNode('Output', { shape: io }) }, [['in', 'x'], ['x', 'out']]), 'SNN0322'],
    ['an edge whose ends disagree in shape', () => nirFile({ in: nirNode('Input', { shape: { kind: 'ints', shape: [1], data: [3] } }), l: lin, n: lif, out: nirNode('Output', { shape: io }) }, [['in', 'l'], ['l', 'n'], ['n', 'out']]), 'SNN0323'],
    ['an edge to a missing node', () => nirFile({ in: nirNode('Input', { shape: io }), out: nirNode('Output', { shape: io }) }, [['in', 'nowhere']]), 'SNN0323'],
    ['a cycle without a neuron (an instantaneous loop)', () => nirFile({ in: nirNode('Input', { shape: io }), l: lin, n: lif, r: nirNode('Linear', { weight: { kind: 'floats', shape: [2, 2], data: [0, 1, 1, 0] } }), out: nirNode('Output', { shape: io }) }, [['in', 'l'], ['l', 'r'], ['r', 'l'], ['l', 'n'], ['n', 'out']]), 'SNN0324'],
    ['a synaptic time constant that varies per neuron', () => nirFile({ in: nirNode('Input', { shape: io }), l: lin, n: nirNode('CubaLIF', { tau_syn: h5vec(0.01, 0.02), tau_mem: h5vec(0.01, 0.01), r: h5vec(1, 1), v_leak: h5vec(0, 0), v_threshold: h5vec(1, 1) }), out: nirNode('Output', { shape: io }) }, [['in', 'l'], ['l', 'n'], ['n', 'out']]), 'SNN0324'],
  ];
  for (const [what, make, code] of cases) {
    it(`${what}: ${code}`, async () => {
      const path = await make();
      await expect(readNirFile(path, { steps: 4 })).rejects.toMatchObject({ code });
    });
  }

  it('an IF whose R looks per-step imports with a warning naming --dt (SNN0326); R = 1/dt does not warn', async () => {
    const ifWith = (r: number): Promise<string> =>
      nirFile({ in: nirNode('Input', { shape: io }), l: lin, n: nirNode('IF', { r: h5vec(r, r), v_threshold: h5vec(1, 1) }), out: nirNode('Output', { shape: io }) }, [['in', 'l'], ['l', 'n'], ['n', 'out']]);
    const warnings: string[] = [];
    await readNirFile(await ifWith(1), { steps: 4, onWarning: (code, m) => warnings.push(`${code} ${m}`) });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/SNN0326 .*--dt 1/);
    await readNirFile(await ifWith(1 / NIR_DEFAULT_DT), { steps: 4, onWarning: (code, m) => warnings.push(`${code} ${m}`) });
    expect(warnings).toHaveLength(1);
  });

  it('snnc compile of a bad NIR file exits with the code and writes nothing', async () => {
    const path = await cases.find(([what]) => what.startsWith('a cycle'))![1]();
    const out = join(mkdtempSync(join(tmpdir(), 'snnc-nir-out-')), 'out');
    const r = snnc(['compile', path, '-T', '4', '-o', out]);
    expect(r.stderr).toContain('SNN0324');
    expect(r.stderr).toContain('cycle');
    expect(r.code).not.toBe(0);
    expect(existsSync(out)).toBe(false);
  });

  it('export refuses what NIR cannot say (an initial membrane), naming it, and writes nothing', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'snnc-nir-exp-')), 'm.nir');
    const r = snnc(['export-nir', modelPath('fmnist-mlp'), '--calib', CALIB_IMAGES, '--input-scale', '1/255', '--calib-limit', '16', '-T', '4', '-o', out]);
    expect(r.stderr).toContain('SNN0325');
    expect(r.stderr).toContain('initial membrane');
    expect(existsSync(out)).toBe(false);
  });
});
