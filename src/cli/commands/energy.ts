/**
 * `snnc energy MODEL.onnx|OUT/ --data X.npy [--labels Y.npy] -T 1,2,4,8 [--target …] [--profile …] [--json]`:
 * spikes, SOPs, MACs, hops and energy per kind, per layer and in total, and the SNN/ANN ratio at
 * each T. An ONNX model is converted and quantized here (it needs --calib); a compiled folder
 * answers the T values up to its own.
 */
import { statSync } from 'node:fs';
import type { Argv } from 'yargs';
import { SnncError } from '../../../ir/diagnostics.js';
import { targetByName, targetNames } from '../../../targets/index.js';
import { readCompiledFolder } from '../../compiled-folder.js';
import { inputSpec, loadImages, loadLabels, type Images } from '../../data/dataset.js';
import { integerSamples } from '../../data/integer.js';
import { buildEnergyReport, DEFAULT_PROFILE, formatEnergyReport } from '../../energy/energy-report.js';
import type { EnergyRun } from '../../energy/measure.js';
import { readFileOrFail } from '../../util/fs.js';
import { decodeImage, IMAGE_FILE } from '../../../targets/core/index.js';
import { join } from 'node:path';
import { profileNames } from '../../energy/profile.js';
import { dependsOnT, describeMethod } from '../../methods.js';
import { loadGraph } from '../../model-io.js';
import { calibrate, prepareAnn, toFixed, toSnn } from '../../pipeline.js';
import { printJson, runCommand, warnDelay, warnOverflow } from '../common.js';
import { arrivalDelay } from '../../passes/insert-delays.js';
import { annForwardOption, checkScaleUsed, dataOptions, inputStepOf, integerFormats, integerOptions, loadCalib, methodFrom, methodOptions, parseSteps, scaleOf } from '../options.js';
import { phaseBars } from '../progress.js';
import type { AnnForward } from '../../exec/ort-forward.js';

export function energyOptions(a: Argv): Argv {
  return a
    .option('profile', { type: 'string', describe: `energy profile for the C target and the ANN reference (${profileNames().join(', ')}; default ${DEFAULT_PROFILE}); a core target is priced with its own figures` })
    .option('labels', { type: 'string', describe: 'labels .npy, for the accuracy at each T' });
}

/** The compiled networks that answer the requested T values: one when the dynamics do not depend on T. */
async function compileRuns(args: Record<string, unknown>, steps: number[], bars: ReturnType<typeof phaseBars>): Promise<{ runs: EnergyRun[]; targetName: string; method: string; data: Images }> {
  const model = await loadGraph(String(args.model));
  if (model.stage !== 'ann') throw new SnncError('SNN0407', `energy takes an ANN or a compiled folder; ${args.model} is at stage ${model.stage}`);
  if (args.calib === undefined) throw new SnncError('SNN0407', `energy of a model (${args.model}) converts it first and needs --calib; or pass a folder written by snnc compile`);
  const ann = prepareAnn(model);
  const method = methodFrom(args);
  const calib = loadCalib(args, inputSpec(ann), false);
  const data = loadImages(String(args.data), inputSpec(ann), scaleOf(args), args.limit as number | undefined);
  checkScaleUsed(args, [
    { path: String(args.calib), images: calib },
    { path: String(args.data), images: data },
  ]);
  const inputScale = inputStepOf(args, calib);
  const stats = await calibrate(ann, calib, args.threads as number, bars.progress('calibrate', calib.count), args['ann-forward'] as AnnForward);
  const target = targetByName(String(args.target));
  const groups = dependsOnT(method) ? steps.map((t) => [t]) : [steps];
  const runs = groups.map((ts) => {
    const T = Math.max(...ts);
    const snn = toSnn(ann, stats, method, T, calib, (total) => bars.progress(`calibration T=${T}`, total));
    const formats = integerFormats(args);
    const fixed = toFixed(snn, target.desc(), {
      inputScale,
      ...formats,
      calib,
      progress: (phase, total) => bars.progress(`${phase} T=${T}`, total),
    });
    return { fixed, steps: ts };
  });
  return { runs, targetName: target.name, method: describeMethod(method, ann), data };
}

