/**
 * The executors of a compiled folder behind one interface: the reference interpreter, the core
 * simulator (on the memory image) and the emitted C (built with the system compiler). `verify`
 * compares each with the interpreter; `simulate` runs one. What each needs from the folder (the
 * image, the C sources) is known here and nowhere else.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SnncError } from '../ir/diagnostics.js';
import { FixedInterpreter, type OverflowReport } from '../ir/interp-fixed.js';
import { cProgramSources } from '../targets/c/index.js';
import { CycleTally, IMAGE_FILE, runSample, type CoreTiming } from '../targets/core/index.js';
import type { CompiledFolder, ExecutorName } from './compiled-folder.js';
import type { IntSamples } from './data/integer.js';
import { buildProgram, DEFAULT_CFLAGS, encodeSamples, parseOutput, runProgram, verifyProgram, type Mismatch } from './verify-c.js';
import { loadImageFile, verifyCore } from './verify-core.js';

export interface ExecutorOptions {
  readonly cc: string;
  readonly cflags: readonly string[];
}

export interface Verification {
  readonly bitExact: boolean;
  readonly mismatches: number;
  readonly firstMismatch?: Mismatch;
  /** The interpreter's readout sums, [samples x outputs]. */
  readonly outputs: Float64Array;
  /** The interpreter's saturation / wrap counts per unit. */
  readonly overflow: OverflowReport[];
  readonly seconds: number;
  readonly timing?: CoreTiming;
}

export interface Run {
  readonly outputs: Float64Array;
  /** This executor's own saturation / wrap counts per population and readout, over all samples. */
  readonly overflow: OverflowReport[];
  readonly timing?: CoreTiming;
}

/** Counts [acc, v] per unit, in the order all three executors keep their units, named by the interpreter's ids. */
function named(folder: CompiledFolder, counts: readonly (readonly [number, number])[]): OverflowReport[] {
  const ids = new FixedInterpreter(folder.fixed).overflow().map((u) => u.id);
  const reported = ids.filter((_, k) => counts[k] !== undefined).length;
  if (counts.length !== ids.length || reported !== ids.length) throw new SnncError('SNN0602', `the executor reported overflow counts for ${reported} units, the network has ${ids.length}`);
  return ids.map((id, k) => ({ id, acc: counts[k][0], v: counts[k][1] }));
}

export interface Executor {
  readonly name: ExecutorName;
  readonly label: string;
  verify(folder: CompiledFolder, samples: IntSamples, o: ExecutorOptions, onSample: () => void): Verification;
  run(folder: CompiledFolder, samples: IntSamples, o: ExecutorOptions, onSample: () => void): Run;
}

/**
 * The folder's C sources copied to a scratch folder and built there (the output folder stays as
 * written); `use` runs the program, and the scratch folder is removed however it ends.
 */
function withCBuild<R>(folder: CompiledFolder, o: ExecutorOptions, use: (exe: string, work: string) => R): R {
  const work = mkdtempSync(join(tmpdir(), 'snnc-c-'));
  try {
    for (const f of cProgramSources(folder.prefix)) {
      let text: Buffer;
      try {
        text = readFileSync(join(folder.dir, f));
      } catch {
        throw new SnncError('SNN0408', `${folder.dir}/${f} is missing`);
      }
      writeFileSync(join(work, f), text);
    }
    return use(buildProgram(work, [folder.prefix], { cc: o.cc, cflags: o.cflags }), work);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const interp: Executor = {
  name: 'interp',
  label: 'interpreter',
  verify: () => {
    throw new Error('internal: the interpreter is the reference');
  },
  run(folder, samples, _o, onSample) {
    const it = new FixedInterpreter(folder.fixed);
    const size = it.engine.plan.outputs[0].size;
    const outputs = new Float64Array(samples.count * size);
    for (let s = 0; s < samples.count; s++) {
      outputs.set(it.run(samples.data, s * samples.size), s * size);
      onSample();
    }
    return { outputs, overflow: it.overflow() };
  },
};

const core: Executor = {
  name: 'core',
  label: 'core simulator',
  verify(folder, samples, _o, onSample) {
    const r = verifyCore(folder.fixed, loadImageFile(join(folder.dir, IMAGE_FILE)), samples, onSample);
    return { bitExact: r.bitExact, mismatches: r.mismatches, ...(r.first ? { firstMismatch: r.first } : {}), outputs: r.outputs, overflow: r.overflow, seconds: r.seconds, timing: r.timing };
  },
  run(folder, samples, _o, onSample) {
    const sim = loadImageFile(join(folder.dir, IMAGE_FILE));
    const size = sim.output().length;
    const tally = new CycleTally();
    const outputs = new Float64Array(samples.count * size);
    for (let s = 0; s < samples.count; s++) {
      outputs.set(runSample(sim, tally, samples.data, s * samples.size), s * size);
      onSample();
    }
    return { outputs, overflow: named(folder, sim.overflow()), timing: tally.summary(sim) };
  },
};

const c: Executor = {
  name: 'c',
  label: 'C',
  verify(folder, samples, o, onSample) {
    return withCBuild(folder, o, (exe, work) => {
      const r = verifyProgram(folder.fixed, exe, work, samples, 0, onSample);
      return { bitExact: r.bitExact, mismatches: r.mismatches, ...(r.first ? { firstMismatch: r.first } : {}), outputs: r.outputs, overflow: r.overflow, seconds: r.seconds.c };
    });
  },
  run(folder, samples, o, onSample) {
    return withCBuild(folder, o, (exe, work) => {
      writeFileSync(join(work, 'inputs.bin'), encodeSamples(samples));
      const printed = parseOutput(runProgram(exe, ['--input', join(work, 'inputs.bin')]));
      if (printed.outputs.size !== samples.count) throw new SnncError('SNN0602', `the C program printed ${printed.outputs.size} outputs for ${samples.count} samples`);
      const rows = Array.from({ length: samples.count }, (_, s) => printed.outputs.get(s) ?? []);
      for (let s = 0; s < samples.count; s++) onSample();
      return { outputs: Float64Array.from(rows.flat()), overflow: named(folder, printed.overflow) };
    });
  },
};

export const EXECUTOR_TABLE: Readonly<Record<ExecutorName, Executor>> = { interp, core, c };

export function defaultExecutorOptions(cc?: string, cflags?: string): ExecutorOptions {
  return { cc: cc ?? process.env.CC ?? 'cc', cflags: cflags ? cflags.split(/\s+/).filter(Boolean) : DEFAULT_CFLAGS };
}

/** One line on the core's cycles and latency. */
export function formatTiming(t: CoreTiming): string {
  return `core: ${t.cores} cores, ${t.cyclesPerStep.toFixed(0)} cycles per step (${t.packetsPerStep.toFixed(0)} packets, ${t.synopsPerStep.toFixed(0)} synaptic ops), load ${t.loadCycles.toFixed(0)} cycles; ${t.cyclesPerInference.toFixed(0)} cycles = ${(t.secondsPerInference * 1e3).toFixed(3)} ms per inference at ${(t.clockHz / 1e6).toFixed(0)} MHz; bottleneck core ${t.bottleneckCore}, deepest queue ${t.maxQueue}, ${t.stallCycles.toFixed(0)} stall cycles per inference`;
}
