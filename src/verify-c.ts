/**
 * Bit-exact verification of a C build against the reference interpreter.
 *
 * Both executors run the same integer samples. After every step, every population's spikes and
 * membranes are reduced to two word-wise FNV-1a 32 digests (of the indices of the neurons that
 * spiked, and of every membrane, in storage order); the readout sums and the overflow counters
 * are compared at the end. On the first disagreeing sample both sides dump the full trace of that sample and
 * the first differing (step, population, neuron) is reported with both values.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SnncError } from '../ir/diagnostics.js';
import { FixedInterpreter, membraneOf } from '../ir/interp-fixed.js';
import type { Graph } from '../ir/types.js';
import type { Values } from '../ir/engine/plan.js';

import type { IntSamples } from './data/integer.js';
export type { IntSamples };

export interface Mismatch {
  readonly sample: number;
  readonly step: number;
  readonly population: string;
  /** NCHW index of the neuron. */
  readonly neuron: number;
  readonly field: 'spike' | 'membrane' | 'output' | 'overflow';
  readonly c: number;
  readonly interpreter: number;
}

/** How an executor compared with the reference interpreter (the C here, the core simulator in verify-core.ts). */
export interface Agreement {
  readonly bitExact: boolean;
  readonly samples: number;
  /** Samples on which any digest, output or counter differs. */
  readonly mismatches: number;
  readonly first?: Mismatch;
  /** Interpreter readout sums, [count x outputs]. */
  readonly outputs: Float64Array;
  /** The interpreter's saturation / wrap counts per unit (the executor's are compared with them). */
  readonly overflow: { id: string; acc: number; v: number }[];
}

export interface VerifyResult extends Agreement {
  readonly seconds: { readonly build: number; readonly c: number; readonly interpreter: number };
}

export interface BuildOptions {
  readonly cc: string;
  readonly cflags: readonly string[];
}

export const DEFAULT_CFLAGS = ['-std=c99', '-O2', '-Wall', '-Wextra', '-Werror'];

/** Word-wise FNV-1a 32 (the host program's digest). */
export function fnvWord(h: number, w: number): number {
  return Math.imul((h ^ w) >>> 0, 16777619) >>> 0;
}

export function encodeSamples(s: IntSamples): Uint8Array {
  const buf = Buffer.alloc(12 + s.data.length * 4);
  buf.write('SNNI', 0, 'latin1');
  buf.writeInt32LE(s.count, 4);
  buf.writeInt32LE(s.size, 8);
  for (let i = 0; i < s.data.length; i++) buf.writeInt32LE(s.data[i], 12 + 4 * i);
  return buf;
}

/** Compile the program in `dir` (sources written by the C target) to `dir/model`. */
export function buildProgram(dir: string, prefixes: readonly string[], o: BuildOptions): string {
  const exe = join(dir, 'model');
  const r = spawnSync(o.cc, [...o.cflags, '-o', exe, ...prefixes.map((p) => `${p}.c`), 'models.c', 'snnc_host.c'], { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.error) throw new SnncError('SNN0602', `cannot run the C compiler '${o.cc}': ${r.error.message}`);
  if (r.status !== 0) throw new SnncError('SNN0602', `C compilation failed (${o.cc} ${o.cflags.join(' ')}):\n${r.stderr.trim().split('\n').slice(0, 12).join('\n')}`);
  return exe;
}

export function runProgram(exe: string, args: readonly string[]): string {
  const r = spawnSync(exe, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.error) throw new SnncError('SNN0602', `cannot run ${exe}: ${r.error.message}`);
  if (r.status !== 0) throw new SnncError('SNN0602', `${exe} exited with status ${r.status}${r.signal ? ` (signal ${r.signal})` : ''}: ${r.stderr.trim().split('\n').slice(0, 8).join(' | ')}`);
  return r.stdout;
}

/** Per population after a step: spikes and membranes in NCHW order (for traces). */
type Snapshot = { spikes: Int32Array; v: Int32Array }[];

function populationState(interp: FixedInterpreter): { id: string; spikes: Values; v: Float64Array; buf: { C: number; H: number; W: number } }[] {
  const e = interp.engine;
  return e.units().flatMap(({ id, unit }) => {
    if (!e.populations.some((p) => p.id === id)) return [];
    const buf = e.plan.bufs.get(id)!;
    return [{ id, spikes: buf.store.data, v: membraneOf(unit)!, buf }];
  });
}

function snapshot(interp: FixedInterpreter): Snapshot {
  return populationState(interp).map(({ spikes, v, buf }) => {
    const HW = buf.H * buf.W;
    const s = new Int32Array(spikes.length);
    const m = new Int32Array(v.length);
    for (let c = 0; c < buf.C; c++) {
      for (let q = 0; q < HW; q++) {
        s[c * HW + q] = spikes[q * buf.C + c];
        m[c * HW + q] = v[q * buf.C + c];
      }
    }
    return { spikes: s, v: m };
  });
}

/** The host program's digests of one population: spiking indices and membranes, storage order. */
function digest(spikes: Values, v: Float64Array): [string, string] {
  let a = 2166136261;
  let b = 2166136261;
  for (let i = 0; i < v.length; i++) {
    if (spikes[i] !== 0) a = fnvWord(a, i);
    b = fnvWord(b, v[i] | 0);
  }
  return [a.toString(16).padStart(8, '0'), b.toString(16).padStart(8, '0')];
}

/** What the host program printed: step digests, readout sums per sample, overflow counts per unit. */
export interface COutput {
  digests: Map<string, [string, string]>;
  outputs: Map<number, number[]>;
  overflow: [number, number][];
}

export function parseOutput(text: string): COutput {
  const digests = new Map<string, [string, string]>();
  const outputs = new Map<number, number[]>();
  const overflow: [number, number][] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f[0] === 'd') digests.set(`${f[1]} ${f[2]} ${f[3]}`, [f[4], f[5]]);
    else if (f[0] === 'out') outputs.set(Number(f[1]), f.slice(2).map(Number));
    else if (f[0] === 'overflow') overflow[Number(f[1])] = [Number(f[2]), Number(f[3])];
  }
  return { digests, outputs, overflow };
}

