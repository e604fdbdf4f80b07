/** `snnc inspect MODEL`: the IR text (weights summarised), or a JSON summary, or a lossless .snnir file. */
import type { Argv } from 'yargs';
import { printGraph } from '../../../ir/text/print.js';
import { loadModel, saveGraph } from '../../model-io.js';
import { summarize } from '../../report/summary.js';
import { printJson, runCommand } from '../common.js';
import { modelOptionsOf, nirOptions } from '../options.js';

export function inspectCommand(y: Argv): Argv {
  return y.command(
    'inspect <model>',
    'print a model (.onnx, .nir or .snnir) as IR text, or summarise it',
    (a) =>
      nirOptions(a)
        .positional('model', { type: 'string', demandOption: true, describe: 'an .onnx, .nir or .snnir file' })
        .option('T', { type: 'number', default: 1, describe: 'NIR: time steps of the imported network (a file written by snnc carries its own)' })
        .option('json', { type: 'boolean', default: false, describe: 'print a JSON summary: layers, shapes, parameters, MACs' })
        .option('output', { alias: 'o', type: 'string', describe: 'write the lossless IR text to this .snnir file (weights in FILE.bin)' })
        .option('inline-weights', { type: 'boolean', default: false, describe: 'print every constant in full (hex) instead of a summary' }),
    (args) =>
      runCommand(async () => {
        const g = await loadModel(args.model as string, modelOptionsOf(args, Number(args.T)));
        if (args.output) saveGraph(g, args.output);
        if (args.json) return printJson(summarize(g));
        if (!args.output) process.stdout.write(printGraph(g, { elide: !args['inline-weights'] }).text);
      }),
  );
}
