/**
 * `snnc export-nir MODEL.onnx|FILE.snnir -T N -o model.nir`: the float spiking network (after
 * conversion, for an ANN) as a NIR graph, for every platform that reads NIR (docs/nir.md).
 */
import type { Argv } from 'yargs';
import { SnncError } from '../../../ir/diagnostics.js';
import { inputSpec } from '../../data/dataset.js';
import { NIR_DEFAULT_DT } from '../../frontend/nir/import.js';
import { describeMethod } from '../../methods.js';
import { loadModel } from '../../model-io.js';
import { calibrate, calibrationWork, prepareAnn, toSnn } from '../../pipeline.js';
import { runCommand } from '../common.js';
import { conversionOptions, loadCalib, methodFrom, modelOptionsOf, parseSteps } from '../options.js';
import { countingBar, Progress } from '../progress.js';

export function exportNirCommand(y: Argv): Argv {
  return y.command(
    'export-nir <model>',
    'write the float spiking network as NIR (an ANN is converted first)',
    (a) =>
      conversionOptions(
        a
          .option('T', { type: 'string', demandOption: true, describe: 'time steps' })
          .option('dt', { type: 'number', default: NIR_DEFAULT_DT, describe: 'seconds per step: τ and R are written for it' })
          .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'the .nir file to write' }),
      ),
    (args) =>
      runCommand(async () => {
        const steps = parseSteps(String(args.T));
        if (steps.length !== 1) throw new SnncError('SNN0407', 'export-nir takes one T');
        const model = await loadModel(String(args.model), modelOptionsOf(args, steps[0]));
        let snn = model;
        let how = `as given`;
        if (model.stage === 'ann') {
          const method = methodFrom(args);
          const ann = prepareAnn(model);
          const calib = loadCalib(args, inputSpec(ann));
          const progress = new Progress('calibrate', calib.count);
          const stats = await calibrate(ann, calib, args.threads as number, (n) => progress.tick(n));
          progress.finish();
          snn = toSnn(ann, stats, method, steps[0], calib, method.ftbc || method.calibration ? countingBar('calibration', calibrationWork(ann, method, calib)) : undefined);
          how = describeMethod(method);
        } else if (model.stage !== 'snn-float') {
          throw new SnncError('SNN0407', `export-nir writes a float spiking network; ${String(args.model)} is at stage ${model.stage}`);
        } else if (model.steps !== steps[0]) {
          throw new SnncError('SNN0407', `${String(args.model)} runs ${model.steps} steps, asked for -T ${steps[0]}`);
        }
        // h5wasm (4 MB of WebAssembly) loads only for the commands that read or write NIR
        const { writeNirFile } = await import('../../frontend/nir/file.js');
        await writeNirFile(snn, String(args.output), { dt: Number(args.dt) });
        process.stdout.write(`wrote ${String(args.output)} (NIR, T=${steps[0]}, dt=${Number(args.dt)} s, ${how})\n`);
      }),
  );
}
