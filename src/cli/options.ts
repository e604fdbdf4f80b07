/** Options shared by the conversion commands: data sets and the conversion method. */
import type { Argv } from 'yargs';
import { SnncError } from '../../ir/diagnostics.js';
import { loadImages, loadLabels, parseScale, valueRange, type Images, type InputSpec, streamImages, type CalibrationData } from '../data/dataset.js';
import { warn } from './common.js';
import { DEFAULT_METHOD, presetsByName, TPP_STEP_NAMES, type Method } from '../methods.js';
import { DEFAULT_CONVERT } from '../passes/convert.js';
import { FTBC_DEFAULTS, FTBC_STEP_DEFAULTS, type FtbcSettings } from '../passes/ftbc.js';
import { WEIGHT_CALIBRATION_DEFAULTS } from '../passes/weight-calibration.js';
import { TPP_DEFAULTS, type TppSettings } from '../passes/tpp.js';
import { TPP_RULES, type TppRule } from '../../ir/tpp.js';
import type { ThresholdRule } from '../passes/balance-thresholds.js';
import { defaultThreads } from '../exec/pool.js';
import { NIR_DEFAULT_DT } from '../frontend/nir/import.js';
import type { ModelOptions } from '../model-io.js';
import { ANN_FORWARDS, AUTO_MACS, type AnnForward } from '../exec/ort-forward.js';
import { GPTQ_SAMPLES, type NeuronRoundingRule, type WeightRoundingRule } from '../pipeline.js';

/** --input-scale, --limit, --threads: how samples are read and how many threads run them. */
export function dataOptions(a: Argv): Argv {
  return a
    .option('input-scale', { type: 'string', describe: 'uint8 data only: the model input is pixel × scale, e.g. 1/255 (float data are used as they are)' })
    .option('limit', { type: 'number', describe: 'use only the first N samples' })
    .option('threads', { type: 'number', default: defaultThreads(), describe: 'worker threads' });
}

/** The model, its calibration data and the conversion method (convert, eval, compile). */
export function conversionOptions(a: Argv): Argv {
  return methodOptions(
    dataOptions(
      a
        .positional('model', { type: 'string', demandOption: true, describe: 'an .onnx file (or an ann-stage .snnir); compile also takes a spiking .nir' })
        .option('calib', { type: 'string', describe: 'calibration samples .npy (an ANN needs them; a spiking model from .nir does not)' })
        .option('calib-limit', { type: 'number', describe: 'use only the first N calibration samples' })
        .option('ann-forward', annForwardOption),
    ),
  );
}

/** Which forward pass calibration runs (src/exec/ort-forward.ts). */
export const annForwardOption = {
  choices: ANN_FORWARDS,
  default: 'auto' as AnnForward,
  describe: `calibration's forward pass: the float executor (snnc), onnxruntime checked against it, or auto (onnxruntime past ${AUTO_MACS / 1e6} M multiply-accumulates per sample)`,
} as const;

/** The integer formats asked of a target (eval --target, compile). */
export function integerOptions(a: Argv): Argv {
  return a
    .option('input-step', { type: 'string', describe: 'real value of one step of the integer input (default: --input-scale, when the calibration data are uint8)' })
    .option('weight-bits', { type: 'number', describe: 'signed weight width (default: the target’s)' })
    .option('granularity', { choices: ['channel', 'tensor'] as const, describe: 'one weight scale per output channel or per layer (default: the target’s)' })
    .option('neuron-rounding', { choices: ['step', 'running'] as const, default: 'step' as const, describe: 'thresholds and per-step additive terms: each rounded alone (step), or θ made a whole number of membrane steps and the bias, shift and per-step tables rounded on their running sum (running; a T-row table per population)' })
    .option('weight-rounding', { choices: ['nearest', 'gptq'] as const, default: 'nearest' as const, describe: `weights to integers: nearest, or GPTQ, which spreads each weight's rounding error over the ones not yet rounded so that the dot products on ${GPTQ_SAMPLES} calibration samples change least` });
}

