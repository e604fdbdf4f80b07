/** `snnc ann MODEL --input X.npy`: run the float network (the reference every SNN is compared with). */
import type { Argv } from 'yargs';
import { SnncError } from '../../../ir/diagnostics.js';
import { accuracy, argmaxRows, inputSpec, loadImages, loadLabels, parseScale } from '../../data/dataset.js';
import { encodeNpy } from '../../data/npy.js';
import { runAnnBatched } from '../../exec/run-ann.js';
import { loadGraph } from '../../model-io.js';
import { writeFileAtomic } from '../../util/fs.js';
import { printJson, runCommand } from '../common.js';
import { Progress } from '../progress.js';
import { checkScaleUsed, dataOptions } from '../options.js';

export function annCommand(y: Argv): Argv {
  return y.command(
    'ann <model>',
    'run the float ANN on a data set (.npy)',
    (a) =>
      dataOptions(
        a
          .positional('model', { type: 'string', demandOption: true })
          .option('input', { type: 'string', demandOption: true, describe: 'samples .npy (uint8 or float32), [count, ...input shape]' })
          .option('labels', { type: 'string', describe: 'integer labels .npy, for accuracy' })
          .option('output', { type: 'string', describe: 'write the outputs (float32 .npy)' })
          .option('json', { type: 'boolean', default: false }),
      ),
    (args) =>
      runCommand(async () => {
        const g = await loadGraph(args.model as string);
        if (g.stage !== 'ann') throw new SnncError('SNN0407', `ann runs stage-ann graphs; ${args.model} is at stage ${g.stage}`);
        const scale = args['input-scale'] !== undefined ? parseScale(args['input-scale'] as string) : undefined;
        const images = loadImages(args.input as string, inputSpec(g), scale, args.limit as number | undefined);
        checkScaleUsed(args, [{ path: String(args.input), images }]);
        const start = performance.now();
        const progress = new Progress('ann', images.count);
        const out = await runAnnBatched(g, images, args.threads as number, (n) => progress.tick(n));
        progress.finish();
        const seconds = (performance.now() - start) / 1000;
        const classes = out.data.length / images.count;
        let acc: number | null = null;
        if (args.labels) {
          const labels = loadLabels(args.labels as string, images.count, classes, args.limit === undefined);
          acc = accuracy(argmaxRows(out.data, images.count, classes), labels);
        }
        if (args.output) writeFileAtomic(args.output as string, encodeNpy(out.shape, out.data));
        if (args.json) return printJson({ accuracy: acc, images: images.count, seconds: Number(seconds.toFixed(3)) });
        const accText = acc === null ? '' : `accuracy ${(acc * 100).toFixed(2)}%, `;
        process.stdout.write(`${accText}${images.count} images in ${seconds.toFixed(2)} s (${(images.count / seconds).toFixed(0)} images/s, ${args.threads} threads)\n`);
      }),
  );
}
