/**
 * Accuracy against time steps: ANN reference, then for each conversion method the SNN at every
 * requested T. Methods whose dynamics do not depend on T run once to max T and are read at each
 * checkpoint; T-dependent ones (the θ/(2T) shift) are converted and run once per T.
 */
import { SnncError } from '../ir/diagnostics.js';
import type { Graph } from '../ir/types.js';
import { accuracy, argmaxRows, type Images, type SampleSource } from './data/dataset.js';
import { runAnnBatched } from './exec/run-ann.js';
import { simulateFloat } from './exec/run-snn.js';
import { dependsOnT, type Method } from './methods.js';
import type { ActivationStats } from './passes/calibrate.js';
import { calibrate, toFixed, toSnn, type FixedOptions, type NeuronRoundingRule, type WeightRoundingRule } from './pipeline.js';
import { simulateFixed } from './exec/run-fixed.js';
import { saturationEffect, sumEffects, type SaturationEffect } from './exec/saturation-effect.js';
import { arrivalDelay } from './passes/insert-delays.js';
import { simulatePermuted, type PermuteSettings } from './exec/permute.js';
import { integerSamples } from './data/integer.js';
import type { TargetDesc } from '../targets/target.js';
import type { AnnForward } from './exec/ort-forward.js';
import { sumOverflow, type OverflowReport } from '../ir/interp-fixed.js';

export interface SnnPoint {
  readonly T: number;
  readonly accuracy: number;
  /** Spikes per neuron per step, one entry per neuron population in graph order. */
  readonly spikeRate: number[];
}

export interface MethodResult {
  readonly method: Method;
  readonly layers: string[];
  readonly snn: SnnPoint[];
  /** The integer network (when a target is given): accuracy at each T. */
  readonly fixed?: { readonly T: number; readonly accuracy: number }[];
  /** Where the integer network saturated or wrapped at run time (counts over all its runs; empty: nowhere). */
  readonly fixedOverflow?: OverflowReport[];
  /** What the saturations changed (summed over the runs; undefined when unknown). */
  readonly fixedSaturation?: SaturationEffect;
  /** Steps late the integer network's output hears its input on a delay-1 target (passes/insert-delays.ts; 0: none). */
  readonly fixedArrival?: number;
  /** The float SNN with every layer's spike trains shuffled in time (the misalignment experiment). */
  readonly permuted?: { readonly T: number; readonly accuracy: number }[];
}

export interface EvalResult {
  readonly ann: { readonly accuracy: number };
  readonly images: number;
  readonly methods: MethodResult[];
  readonly seconds: number;
}

export interface EvalOptions {
  /** Loaded whole or streamed. */
  readonly calib: Images | SampleSource;
  readonly data: Images;
  readonly labels: Int32Array;
  readonly steps: readonly number[];
  readonly methods: readonly Method[];
  readonly threads: number;
  /** Calibration's forward pass (default auto). */
  readonly annForward?: AnnForward;
  /** Also quantize for this target and run the integer interpreter. */
  readonly fixed?: { readonly target: TargetDesc; readonly weightBits?: number; readonly granularity?: 'channel' | 'tensor'; readonly weightRounding?: WeightRoundingRule; readonly neuronRounding?: NeuronRoundingRule; readonly inputScale: number };
  /** Also run the temporal-misalignment experiment (permute.ts) at every T. */
  readonly permute?: Omit<PermuteSettings, 'steps'>;
  /** Reports progress as (phase, samples done, samples total of the phase). */
  readonly progress?: (phase: string, total: number) => (n: number) => void;
}