/** The --weight-bits, --granularity (the target's own when absent), --weight-rounding and --neuron-rounding asked for. */
export function integerFormats(args: Record<string, unknown>): { weightBits?: number; granularity?: 'channel' | 'tensor'; weightRounding?: WeightRoundingRule; neuronRounding?: NeuronRoundingRule } {
  return {
    ...(args['neuron-rounding'] !== undefined ? { neuronRounding: args['neuron-rounding'] as NeuronRoundingRule } : {}),
    ...(args['weight-rounding'] !== undefined ? { weightRounding: args['weight-rounding'] as WeightRoundingRule } : {}),
    ...(args['weight-bits'] !== undefined ? { weightBits: Number(args['weight-bits']) } : {}),
    ...(args.granularity ? { granularity: args.granularity as 'channel' | 'tensor' } : {}),
  };
}

export function methodOptions(a: Argv): Argv {
  return a
    .option('method', { type: 'string', describe: 'one named method or composition (qcfs+ftbc, chmmse-subtract-shift+tpp+calib-advanced; see snnc eval --methods) instead of the options below' })
    .option('threshold', { choices: ['max', 'percentile', 'channel-percentile', 'mmse', 'channel-mmse'] as const, default: 'channel-percentile', describe: 'threshold balancing rule (per layer or per channel; mmse: SNN Calibration\'s search for T steps)' })
    .option('percentile', { type: 'number', default: 99.9, describe: 'p for the percentile rules (of nonzero activations)' })
    .option('reset', { choices: ['subtract', 'zero'] as const, default: DEFAULT_CONVERT.reset, describe: 'reset by subtraction (soft) or to zero' })
    .option('init', { type: 'string', default: 'half', describe: 'initial membrane: 0, half (θ/2) or a fraction of θ' })
    .option('shift', { type: 'boolean', default: false, describe: "add θ/(2T) at every step (Deng & Gu)" })
    .option('readout', { choices: ['mean', 'count'] as const, default: DEFAULT_CONVERT.readout, describe: 'non-spiking mean of the last layer, or spike count' })
    .option('maxpool', { choices: ['gate', 'or', 'avg'] as const, default: DEFAULT_CONVERT.maxpool, describe: 'spiking max pool: gated by spike counts, logical OR, or average' })
    .option('qcfs-threshold', { choices: ['lambda', 'rule'] as const, default: 'lambda', describe: "QCFS activations: θ = the trained λ and v(0) = θ/2 (QCFS's own), or the threshold rule and initial membrane of the ReLUs (better when T < L)" })
    .option('calibration', { choices: ['none', 'light', 'advanced'] as const, default: 'none', describe: 'SNN Calibration on --calib after conversion: bias (light) or initial-membrane (advanced) correction (Li et al. 2021)' })
    .option('replicas', { type: 'number', default: 1, describe: 'neurons per activation, K in 1..4, each rounding at its own point: the activations get K·T + 1 levels in T steps, for K times the neurons and about K times the synaptic events of K·T steps (+repK in --methods)' })
    .option('weight-calibration', { type: 'boolean', default: false, describe: 'SNN Calibration\'s weight calibration on --calib: the weights into each population fitted to the ANN\'s pre-activations from the SNN\'s input rates (before --calibration; on the TPP network with --tpp)' })
    .option('ftbc', { type: 'boolean', default: false, describe: 'forward temporal bias correction: per-step, per-channel biases calibrated on --calib (Wu et al. 2024)' })
    .option('ftbc-update', { choices: ['batch', 'step'] as const, default: 'batch', describe: "FTBC update rule: after each batch, from per-element corrected trajectories (the paper's QCFS code, variant (a)), or at every step, the step redone with the new bias (its SNN Calibration code, variant (b))" })
    .option('ftbc-alpha', { type: 'number', describe: 'FTBC step size per update [default: 0.4 batch, 0.5 step]' })
    .option('ftbc-batches', { type: 'number', describe: 'FTBC calibration batches per pass [default: 3 batch, 10 step]' })
    .option('ftbc-batch-size', { type: 'number', describe: 'FTBC samples per batch, cycling through --calib [default: 200 batch, 128 step]' })
    .option('ftbc-iterations', { type: 'number', describe: "FTBC passes over the batches; with the batch rule, passes after the first keep each layer's own table on (toward the fixed point) [default: 1 batch, 5 step]" })
    .option('tpp', { choices: ['none', ...TPP_RULES] as const, default: 'none', describe: 'two-phase neurons on the layer-major schedule (Bojković et al. 2025): p = v/(θ·steps left) (remaining, rule A), v/(θT) i.i.d. (rule B), or deterministic: a spike while v >= θ/2 (round)' })
    .option('tpp-start', { choices: ['zero', 'keep'] as const, default: TPP_DEFAULTS.start, describe: "TPP: drop the base method's rounding offsets (v0 = θ/2, θ/2T; zero) or keep them; also applies to +tpp in --methods" })
    .option('tpp-seed', { type: 'number', default: TPP_DEFAULTS.seed, describe: "TPP: seed of the counter-based generator (uint32); also applies to +tpp in --methods" });
}