/** A compiled folder answers T ≤ its own, and only its own T when its dynamics depend on T (the θ/2T shift). */
async function folderRuns(args: Record<string, unknown>, dir: string, steps: number[] | undefined): Promise<{ runs: EnergyRun[]; targetName: string; method: string; data: Images }> {
  const folder = await readCompiledFolder(dir);
  const T = folder.fixed.steps!;
  const Ts = steps ?? [T];
  const over = Ts.find((t) => t > T);
  if (over !== undefined) throw new SnncError('SNN0407', `${dir} was compiled for T=${T}; it cannot answer T=${over} (compile for a larger T, or pass the ONNX model)`);
  const method = folder.report.method as { description?: string; dependsOnT?: boolean } | undefined;
  const tDependent = method?.dependsOnT ?? folder.fixed.meta['convert.shift'] === 'true';
  if (tDependent && Ts.some((t) => t !== T)) throw new SnncError('SNN0407', `${dir} was made for T=${T} by a method that depends on T (θ/2T shift, MMSE thresholds or SNN Calibration); only -T ${T} can be read from it (pass the ONNX model for other T)`);
  if (args['input-step'] !== undefined || args.calib !== undefined) throw new SnncError('SNN0407', `${dir} is compiled: its input step and calibration are fixed (drop --calib / --input-step)`);
  const data = loadImages(String(args.data), inputSpec(folder.fixed), scaleOf(args), args.limit as number | undefined);
  checkScaleUsed(args, [{ path: String(args.data), images: data }]);
  const image = folder.available.includes('core') ? decodeImage(readFileOrFail(join(dir, IMAGE_FILE)), join(dir, IMAGE_FILE)) : undefined;
  return { runs: [{ fixed: folder.fixed, steps: Ts, ...(image ? { image } : {}) }], targetName: folder.target, method: method?.description ?? '', data };
}

export function energyCommand(y: Argv): Argv {
  return y.command(
    'energy <model>',
    'spikes, synaptic operations and energy per layer and per kind, and the SNN/ANN energy ratio at each T',
    (a) =>
      energyOptions(
        methodOptions(
          dataOptions(
            integerOptions(
              a
                .positional('model', { type: 'string', demandOption: true, describe: 'an .onnx file (or ann .snnir), or a folder written by snnc compile' })
                .option('calib', { type: 'string', describe: 'calibration samples .npy (for a model)' })
                .option('calib-limit', { type: 'number', describe: 'use only the first N calibration samples' })
                .option('ann-forward', annForwardOption)
                .option('data', { type: 'string', demandOption: true, describe: 'samples .npy' })
                .option('T', { type: 'string', describe: 'time steps, comma separated (a folder: its own T by default)' })
                .option('target', { type: 'string', default: 'c', describe: `target for a model (${targetNames().join(', ')})` })
                .option('json', { type: 'boolean', default: false }),
            ),
          ),
        ),
      ),
    (args) =>
      runCommand(async () => {
        const model = String(args.model);
        const isFolder = statSync(model, { throwIfNoEntry: false })?.isDirectory() === true;
        const steps = args.T !== undefined ? parseSteps(String(args.T)) : undefined;
        if (!isFolder && !steps) throw new SnncError('SNN0407', 'energy of a model needs -T (e.g. -T 1,2,4,8)');
        const bars = phaseBars();
        const { runs, targetName, method, data } = isFolder ? await folderRuns(args, model, steps) : await compileRuns(args, steps!, bars);
        const samples = integerSamples(runs[0].fixed, data);
        const labels = args.labels ? loadLabels(String(args.labels), samples.count, undefined, args.limit === undefined) : undefined;
        const report = await buildEnergyReport(runs, samples, targetByName(targetName), {
          threads: args.threads as number,
          ...(labels ? { labels } : {}),
          ...(args.profile ? { profile: String(args.profile) } : {}),
          onProgress: bars.progress,
        });
        bars.finish();
        warnOverflow('the integer network', { overflow: report.overflow, samples: report.images, runs: report.runs, effect: report.saturationEffect ?? undefined });
        warnDelay('the integer network', targetName, Math.max(...runs.map((r) => arrivalDelay(r.fixed))), report.points.map((p) => p.T));
        if (args.json) return printJson({ model, method, ...report });
        process.stdout.write(`${model}: ${method}\n${formatEnergyReport(report)}`);
      }),
  );
}