/** The float spiking network quantized for a target, and its accuracy on the data at each checkpoint. */
async function integerAccuracy(snn: Graph, f: NonNullable<EvalOptions['fixed']>, o: Pick<EvalOptions, 'data' | 'labels' | 'threads'> & { calib?: Images | SampleSource; measureProgress?: FixedOptions['progress'] }, cps: readonly number[], onProgress: (n: number) => void, wideProgress: () => (n: number) => void): Promise<{ points: { T: number; accuracy: number }[]; overflow: OverflowReport[]; effect: SaturationEffect | undefined; arrival: number }> {
  const g = toFixed(snn, f.target, {
    inputScale: f.inputScale,
    ...(f.weightBits ? { weightBits: f.weightBits } : {}),
    ...(f.granularity ? { granularity: f.granularity } : {}),
    ...(f.weightRounding ? { weightRounding: f.weightRounding } : {}),
    ...(f.neuronRounding ? { neuronRounding: f.neuronRounding } : {}),
    ...(o.calib ? { calib: o.calib } : {}),
    ...(o.measureProgress ? { progress: o.measureProgress } : {}),
  });
  const samples = integerSamples(g, o.data);
  const q = await simulateFixed(g, samples, cps, o.threads, onProgress);
  const effect = await saturationEffect(g, samples, q, o.threads, wideProgress);
  return { points: q.checkpoints.map((t, k) => ({ T: t, accuracy: accuracy(q.predictions[k], o.labels) })), overflow: q.overflow, effect, arrival: arrivalDelay(g) };
}

/** `ann`: the network after prepareAnn, in whose input layout the data sets are. */
export async function evaluate(ann: Graph, o: EvalOptions): Promise<EvalResult> {
  const start = performance.now();
  const tick = (phase: string, total: number): ((n: number) => void) => o.progress?.(phase, total) ?? (() => {});
  const annOut = await runAnnBatched(ann, o.data, o.threads, tick('ann', o.data.count));
  const classes = annOut.data.length / o.data.count;
  const bad = o.labels.findIndex((l) => l >= classes);
  if (bad >= 0) throw new SnncError('SNN0404', `label ${o.labels[bad]} at index ${bad} is not one of the model's ${classes} classes`);
  const annAcc = accuracy(argmaxRows(annOut.data, o.data.count, classes), o.labels);
  const stats: ActivationStats = await calibrate(ann, o.calib, o.threads, tick('calibrate', o.calib.count), o.annForward);
  const steps = [...new Set(o.steps)].sort((a, b) => a - b);
  const methods: MethodResult[] = [];
  for (const m of o.methods) {
    const points: SnnPoint[] = [];
    let layers: string[] = [];
    const runs = dependsOnT(m) ? steps.map((t) => [t]) : [steps];
    const fixed: { T: number; accuracy: number }[] = [];
    const overflow: OverflowReport[][] = [];
    const effects: (SaturationEffect | undefined)[] = [];
    let arrival = 0;
    const permuted: { T: number; accuracy: number }[] = [];
    for (const cps of runs) {
      const T = Math.max(...cps);
      const snn = toSnn(ann, stats, m, T, o.calib, (total) => tick(`${m.name} calibration T=${T}`, total));
      const r = await simulateFloat(snn, o.data, cps, o.threads, tick(`${m.name} T=${cps.length > 1 ? cps.join(',') : T}`, o.data.count));
      layers = r.populations.map((p) => p.id);
      r.checkpoints.forEach((t, k) => points.push({ T: t, accuracy: accuracy(r.predictions[k], o.labels), spikeRate: r.spikeRates[k] }));
      // a TPP network already fires at random steps: the permutation compares IF networks only
      for (const t of o.permute && !m.tpp ? cps : []) {
        const sums = await simulatePermuted(snn, o.data, { ...o.permute!, steps: t }, o.threads, tick(`${m.name} permuted T=${t}`, o.data.count));
        permuted.push({ T: t, accuracy: accuracy(argmaxRows(sums, o.data.count, classes), o.labels) });
      }
      if (o.fixed) {
        const measureProgress: FixedOptions['progress'] = (phase, total) => tick(`${m.name} ${phase} T=${T}`, total);
        const q = await integerAccuracy(snn, o.fixed, { ...o, measureProgress }, cps, tick(`${m.name} integer`, o.data.count), () => tick(`${m.name} integer, wide registers`, o.data.count));
        fixed.push(...q.points);
        overflow.push(q.overflow);
        effects.push(q.effect);
        arrival = Math.max(arrival, q.arrival);
      }
    }
    methods.push({ method: m, layers, snn: points, ...(o.fixed ? { fixed, fixedOverflow: sumOverflow(overflow), fixedSaturation: sumEffects(effects), fixedArrival: arrival } : {}), ...(o.permute ? { permuted } : {}) });
  }
  return { ann: { accuracy: annAcc }, images: o.data.count, methods, seconds: (performance.now() - start) / 1000 };
}

