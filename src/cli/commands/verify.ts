/**
 * `snnc verify OUT/ --data X.npy [--labels Y.npy] -n 100 [--executors core,c]`: run every
 * available executor (the emitted C, built with the system compiler; the core simulator on the
 * memory image) against the reference interpreter on the same samples, comparing every
 * population's spikes and membranes at every step, the readout sums and the overflow counters;
 * report the integer and float-SNN accuracy and, for the core, cycles and latency.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { SnncError } from '../../../ir/diagnostics.js';
import { IMAGE_FILE } from '../../../targets/core/index.js';
import { readCompiledFolder, parseExecutors, type ExecutorName } from '../../compiled-folder.js';
import { accuracy, argmaxRows, inputSpec, loadImages, loadLabels, valueRange } from '../../data/dataset.js';
import { integerSamples } from '../../data/integer.js';
import { simulateFloat } from '../../exec/run-snn.js';
import { buildProgram, DEFAULT_CFLAGS, verifyProgram, type Mismatch } from '../../verify-c.js';
import { loadImageFile, verifyCore, type CoreTiming } from '../../verify-core.js';
import { EXIT, printJson, runCommand } from '../common.js';
import { Progress } from '../progress.js';
import { checkScaleUsed, dataOptions, scaleOf, warnIfRangesDiffer } from '../options.js';

interface ExecutorResult {
  bitExact: boolean;
  mismatches: number;
  firstMismatch?: Mismatch;
  seconds: number;
  timing?: CoreTiming;
}

export function verifyCommand(y: Argv): Argv {
  return y.command(
    'verify <dir>',
    'check that every executor (C, core simulator) agrees with the reference interpreter bit for bit',
    (a) =>
      dataOptions(
        a
          .positional('dir', { type: 'string', demandOption: true, describe: 'a folder written by snnc compile' })
          .option('data', { type: 'string', demandOption: true, describe: 'samples .npy' })
          .option('labels', { type: 'string', describe: 'labels .npy, for accuracy' })
          .option('n', { type: 'number', default: 100, describe: 'number of samples' })
          .option('executors', { type: 'string', describe: 'executors to compare with the interpreter (default: every one the folder has: core, c)' })
          .option('cc', { type: 'string', default: process.env.CC ?? 'cc', describe: 'C compiler' })
          .option('cflags', { type: 'string', describe: `compiler flags (default: ${DEFAULT_CFLAGS.join(' ')})` })
          .option('json', { type: 'boolean', default: false }),
      ),
    (args) =>
      runCommand(async () => {
        const dir = String(args.dir);
        const folder = readCompiledFolder(dir);
        const executors = (args.executors ? parseExecutors(String(args.executors), folder) : folder.available).filter((e): e is Exclude<ExecutorName, 'interp'> => e !== 'interp');
        if (executors.length === 0) throw new SnncError('SNN0407', `${dir} has no executor to compare with the interpreter`);
        const { fixed, float } = folder;
        const images = loadImages(String(args.data), inputSpec(fixed), scaleOf(args), Number(args.n));
        checkScaleUsed(args, [{ path: String(args.data), images }]);
        if (folder.calibrationRange) warnIfRangesDiffer(folder.calibrationRange, valueRange(images), 'the calibration data', String(args.data));
        const samples = integerSamples(fixed, images);
        const results: Partial<Record<ExecutorName, ExecutorResult>> = {};
        let outputs: Float64Array | undefined;
        let overflow: { id: string; acc: number; v: number }[] = [];
        let build = 0;
        for (const ex of executors) {
          const bar = new Progress(`verify ${ex}`, samples.count);
          if (ex === 'c') {
            const cflags = args.cflags ? String(args.cflags).split(/\s+/).filter(Boolean) : DEFAULT_CFLAGS;
            const work = mkdtempSync(join(tmpdir(), 'snnc-verify-'));
            const t0 = performance.now();
            const exe = buildProgramIn(dir, work, folder.prefix, String(args.cc), cflags);
            build = (performance.now() - t0) / 1000;
            const r = verifyProgram(fixed, exe, work, samples, 0, () => bar.tick());
            results.c = { bitExact: r.bitExact, mismatches: r.mismatches, ...(r.first ? { firstMismatch: r.first } : {}), seconds: r.seconds.c };
            outputs = r.outputs;
            overflow = r.overflow;
          } else {
            const r = verifyCore(fixed, loadImageFile(join(dir, IMAGE_FILE)), samples, () => bar.tick());
            results.core = { bitExact: r.bitExact, mismatches: r.mismatches, ...(r.first ? { firstMismatch: r.first } : {}), seconds: r.seconds, timing: r.timing };
            outputs ??= r.outputs;
          }
          bar.finish();
        }
        const all = Object.values(results);
        const bitExact = all.every((r) => r.bitExact);
        const first = all.find((r) => r.firstMismatch)?.firstMismatch;
        let acc: { fixed: number | null; float: number | null } = { fixed: null, float: null };
        if (args.labels && outputs) {
          const labels = loadLabels(String(args.labels), samples.count);
          const classes = outputs.length / samples.count;
          const fl = await simulateFloat(float, images, [float.steps!], args.threads as number);
          acc = { fixed: accuracy(argmaxRows(outputs, samples.count, classes), labels), float: accuracy(fl.predictions[0], labels) };
        }
        const result = { bitExact, samples: samples.count, mismatches: Math.max(0, ...all.map((r) => r.mismatches)), ...(first ? { firstMismatch: first } : {}), accuracy: acc, overflow, executors: results, seconds: { build } };
        if (args.json) printJson(result);
        else {
          const lines: string[] = [];
          for (const [name, r] of Object.entries(results)) {
            lines.push(r.bitExact ? `bit-exact: ${name === 'c' ? 'C' : 'core simulator'} and interpreter agree on ${samples.count} samples x ${fixed.steps} steps (spikes and membranes of every population)` : `MISMATCH (${name}) on ${r.mismatches} of ${samples.count} samples`);
            const f = r.firstMismatch;
            if (f) lines.push(`first difference (${name}): sample ${f.sample}, step ${f.step}, %${f.population}, neuron ${f.neuron} (NCHW), ${f.field}: ${name} ${f.c}, interpreter ${f.interpreter}`);
            if (r.timing) lines.push(formatTiming(r.timing));
          }
          if (acc.fixed !== null) lines.push(`accuracy: integer ${(acc.fixed * 100).toFixed(2)} %, float SNN ${(acc.float! * 100).toFixed(2)} %`);
          const sat = overflow.filter((u) => u.acc || u.v);
          if (results.c) lines.push(sat.length ? `overflow: ${sat.map((u) => `%${u.id} acc ${u.acc} v ${u.v}`).join(', ')}` : 'overflow: none');
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        if (!bitExact) process.exitCode = EXIT.mismatch;
      }),
  );
}

export function formatTiming(t: CoreTiming): string {
  return `core: ${t.cores} cores, ${t.cyclesPerStep.toFixed(0)} cycles per step (${t.packetsPerStep.toFixed(0)} packets, ${t.synopsPerStep.toFixed(0)} synaptic ops), load ${t.loadCycles.toFixed(0)} cycles; ${t.cyclesPerInference.toFixed(0)} cycles = ${(t.secondsPerInference * 1e3).toFixed(3)} ms per inference at ${(t.clockHz / 1e6).toFixed(0)} MHz; bottleneck core ${t.bottleneckCore}, deepest queue ${t.maxQueue}, ${t.stallCycles.toFixed(0)} stall cycles per inference`;
}

function buildProgramIn(dir: string, work: string, prefix: string, cc: string, cflags: readonly string[]): string {
  // Build from the compiled folder's sources into a scratch folder (the output folder stays as written).
  const files = [`${prefix}.c`, `${prefix}.h`, 'models.c', 'snnc_host.c', 'snnc_fixed.h', 'snnc_model.h'];
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(join(dir, f), 'utf8');
    } catch {
      throw new SnncError('SNN0408', `${dir}/${f} is missing`);
    }
    writeFileSync(join(work, f), text);
  }
  return buildProgram(work, [prefix], { cc, cflags });
}
