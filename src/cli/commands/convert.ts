/** `snnc convert MODEL --calib X.npy -T N -o OUT.snnir`: write the float spiking network. */
import type { Argv } from 'yargs';
import { SnncError } from '../../../ir/diagnostics.js';
import { loadModel, saveGraph } from '../../model-io.js';
import { describeMethod } from '../../methods.js';
import { calibrate, calibrationWork, prepareAnn, toSnn } from '../../pipeline.js';
import { summarize } from '../../report/summary.js';
import { printJson, runCommand } from '../common.js';
import { countingBar, Progress } from '../progress.js';
import { inputSpec } from '../../data/dataset.js';
import { conversionOptions, loadCalib, methodFrom, modelOptionsOf, nirOptions, parseSteps } from '../options.js';

export function convertCommand(y: Argv): Argv {
  return y.command(
    'convert <model>',
    'convert an ANN to a float spiking network (.snnir)',
    (a) =>
      conversionOptions(
        nirOptions(a)
          .option('T', { type: 'string', demandOption: true, describe: 'time steps' })
          .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'the .snnir file to write (weights in FILE.bin)' })
          .option('json', { type: 'boolean', default: false }),
      ),
    (args) =>
      runCommand(async () => {
        const steps = parseSteps(String(args.T));
        if (steps.length !== 1) throw new SnncError('SNN0407', 'convert takes one T');
        const model = await loadModel(args.model as string, modelOptionsOf(args, steps[0]));
        if (model.stage === 'snn-float' && /\.nir$/i.test(String(args.model))) {
          // a NIR network is already a float spiking network: write it as IR text
          saveGraph(model, args.output as string);
          if (args.json) return printJson(summarize(model));
          process.stdout.write(`wrote ${args.output} (stage snn-float, T=${model.steps}, imported from NIR)\n`);
          return;
        }
        if (model.stage !== 'ann') throw new SnncError('SNN0407', `convert takes an ANN; ${args.model} is at stage ${model.stage}`);
        const method = methodFrom(args);
        const ann = prepareAnn(model);
        const calib = loadCalib(args, inputSpec(ann));
        const progress = new Progress('calibrate', calib.count);
        const stats = await calibrate(ann, calib, args.threads as number, (n) => progress.tick(n));
        progress.finish();
        const snn = toSnn(ann, stats, method, steps[0], calib, method.ftbc || method.calibration ? countingBar('calibration', calibrationWork(ann, method, calib)) : undefined);
        saveGraph(snn, args.output as string);
        if (args.json) return printJson({ ...summarize(snn), method: { name: method.name, description: describeMethod(method) } });
        process.stdout.write(`wrote ${args.output} (stage snn-float, T=${steps[0]}, ${describeMethod(method)})\n`);
      }),
  );
}
