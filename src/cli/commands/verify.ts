/**
 * `snnc verify OUT/ --data X.npy [--labels Y.npy] -n 100 [--executors core,c]`: run every
 * available executor of the folder (src/executors.ts) against the reference interpreter on the
 * same samples, comparing every population's spikes and membranes at every step, the readout
 * sums and the overflow counters; report the integer and float-SNN accuracy and, for the core,
 * cycles and latency.
 */
import type { Argv } from 'yargs';
import { SnncError } from '../../../ir/diagnostics.js';
import { parseExecutors, readCompiledFolder, type ExecutorName } from '../../compiled-folder.js';
import { accuracy, argmaxRows, inputSpec, loadImages, loadLabels, valueRange } from '../../data/dataset.js';
import { integerSamples } from '../../data/integer.js';
import { simulateFloat } from '../../exec/run-snn.js';
import { saturationEffect } from '../../exec/saturation-effect.js';
import { defaultExecutorOptions, EXECUTOR_TABLE, formatTiming, type Verification } from '../../executors.js';
import { DEFAULT_CFLAGS } from '../../verify-c.js';
import { EXIT, printJson, runCommand, stepsText, warnOverflow } from '../common.js';
import { countingBar, Progress } from '../progress.js';

import { checkScaleUsed, dataOptions, scaleOf, warnIfRangesDiffer } from '../options.js';

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
        const folder = await readCompiledFolder(dir);
        const names = (args.executors ? parseExecutors(String(args.executors), folder) : folder.available).filter((e): e is Exclude<ExecutorName, 'interp'> => e !== 'interp');
        if (names.length === 0) throw new SnncError('SNN0407', `${dir} has no executor to compare with the interpreter`);
        const { fixed, float } = folder;
        const images = loadImages(String(args.data), inputSpec(fixed), scaleOf(args), Number(args.n));
        checkScaleUsed(args, [{ path: String(args.data), images }]);
        if (folder.calibrationRange) warnIfRangesDiffer(folder.calibrationRange, valueRange(images), 'the calibration data', String(args.data));
        const samples = integerSamples(fixed, images);
        const options = defaultExecutorOptions(String(args.cc), args.cflags as string | undefined);
        const results: Partial<Record<ExecutorName, Verification>> = {};
        for (const name of names) {
          const bar = new Progress(`verify ${name}`, samples.count);
          results[name] = EXECUTOR_TABLE[name].verify(folder, samples, options, () => bar.tick());
          bar.finish();
        }
        const all = Object.values(results);
        const bitExact = all.every((r) => r.bitExact);
        const first = all.find((r) => r.firstMismatch)?.firstMismatch;
        const outputs = all[0].outputs;
        const overflow = all[0].overflow;
        const effect = await saturationEffect(fixed, samples, { checkpoints: [fixed.steps!], readouts: [outputs], overflow }, args.threads as number, () => countingBar('wide registers', samples.count));
        warnOverflow('the integer network', { overflow, samples: samples.count, effect });
        let acc: { fixed: number | null; float: number | null } = { fixed: null, float: null };
        if (args.labels) {
          const labels = loadLabels(String(args.labels), samples.count);
          const classes = outputs.length / samples.count;
          const fl = await simulateFloat(float, images, [float.steps!], args.threads as number);
          acc = { fixed: accuracy(argmaxRows(outputs, samples.count, classes), labels), float: accuracy(fl.predictions[0], labels) };
        }
        const executors = Object.fromEntries(Object.entries(results).map(([k, r]) => [k, { bitExact: r.bitExact, mismatches: r.mismatches, ...(r.firstMismatch ? { firstMismatch: r.firstMismatch } : {}), seconds: r.seconds, ...(r.timing ? { timing: r.timing } : {}) }]));
        const result = { bitExact, samples: samples.count, mismatches: Math.max(0, ...all.map((r) => r.mismatches)), ...(first ? { firstMismatch: first } : {}), accuracy: acc, overflow, saturationEffect: effect ?? null, executors };
        if (args.json) printJson(result);
        else {
          const lines: string[] = [];
          for (const [name, r] of Object.entries(results)) {
            const label = EXECUTOR_TABLE[name as ExecutorName].label;
            lines.push(r.bitExact ? `bit-exact: ${label} and interpreter agree on ${samples.count} samples x ${stepsText(fixed)} (spikes and membranes of every population)` : `MISMATCH (${label}) on ${r.mismatches} of ${samples.count} samples`);
            const f = r.firstMismatch;
            if (f) lines.push(`first difference (${label}): sample ${f.sample}, step ${f.step}, %${f.population}, neuron ${f.neuron} (NCHW), ${f.field}: ${name} ${f.c}, interpreter ${f.interpreter}`);
            if (r.timing) lines.push(formatTiming(r.timing));
          }
          if (acc.fixed !== null) lines.push(`accuracy: integer ${(acc.fixed * 100).toFixed(2)} %, float SNN ${(acc.float! * 100).toFixed(2)} %`);
          const sat = overflow.filter((u) => u.acc || u.v);
          lines.push(sat.length ? `overflow: ${sat.map((u) => `%${u.id} acc ${u.acc} v ${u.v}`).join(', ')}` : 'overflow: none');
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        if (!bitExact) process.exitCode = EXIT.mismatch;
      }),
  );
}