function firstTraceDifference(exe: string, inputFile: string, graph: Graph, samples: IntSamples, sample: number, modelIndex: number): Mismatch | undefined {
  const text = runProgram(exe, ['--model', String(modelIndex), '--input', inputFile, '--trace', String(sample), '--quiet']);
  const cTrace = new Map<string, number[]>();
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f[0] === 's' || f[0] === 'v') cTrace.set(`${f[0]} ${f[1]} ${f[2]}`, f.slice(3).map(Number));
  }
  const interp = new FixedInterpreter(graph);
  const names = interp.engine.populations.map((p) => p.id);
  let found: Mismatch | undefined;
  interp.run(samples.data, sample * samples.size, (t) => {
    if (found) return;
    snapshot(interp).forEach((s, p) => {
      if (found) return;
      const cs = cTrace.get(`s ${t} ${p}`) ?? [];
      const cv = cTrace.get(`v ${t} ${p}`) ?? [];
      for (let i = 0; i < s.spikes.length; i++) {
        if (cs[i] !== s.spikes[i]) {
          found = { sample, step: t, population: names[p], neuron: i, field: 'spike', c: cs[i], interpreter: s.spikes[i] };
          return;
        }
        if (cv[i] !== s.v[i]) {
          found = { sample, step: t, population: names[p], neuron: i, field: 'membrane', c: cv[i], interpreter: s.v[i] };
          return;
        }
      }
    });
  });
  return found;
}

/** Run `exe` (model `modelIndex` of its table) and the interpreter on the samples and compare. */
export function verifyProgram(graph: Graph, exe: string, workDir: string, samples: IntSamples, modelIndex = 0, onSample?: () => void): VerifyResult {
  mkdirSync(workDir, { recursive: true });
  const inputFile = join(workDir, `inputs-${modelIndex}.bin`);
  writeFileSync(inputFile, encodeSamples(samples));
  const t0 = performance.now();
  const c = parseOutput(runProgram(exe, ['--model', String(modelIndex), '--input', inputFile, '--digest']));
  const tC = (performance.now() - t0) / 1000;
  const interp = new FixedInterpreter(graph);
  const outSize = interp.engine.plan.outputs[0].size;
  const outputs = new Float64Array(samples.count * outSize);
  let mismatches = 0;
  let firstSample = -1;
  let first: Mismatch | undefined;
  const t1 = performance.now();
  for (let s = 0; s < samples.count; s++) {
    let bad = false;
    const out = interp.run(samples.data, s * samples.size, (t) => {
      if (bad) return;
      populationState(interp).forEach((pop, p) => {
        const [hs, hv] = digest(pop.spikes, pop.v);
        const cd = c.digests.get(`${s} ${t} ${p}`);
        if (!cd || cd[0] !== hs || cd[1] !== hv) bad = true;
      });
    });
    outputs.set(out, s * outSize);
    const co = c.outputs.get(s) ?? [];
    for (let k = 0; k < outSize; k++) {
      if (co[k] !== out[k]) {
        if (!bad && !first) first = { sample: s, step: graph.steps!, population: graph.outputs[0], neuron: k, field: 'output', c: co[k], interpreter: out[k] };
        bad = true;
      }
    }
    if (bad) {
      mismatches++;
      if (firstSample < 0) firstSample = s;
    }
    onSample?.();
  }
  const tI = (performance.now() - t1) / 1000;
  const overflow = interp.overflow();
  overflow.forEach((u, i) => {
    const cu = c.overflow[i];
    if (!cu || cu[0] !== u.acc || cu[1] !== u.v) {
      if (!first && firstSample < 0) first = { sample: -1, step: -1, population: u.id, neuron: -1, field: 'overflow', c: cu ? cu[0] + cu[1] : -1, interpreter: u.acc + u.v };
      if (mismatches === 0) mismatches = 1;
    }
  });
  if (firstSample >= 0) first = firstTraceDifference(exe, inputFile, graph, samples, firstSample, modelIndex) ?? first;
  return { bitExact: mismatches === 0, samples: samples.count, mismatches, ...(first ? { first } : {}), outputs, overflow, seconds: { build: 0, c: tC, interpreter: tI } };
}