/** The method options that --method replaces, with the value that leaves a method as it is (their defaults). */
const METHOD_FLAGS: readonly [string, unknown][] = [
  ['threshold', 'channel-percentile'],
  ['percentile', 99.9],
  ['reset', DEFAULT_CONVERT.reset],
  ['init', 'half'],
  ['shift', false],
  ['calibration', 'none'],
  ['weight-calibration', false],
  ['ftbc', false],
  ['ftbc-update', 'batch'],
  ['ftbc-alpha', undefined],
  ['ftbc-batches', undefined],
  ['ftbc-batch-size', undefined],
  ['ftbc-iterations', undefined],
  ['tpp', 'none'],
  ['replicas', 1],
];

/** The TPP settings the options ask for, given a rule. */
function tppFrom(args: Record<string, unknown>, rule: TppRule): TppSettings {
  return { rule, start: (args['tpp-start'] ?? TPP_DEFAULTS.start) as TppSettings['start'], seed: Number(args['tpp-seed'] ?? TPP_DEFAULTS.seed) };
}

/** FTBC settings from the options: each one not given takes its update rule's default. */
function ftbcFrom(args: Record<string, unknown>): FtbcSettings {
  const update = args['ftbc-update'] === 'step' ? 'step' : 'batch';
  const d = update === 'step' ? FTBC_STEP_DEFAULTS : FTBC_DEFAULTS;
  const given = (flag: string, fallback: number): number => (args[flag] === undefined ? fallback : Number(args[flag]));
  const iterations = given('ftbc-iterations', d.iterations ?? 1);
  return { alpha: given('ftbc-alpha', d.alpha), batches: given('ftbc-batches', d.batches), batchSize: given('ftbc-batch-size', d.batchSize), ...(iterations !== 1 ? { iterations } : {}), ...(update === 'step' ? { update } : {}) };
}

/** FTBC's settings without `--ftbc` would be silently unused: refused instead. */
function refuseUnusedFtbcOptions(args: Record<string, unknown>): undefined {
  const given = METHOD_FLAGS.filter(([name, neutral]) => name.startsWith('ftbc-') && args[name] !== undefined && args[name] !== neutral).map(([name]) => `--${name}`);
  if (given.length) throw new SnncError('SNN0407', `${given.join(', ')} configure${given.length === 1 ? 's' : ''} FTBC, which runs only with --ftbc; add --ftbc or drop ${given.length === 1 ? 'it' : 'them'}`);
  return undefined;
}

/** The composition step that names FTBC settings (the nearest preset step: the numbers are in the description). */
function ftbcStepName(f: FtbcSettings): string {
  return f.update === 'step' ? '+ftbc-step' : (f.iterations ?? 1) > 1 ? '+ftbc-iter' : '+ftbc';
}

