/**
 * `snnc simulate OUT/ --executor interp|core|c --data X.npy [--labels Y.npy] [-n N] [--json]`:
 * run one executor of a compiled folder on a data set: predictions, accuracy and, on the core
 * simulator, cycles per step, the bottleneck core and the latency per inference.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { SnncError } from '../../../ir/diagnostics.js';
import { FixedInterpreter } from '../../../ir/interp-fixed.js';
import { CycleTally, IMAGE_FILE, runSample } from '../../../targets/core/index.js';
import { parseExecutors, readCompiledFolder } from '../../compiled-folder.js';
import { accuracy, argmaxRows, inputSpec, loadImages, loadLabels } from '../../data/dataset.js';
import { integerSamples } from '../../data/integer.js';
import { buildProgram, DEFAULT_CFLAGS, encodeSamples, runProgram } from '../../verify-c.js';
import { loadImageFile, type CoreTiming } from '../../verify-core.js';
import { printJson, runCommand } from '../common.js';
import { checkScaleUsed, dataOptions, scaleOf } from '../options.js';
import { Progress } from '../progress.js';
import { formatTiming } from './verify.js';

export function simulateCommand(y: Argv): Argv {
  return y.command(
    'simulate <dir>',
    'run one executor of a compiled folder (interpreter, core simulator or C) on a data set',
    (a) =>
      dataOptions(
        a
          .positional('dir', { type: 'string', demandOption: true, describe: 'a folder written by snnc compile' })
          .option('executor', { type: 'string', default: 'core', describe: 'interp, core or c' })
          .option('data', { type: 'string', demandOption: true, describe: 'samples .npy' })
          .option('labels', { type: 'string', describe: 'labels .npy, for accuracy' })
          .option('n', { type: 'number', describe: 'number of samples (default: all)' })
          .option('json', { type: 'boolean', default: false }),
      ),
    (args) =>
      runCommand(() => {
        const dir = String(args.dir);
        const folder = readCompiledFolder(dir);
        const [executor] = parseExecutors(String(args.executor), folder);
        const { fixed } = folder;
        const images = loadImages(String(args.data), inputSpec(fixed), scaleOf(args), args.n as number | undefined);
        checkScaleUsed(args, [{ path: String(args.data), images }]);
        const samples = integerSamples(fixed, images);
        const bar = new Progress(`simulate ${executor}`, samples.count);
        const t0 = performance.now();
        let outputs: Float64Array;
        let timing: CoreTiming | undefined;
        if (executor === 'interp') {
          const interp = new FixedInterpreter(fixed);
          const size = interp.engine.plan.outputs[0].size;
          outputs = new Float64Array(samples.count * size);
          for (let s = 0; s < samples.count; s++) {
            outputs.set(interp.run(samples.data, s * samples.size), s * size);
            bar.tick();
          }
        } else if (executor === 'core') {
          const sim = loadImageFile(join(dir, IMAGE_FILE));
          const size = sim.output().length;
          const tally = new CycleTally();
          outputs = new Float64Array(samples.count * size);
          for (let s = 0; s < samples.count; s++) {
            outputs.set(runSample(sim, tally, samples.data, s * samples.size), s * size);
            bar.tick();
          }
          timing = tally.summary(sim);
        } else {
          const work = mkdtempSync(join(tmpdir(), 'snnc-simulate-'));
          for (const f of [`${folder.prefix}.c`, `${folder.prefix}.h`, 'models.c', 'snnc_host.c', 'snnc_fixed.h', 'snnc_model.h']) writeFileSync(join(work, f), readFileSync(join(dir, f)));
          const exe = buildProgram(work, [folder.prefix], { cc: process.env.CC ?? 'cc', cflags: DEFAULT_CFLAGS });
          writeFileSync(join(work, 'inputs.bin'), encodeSamples(samples));
          const text = runProgram(exe, ['--input', join(work, 'inputs.bin')]);
          const rows = text.split('\n').filter((l) => l.startsWith('out ')).map((l) => l.split(' ').slice(2).map(Number));
          if (rows.length !== samples.count) throw new SnncError('SNN0602', `the C program printed ${rows.length} outputs for ${samples.count} samples`);
          outputs = Float64Array.from(rows.flat());
          bar.tick(samples.count);
        }
        bar.finish();
        const seconds = (performance.now() - t0) / 1000;
        const classes = outputs.length / Math.max(1, samples.count);
        const predictions = argmaxRows(outputs, samples.count, classes);
        const acc = args.labels ? accuracy(predictions, loadLabels(String(args.labels), samples.count)) : null;
        if (args.json) return printJson({ executor, samples: samples.count, accuracy: acc, predictions: Array.from(predictions), seconds: Number(seconds.toFixed(3)), ...(timing ? { timing } : {}) });
        const lines = [`${executor}: ${samples.count} samples x ${fixed.steps} steps in ${seconds.toFixed(2)} s${acc !== null ? `, accuracy ${(acc * 100).toFixed(2)} %` : ''}`];
        if (timing) lines.push(formatTiming(timing));
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
  );
}