export interface SpikingEvalResult {
  readonly images: number;
  readonly layers: string[];
  readonly snn: SnnPoint[];
  readonly fixed?: { readonly T: number; readonly accuracy: number }[];
  readonly fixedOverflow?: OverflowReport[];
  /** What the saturations changed (summed over the runs; undefined when unknown). */
  readonly fixedSaturation?: SaturationEffect;
  /** Steps late the integer network's output hears its input on a delay-1 target (passes/insert-delays.ts; 0: none). */
  readonly fixedArrival?: number;
  readonly seconds: number;
}

/**
 * Accuracy of a given float spiking network (e.g. imported from NIR) at each checkpoint T, and of
 * its integer form when a target is given: there is no ANN to compare with, and no conversion.
 */
export async function evaluateSpiking(snn: Graph, o: Omit<EvalOptions, 'calib' | 'methods' | 'permute'>): Promise<SpikingEvalResult> {
  const start = performance.now();
  const tick = (phase: string, total: number): ((n: number) => void) => o.progress?.(phase, total) ?? (() => {});
  const cps = [...new Set(o.steps)].sort((a, b) => a - b);
  const over = cps.find((t) => t > snn.steps!);
  if (over !== undefined) throw new SnncError('SNN0407', `T=${over} is beyond the network's ${snn.steps} steps`);
  const r = await simulateFloat(snn, o.data, cps, o.threads, tick('snn', o.data.count));
  const points = r.checkpoints.map((t, k) => ({ T: t, accuracy: accuracy(r.predictions[k], o.labels), spikeRate: r.spikeRates[k] }));
  const q = o.fixed ? await integerAccuracy(snn, o.fixed, o, cps, tick('integer', o.data.count), () => tick('integer, wide registers', o.data.count)) : undefined;
  return { images: o.data.count, layers: r.populations.map((p) => p.id), snn: points, ...(q ? { fixed: q.points, fixedOverflow: sumOverflow([q.overflow]), fixedSaturation: q.effect, fixedArrival: q.arrival } : {}), seconds: (performance.now() - start) / 1000 };
}

/** A markdown table: one row per method (plus the ANN), one column per T. */
export function markdownTable(title: string, r: EvalResult, describe: (m: Method) => string): string {
  const Ts = r.methods[0]?.snn.map((p) => p.T) ?? [];
  const lines = [`### ${title}`, '', `ANN (float): **${(r.ann.accuracy * 100).toFixed(2)} %** on ${r.images} test images.`, ''];
  lines.push(`| method | ${Ts.map((t) => `T=${t}`).join(' | ')} | spikes/neuron/step at T=${Ts.at(-1)} |`);
  lines.push(`|---|${Ts.map(() => '---:').join('|')}|---:|`);
  for (const mr of r.methods) {
    const last = mr.snn.at(-1)!;
    const meanRate = last.spikeRate.reduce((a, b) => a + b, 0) / Math.max(1, last.spikeRate.length);
    lines.push(`| ${mr.method.name} | ${mr.snn.map((p) => (p.accuracy * 100).toFixed(2)).join(' | ')} | ${meanRate.toFixed(3)} |`);
    if (mr.fixed) lines.push(`| ${mr.method.name}, integer | ${mr.fixed.map((p) => (p.accuracy * 100).toFixed(2)).join(' | ')} | |`);
    if (mr.permuted) lines.push(`| ${mr.method.name}, trains shuffled in time | ${mr.permuted.map((p) => (p.accuracy * 100).toFixed(2)).join(' | ')} | |`);
  }
  lines.push('', ...r.methods.map((mr) => `- ${mr.method.name}: ${describe(mr.method)}`), '');
  return lines.join('\n');
}