export function methodFrom(args: Record<string, unknown>): Method {
  if (args.method !== undefined) {
    refuseMethodOptions(args, '--method', 'the whole method');
    const named = namedMethods(args, String(args.method));
    if (named.length !== 1) throw new SnncError('SNN0407', `--method takes one method, found ${named.length} ('${String(args.method)}'); eval --methods compares several`);
    return named[0];
  }
  const init = String(args.init);
  const vinit = init === 'half' ? 0.5 : Number(init);
  if (!Number.isFinite(vinit)) throw new SnncError('SNN0407', `--init '${init}' is not 0, half or a number`);
  const p = Number(args.percentile);
  if (!(p > 0 && p <= 100)) throw new SnncError('SNN0407', `--percentile ${args.percentile} must be in (0, 100]`);
  const kind = args.threshold as ThresholdRule['kind'];
  const threshold: ThresholdRule = kind === 'max' || kind === 'mmse' || kind === 'channel-mmse' ? { kind } : { kind, p };
  const reset = args.reset as Method['reset'];
  const ftbc = args.ftbc ? ftbcFrom(args) : refuseUnusedFtbcOptions(args);
  const calibration = args.calibration === 'light' || args.calibration === 'advanced' ? args.calibration : undefined;
  const thresholdName = { max: 'max', percentile: `p${p}`, 'channel-percentile': `chp${p}`, mmse: 'mmse', 'channel-mmse': 'chmmse' }[kind];
  const tpp = TPP_RULES.includes(args.tpp as TppRule) ? tppFrom(args, args.tpp as TppRule) : undefined;
  // the weights are fitted to the network that runs: after TPP when there is one
  const wc = Boolean(args['weight-calibration']);
  const replicas = Number(args.replicas ?? 1);
  if (!(Number.isInteger(replicas) && replicas >= 1 && replicas <= 4)) throw new SnncError('SNN0407', `--replicas ${args.replicas} must be an integer from 1 to 4`);
  const name = `${thresholdName}-${reset}${vinit === 0.5 ? '-half' : vinit !== 0 ? `-v${vinit}` : ''}${args.shift ? '-shift' : ''}${replicas > 1 ? `+rep${replicas}` : ''}${wc && !tpp ? '+calib-weights' : ''}${calibration ? `+calib-${calibration}` : ''}${ftbc ? ftbcStepName(ftbc) : ''}${tpp ? TPP_STEP_NAMES[tpp.rule] : ''}${wc && tpp ? '+calib-weights' : ''}`;
  const weights = wc ? { weightCalibration: WEIGHT_CALIBRATION_DEFAULTS, ...(tpp ? { weightCalibrationOnTpp: true } : {}) } : {};
  return { name, threshold, reset, vinit, shift: Boolean(args.shift), readout: args.readout as Method['readout'], maxpool: args.maxpool as Method['maxpool'], ...qcfsThresholdFrom(args), ...weights, ...(calibration ? { calibration } : {}), ...(ftbc ? { ftbc } : {}), ...(tpp ? { tpp } : {}), ...(replicas > 1 ? { replicas } : {}) };
}

/** `--qcfs-threshold rule` as the method field (absent: QCFS activations keep θ = λ). */
function qcfsThresholdFrom(args: Record<string, unknown>): Pick<Method, 'qcfsThreshold'> {
  return args['qcfs-threshold'] === 'rule' ? { qcfsThreshold: 'rule' } : {};
}

export function methodsFrom(args: Record<string, unknown>): Method[] {
  if (!args.methods) return [methodFrom(args)];
  refuseMethodOptions(args, '--methods', 'whole methods');
  return namedMethods(args, String(args.methods));
}

/**
 * A name says the whole method: an option that would change it is a contradiction, not a tweak,
 * and is refused rather than ignored. (`--maxpool`, `--readout`, `--qcfs-threshold` and the TPP
 * generator's options are not part of a name: they apply to every named method.)
 */
function refuseMethodOptions(args: Record<string, unknown>, flag: '--method' | '--methods', what: string): void {
  const clash = METHOD_FLAGS.filter(([name, neutral]) => args[name] !== undefined && args[name] !== neutral).map(([name]) => `--${name}`);
  if (clash.length) throw new SnncError('SNN0407', `${flag} ${String(args[flag.slice(2)])} names ${what}; drop ${clash.join(', ')} (or drop ${flag} and give the options)`);
}

