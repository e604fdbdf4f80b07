/** `snnc convert MODEL --calib X.npy -T N -o OUT.snnir`: write the float spiking network. */
import type { Argv } from 'yargs';
import { SnncError } from '../../../ir/diagnostics.js';
import { loadModel, saveGraph } from '../../model-io.js';
import { describeMethod } from '../../methods.js';
import { summarize } from '../../report/summary.js';
import { printJson, runCommand } from '../common.js';
import { spikingNetwork } from '../spiking-network.js';
import { conversionOptions, modelOptionsOf, nirOptions, parseSteps } from '../options.js';

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
        const { snn, ann, method } = await spikingNetwork(args, model, model.stage === 'snn-float' ? model.steps! : steps[0], 'convert');
        saveGraph(snn, args.output as string);
        const how = method ? describeMethod(method, ann) : `as given in ${String(args.model)}`;
        if (args.json) return printJson({ ...summarize(snn), method: method ? { name: method.name, description: how } : { name: 'given', description: how } });
        process.stdout.write(`wrote ${args.output} (stage snn-float, T=${snn.steps}, ${how})\n`);
      }),
  );
}
