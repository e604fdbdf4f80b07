/** Options shared by the conversion commands: data sets and the conversion method. */
import type { Argv } from 'yargs';
import { SnncError } from '../../ir/diagnostics.js';
import type { TensorType } from '../../ir/types.js';
import { loadImages, loadLabels, parseScale, type Images } from '../data/dataset.js';
import { DEFAULT_METHOD, presetsByName, type Method } from '../methods.js';
import { DEFAULT_CONVERT } from '../passes/convert.js';
import { defaultThreads } from '../exec/pool.js';

/** --input-scale, --limit, --threads: how samples are read and how many threads run them. */
export function dataOptions(a: Argv): Argv {
  return a
    .option('input-scale', { type: 'string', describe: 'real value of one step of uint8 data, e.g. 1/255 (required for uint8 .npy)' })
    .option('limit', { type: 'number', describe: 'use only the first N samples' })
    .option('threads', { type: 'number', default: defaultThreads(), describe: 'worker threads' });
}

/** The model, its calibration data and the conversion method (convert, eval, compile). */
export function conversionOptions(a: Argv): Argv {
  return methodOptions(
    dataOptions(
      a
        .positional('model', { type: 'string', demandOption: true, describe: 'an .onnx file (or an ann-stage .snnir)' })
        .option('calib', { type: 'string', demandOption: true, describe: 'calibration samples .npy' })
        .option('calib-limit', { type: 'number', describe: 'use only the first N calibration samples' }),
    ),
  );
}

/** The integer formats asked of a target (eval --target, compile). */
export function integerOptions(a: Argv): Argv {
  return a
    .option('weight-bits', { type: 'number', describe: 'signed weight width (default: the target’s)' })
    .option('granularity', { choices: ['channel', 'tensor'] as const, describe: 'one weight scale per output channel or per layer (default: the target’s)' });
}

export function methodOptions(a: Argv): Argv {
  return a
    .option('threshold', { choices: ['max', 'percentile', 'channel-percentile'] as const, default: 'channel-percentile', describe: 'threshold balancing rule (per layer or per channel)' })
    .option('percentile', { type: 'number', default: 99.9, describe: 'p for the percentile rules (of nonzero activations)' })
    .option('reset', { choices: ['subtract', 'zero'] as const, default: DEFAULT_CONVERT.reset, describe: 'reset by subtraction (soft) or to zero' })
    .option('init', { type: 'string', default: 'half', describe: 'initial membrane: 0, half (θ/2) or a fraction of θ' })
    .option('shift', { type: 'boolean', default: false, describe: "add θ/(2T) at every step (Deng & Gu)" })
    .option('readout', { choices: ['mean', 'count'] as const, default: DEFAULT_CONVERT.readout, describe: 'non-spiking mean of the last layer, or spike count' })
    .option('maxpool', { choices: ['gate', 'or', 'avg'] as const, default: DEFAULT_CONVERT.maxpool, describe: 'spiking max pool: gated by spike counts, logical OR, or average' });
}

export function methodFrom(args: Record<string, unknown>): Method {
  const init = String(args.init);
  const vinit = init === 'half' ? 0.5 : Number(init);
  if (!Number.isFinite(vinit)) throw new SnncError('SNN0407', `--init '${init}' is not 0, half or a number`);
  const p = Number(args.percentile);
  if (!(p > 0 && p <= 100)) throw new SnncError('SNN0407', `--percentile ${args.percentile} must be in (0, 100]`);
  const kind = args.threshold as 'max' | 'percentile' | 'channel-percentile';
  const threshold = kind === 'max' ? { kind } : { kind, p };
  const reset = args.reset as Method['reset'];
  const name = `${kind === 'max' ? 'max' : `${kind === 'channel-percentile' ? 'chp' : 'p'}${p}`}-${reset}${vinit === 0.5 ? '-half' : vinit !== 0 ? `-v${vinit}` : ''}${args.shift ? '-shift' : ''}`;
  return { name, threshold, reset, vinit, shift: Boolean(args.shift), readout: args.readout as Method['readout'], maxpool: args.maxpool as Method['maxpool'] };
}

export function methodsFrom(args: Record<string, unknown>): Method[] {
  return args.methods ? presetsByName(String(args.methods)) : [methodFrom(args)];
}

export { DEFAULT_METHOD };

export function parseSteps(text: string): number[] {
  const steps = String(text)
    .split(',')
    .map((s) => Number(s.trim()));
  if (steps.length === 0 || steps.some((t) => !Number.isInteger(t) || t < 1 || t > 100000)) throw new SnncError('SNN0407', `-T '${text}' must be a list of positive integers, e.g. 1,2,4,8`);
  return steps;
}

export function scaleOf(args: Record<string, unknown>): number | undefined {
  return args['input-scale'] !== undefined ? parseScale(String(args['input-scale'])) : undefined;
}

export function loadCalib(args: Record<string, unknown>, input: TensorType): Images {
  return loadImages(String(args.calib), input, scaleOf(args), args['calib-limit'] as number | undefined);
}

export function loadEvalData(args: Record<string, unknown>, input: TensorType): { data: Images; labels: Int32Array } {
  const data = loadImages(String(args.data), input, scaleOf(args), args.limit as number | undefined);
  const labels = loadLabels(String(args.labels), data.count, undefined, args.limit === undefined);
  return { data, labels };
}