/** The named methods, with the options that apply to every one of them. */
function namedMethods(args: Record<string, unknown>, names: string): Method[] {
  const structure = {
    ...(args.maxpool !== undefined && args.maxpool !== DEFAULT_CONVERT.maxpool ? { maxpool: args.maxpool as Method['maxpool'] } : {}),
    ...(args.readout !== undefined && args.readout !== DEFAULT_CONVERT.readout ? { readout: args.readout as Method['readout'] } : {}),
    ...qcfsThresholdFrom(args),
  };
  return presetsByName(names).map((m) => ({ ...m, ...structure, ...(m.tpp ? { tpp: tppFrom(args, m.tpp.rule) } : {}) }));
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

/**
 * --input-scale maps uint8 pixels; float files are the model's input as they are. A scale given
 * where every file is float would be silently unused (or, as users expect, applied a second
 * time): refuse it and say what to pass instead.
 */
export function checkScaleUsed(args: Record<string, unknown>, files: readonly { path: string; images: { readonly scale?: number } }[]): void {
  // a file of uint8 pixels is read with a scale; float values are the input as they are
  if (args['input-scale'] === undefined || files.some((f) => f.images.scale !== undefined)) return;
  const names = files.map((f) => f.path).join(' and ');
  throw new SnncError('SNN0407', `${names} ${files.length > 1 ? 'hold' : 'holds'} float values, which are the model's input as they are; --input-scale maps uint8 pixels only (drop it; for the integer input's step, pass --input-step)`);
}

/** NIR import options (--dt, --nir-input) for a model file that may be .nir. */
export function nirOptions(a: Argv): Argv {
  return a
    .option('dt', { type: 'number', default: NIR_DEFAULT_DT, describe: 'NIR: seconds per step (continuous-time τ and R are discretised with it; docs/nir.md)' })
    .option('nir-input', { choices: ['temporal', 'static'] as const, default: 'temporal', describe: 'NIR: one input frame per step (data [N, T, ...]) or one value repeated at every step' });
}

export function modelOptionsOf(args: Record<string, unknown>, steps?: number): ModelOptions {
  return { nir: { dt: Number(args.dt ?? NIR_DEFAULT_DT), input: (args['nir-input'] as 'temporal' | 'static' | undefined) ?? 'temporal', ...(steps !== undefined ? { steps } : {}), onWarning: (code, message) => warn(code, message) } };
}

/**
 * The calibration data of --calib, streamed a chunk at a time: memory does not grow with the
 * file (it stays open until the process ends). `alone`: check --input-scale against this file by itself.
 */
export function loadCalib(args: Record<string, unknown>, input: InputSpec, alone = true): CalibrationData {
  if (args.calib === undefined) throw new SnncError('SNN0407', 'an ANN is converted with calibration data: pass --calib X.npy');
  const calib = streamImages(String(args.calib), input, scaleOf(args), args['calib-limit'] as number | undefined);
  if (alone) checkScaleUsed(args, [{ path: String(args.calib), images: calib }]);
  return calib;
}

/** Test data and labels; with the calibration data, the scale check covers both files and their ranges are compared. */
export function loadEvalData(args: Record<string, unknown>, input: InputSpec, calib?: CalibrationData): { data: Images; labels: Int32Array } {
  const data = loadImages(String(args.data), input, scaleOf(args), args.limit as number | undefined);
  checkScaleUsed(args, [...(calib ? [{ path: String(args.calib), images: calib }] : []), { path: String(args.data), images: data }]);
  const labels = loadLabels(String(args.labels), data.count, undefined, args.limit === undefined);
  if (calib) warnIfRangesDiffer(valueRange(calib), valueRange(data), String(args.calib), String(args.data));
  return { data, labels };
}

/**
 * Two data sets meant for one model whose largest magnitudes differ by more than 4x were most
 * likely scaled differently (0..1 against 0..255): say so, naming both ranges.
 */
export function warnIfRangesDiffer(a: { min: number; max: number }, b: { min: number; max: number }, aName: string, bName: string): void {
  const mag = (r: { min: number; max: number }): number => Math.max(Math.abs(r.min), Math.abs(r.max));
  const ma = mag(a);
  const mb = mag(b);
  if (ma === 0 || mb === 0 ? ma !== mb : mb / ma > 4 || ma / mb > 4) {
    warn('SNN0410', `${aName} spans [${a.min}, ${a.max}] but ${bName} spans [${b.min}, ${b.max}] as the model sees them; were they scaled the same way (--input-scale applies to uint8 files only)?`);
  }
}

/** The input step of a given spiking network (from NIR): --input-step, or 1 (spikes, 0/1 frames). */
export function spikingInputStep(args: Record<string, unknown>): number {
  return args['input-step'] !== undefined ? parseScale(String(args['input-step']), '--input-step') : 1;
}

/**
 * The real value of one step of the integer input. uint8 calibration data feed the integer
 * input as they are, so the step defaults to their --input-scale; float data need --input-step.
 */
export function inputStepOf(args: Record<string, unknown>, calib: { readonly scale?: number }): number {
  const step = args['input-step'] !== undefined ? parseScale(String(args['input-step']), '--input-step') : undefined;
  if (step === undefined) {
    if (calib.scale !== undefined) return calib.scale;
    throw new SnncError('SNN0407', `${String(args.calib)} holds float values: pass --input-step, the real value of one step of the integer input (e.g. 1/255 for [0, 1] data made from 8-bit pixels)`);
  }
  if (calib.scale !== undefined && Math.abs(step - calib.scale) > 1e-12 * calib.scale) {
    warn('SNN0410', `--input-step ${step} differs from --input-scale ${calib.scale}: integer inputs are round(pixel × ${calib.scale} / ${step}), not the pixels themselves`);
  }
  return step;
}
