/**
 * `snnc simulate OUT/ --executor interp|core|c --data X.npy [--labels Y.npy] [-n N] [--json]`:
 * run one executor of a compiled folder on a data set: predictions, accuracy and, on the core
 * simulator, cycles per step, the bottleneck core and the latency per inference. A value that
 * saturated or wrapped while it ran is reported (SNN0206, and per unit in the JSON).
 */
import type { Argv } from 'yargs';
import { parseExecutors, readCompiledFolder } from '../../compiled-folder.js';
import { accuracy, argmaxRows, inputSpec, loadImages, loadLabels } from '../../data/dataset.js';
import { integerSamples } from '../../data/integer.js';
import { saturationEffect } from '../../exec/saturation-effect.js';
import { defaultExecutorOptions, EXECUTOR_TABLE, formatTiming } from '../../executors.js';
import { sumOverflow } from '../../../ir/interp-fixed.js';
import { printJson, runCommand, stepsText, warnOverflow } from '../common.js';
import { checkScaleUsed, dataOptions, scaleOf } from '../options.js';
import { countingBar, Progress } from '../progress.js';

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
      runCommand(async () => {
        const dir = String(args.dir);
        const folder = await readCompiledFolder(dir);
        const [executor] = parseExecutors(String(args.executor), folder);
        const { fixed } = folder;
        const images = loadImages(String(args.data), inputSpec(fixed), scaleOf(args), args.n as number | undefined);
        checkScaleUsed(args, [{ path: String(args.data), images }]);
        const samples = integerSamples(fixed, images);
        const bar = new Progress(`simulate ${executor}`, samples.count);
        const t0 = performance.now();
        const { outputs, overflow, timing } = EXECUTOR_TABLE[executor].run(folder, samples, defaultExecutorOptions(), () => bar.tick());
        bar.finish();
        const seconds = (performance.now() - t0) / 1000;
        const effect = await saturationEffect(fixed, samples, { checkpoints: [fixed.steps!], readouts: [outputs], overflow }, args.threads as number, () => countingBar('wide registers', samples.count));
        warnOverflow(`the ${EXECUTOR_TABLE[executor].label}`, { overflow, samples: samples.count, effect });
        const classes = outputs.length / Math.max(1, samples.count);
        const predictions = argmaxRows(outputs, samples.count, classes);
        const acc = args.labels ? accuracy(predictions, loadLabels(String(args.labels), samples.count)) : null;
        if (args.json) return printJson({ executor, samples: samples.count, accuracy: acc, predictions: Array.from(predictions), overflow: sumOverflow([overflow]), saturationEffect: effect ?? null, seconds: Number(seconds.toFixed(3)), ...(timing ? { timing } : {}) });
        const lines = [`${executor}: ${samples.count} samples x ${stepsText(fixed)} in ${seconds.toFixed(2)} s${acc !== null ? `, accuracy ${(acc * 100).toFixed(2)} %` : ''}`];
        if (timing) lines.push(formatTiming(timing));
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
  );
}
