/** `snnc inspect MODEL`: the IR text (weights summarised), or a JSON summary, or a lossless .snnir file. */
import type { Argv } from 'yargs';
import { printGraph } from '../../../ir/text/print.js';
import { loadGraph, saveGraph } from '../../model-io.js';
import { summarize } from '../../report/summary.js';
import { printJson, runCommand } from '../common.js';

export function inspectCommand(y: Argv): Argv {
  return y.command(
    'inspect <model>',
    'print a model (.onnx or .snnir) as IR text, or summarise it',
    (a) =>
      a
        .positional('model', { type: 'string', demandOption: true, describe: 'an .onnx or .snnir file' })
        .option('json', { type: 'boolean', default: false, describe: 'print a JSON summary: layers, shapes, parameters, MACs' })
        .option('output', { alias: 'o', type: 'string', describe: 'write the lossless IR text to this .snnir file (weights in FILE.bin)' })
        .option('inline-weights', { type: 'boolean', default: false, describe: 'print every constant in full (hex) instead of a summary' }),
    (args) =>
      runCommand(() => {
        const g = loadGraph(args.model as string);
        if (args.output) saveGraph(g, args.output);
        if (args.json) return printJson(summarize(g));
        if (!args.output) process.stdout.write(printGraph(g, { elide: !args['inline-weights'] }).text);
      }),
  );
}
