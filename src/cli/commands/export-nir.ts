/**
 * `snnc export-nir MODEL.onnx|FILE.snnir -T N -o model.nir`: the float spiking network (after
 * conversion, for an ANN) as a NIR graph, for every platform that reads NIR (docs/nir.md).
 */
import type { Argv } from 'yargs';
import { SnncError } from '../../../ir/diagnostics.js';
import { NIR_DEFAULT_DT } from '../../frontend/nir/import.js';
import { describeMethod } from '../../methods.js';
import { loadModel } from '../../model-io.js';
import { runCommand } from '../common.js';
import { conversionOptions, modelOptionsOf, parseSteps } from '../options.js';
import { spikingNetwork } from '../spiking-network.js';

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
        const { snn, ann, method } = await spikingNetwork(args, model, steps[0], 'export-nir');
        const how = method ? describeMethod(method, ann) : 'as given';
        // h5wasm (4 MB of WebAssembly) loads only for the commands that read or write NIR
        const { writeNirFile } = await import('../../frontend/nir/file.js');
        await writeNirFile(snn, String(args.output), { dt: Number(args.dt) });
        process.stdout.write(`wrote ${String(args.output)} (NIR, T=${steps[0]}, dt=${Number(args.dt)} s, ${how})\n`);
      }),
  );
}
