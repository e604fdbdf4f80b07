/**
 * `snnc verify OUT/ --data X.npy [--labels Y.npy] -n 100`: build the C with the system compiler,
 * run it and the reference interpreter on the same samples, compare every population's spikes and
 * membranes at every step, and report integer vs float-SNN accuracy.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { SnncError } from '../../../ir/diagnostics.js';
import { accuracy, argmaxRows, inputSpec, loadImages, loadLabels, valueRange } from '../../data/dataset.js';
import { simulateFloat } from '../../exec/run-snn.js';
import { loadGraph } from '../../model-io.js';
import { buildProgram, DEFAULT_CFLAGS, verifyProgram } from '../../verify-c.js';
import { integerSamples } from '../../data/integer.js';
import { EXIT, printJson, runCommand } from '../common.js';
import { Progress } from '../progress.js';
import { checkScaleUsed, dataOptions, scaleOf, warnIfRangesDiffer } from '../options.js';

export function verifyCommand(y: Argv): Argv {
  return y.command(
    'verify <dir>',
    'check that the compiled C and the reference interpreter agree bit for bit',
    (a) =>
      dataOptions(
        a
          .positional('dir', { type: 'string', demandOption: true, describe: 'a folder written by snnc compile' })
          .option('data', { type: 'string', demandOption: true, describe: 'samples .npy' })
          .option('labels', { type: 'string', describe: 'labels .npy, for accuracy' })
          .option('n', { type: 'number', default: 100, describe: 'number of samples' })
          .option('cc', { type: 'string', default: process.env.CC ?? 'cc', describe: 'C compiler' })
          .option('cflags', { type: 'string', describe: `compiler flags (default: ${DEFAULT_CFLAGS.join(' ')})` })
          .option('json', { type: 'boolean', default: false }),
      ),
    (args) =>
      runCommand(async () => {
        const dir = String(args.dir);
        const fixed = loadGraph(join(dir, 'model.snnir'));
        const float = loadGraph(join(dir, 'model.float.snnir'));
        let meta: { prefix: string; calibrationRange?: { min: number; max: number } };
        try {
          meta = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
        } catch {
          throw new SnncError('SNN0408', `${dir}/report.json is missing or unreadable: is ${dir} a folder written by snnc compile?`);
        }
        const images = loadImages(String(args.data), inputSpec(fixed), scaleOf(args), Number(args.n));
        checkScaleUsed(args, [{ path: String(args.data), images }]);
        if (meta.calibrationRange) warnIfRangesDiffer(meta.calibrationRange, valueRange(images), 'the calibration data', String(args.data));
        const samples = integerSamples(fixed, images);
        const cflags = args.cflags ? String(args.cflags).split(/\s+/).filter(Boolean) : DEFAULT_CFLAGS;
        const work = mkdtempSync(join(tmpdir(), 'snnc-verify-'));
        const t0 = performance.now();
        const exe = buildProgramIn(dir, work, meta.prefix, String(args.cc), cflags);
        const build = (performance.now() - t0) / 1000;
        const bar = new Progress('verify', samples.count);
        const r = verifyProgram(fixed, exe, work, samples, 0, () => bar.tick());
        bar.finish();
        let acc: { fixed: number | null; float: number | null } = { fixed: null, float: null };
        if (args.labels) {
          const labels = loadLabels(String(args.labels), samples.count);
          const classes = r.outputs.length / samples.count;
          const fl = await simulateFloat(float, images, [float.steps!], args.threads as number);
          acc = { fixed: accuracy(argmaxRows(r.outputs, samples.count, classes), labels), float: accuracy(fl.predictions[0], labels) };
        }
        const result = { bitExact: r.bitExact, samples: r.samples, mismatches: r.mismatches, ...(r.first ? { firstMismatch: r.first } : {}), accuracy: acc, overflow: r.overflow, seconds: { build, c: r.seconds.c, interpreter: r.seconds.interpreter } };
        if (args.json) printJson(result);
        else {
          const lines = [r.bitExact ? `bit-exact: C and interpreter agree on ${r.samples} samples x ${fixed.steps} steps (spikes and membranes of every population)` : `MISMATCH on ${r.mismatches} of ${r.samples} samples`];
          if (r.first) lines.push(`first difference: sample ${r.first.sample}, step ${r.first.step}, %${r.first.population}, neuron ${r.first.neuron} (NCHW), ${r.first.field}: C ${r.first.c}, interpreter ${r.first.interpreter}`);
          if (acc.fixed !== null) lines.push(`accuracy: integer ${(acc.fixed * 100).toFixed(2)} %, float SNN ${(acc.float! * 100).toFixed(2)} %`);
          const sat = r.overflow.filter((u) => u.acc || u.v);
          lines.push(sat.length ? `overflow: ${sat.map((u) => `%${u.id} acc ${u.acc} v ${u.v}`).join(', ')}` : 'overflow: none');
          process.stdout.write(`${lines.join('\n')}\n`);
        }
        if (!r.bitExact) process.exitCode = EXIT.mismatch;
      }),
  );
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
