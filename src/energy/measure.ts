/**
 * Energy and latency of a compiled network on a data set, at each requested T: run the integer
 * interpreter with activity counting (and, for a core target, the cycle-level simulator), then
 * price the counts (estimate.ts). One run of T_max steps answers every T ≤ T_max by prefix sums,
 * which is right for networks whose dynamics do not depend on T (the caller compiles one network
 * per T otherwise). A layer-major (TPP) network answers only its own T, and an inference is its
 * whole schedule, runSteps = (depth + 1)·T global steps: every count, the static energy and the
 * latency span those steps.
 */
import { SnncError } from '../../ir/diagnostics.js';
import { isLayerMajor, readoutStep, runSteps } from '../../ir/tpp.js';
import type { Graph } from '../../ir/types.js';
import type { OverflowReport } from '../../ir/interp-fixed.js';
import { compileForCore, CoreSimulator, CycleTally, runSample } from '../../targets/core/index.js';
import type { CoreImage } from '../../targets/core/image.js';
import type { CoreDesc } from '../../targets/core/desc.js';
import { accuracy } from '../data/dataset.js';
import type { IntSamples } from '../data/integer.js';
import { simulateFixed } from '../exec/run-fixed.js';
import { saturationEffect, type SaturationEffect } from '../exec/saturation-effect.js';
import type { Activity } from './activity.js';
import { priceActivity, priceCoreRun, type CoreCounts, type SnnEnergy } from './estimate.js';
import type { EnergyProfile } from './profile.js';

export interface EnergyPoint {
  readonly T: number;
  /** Integer network accuracy at T (when labels were given). */
  readonly accuracy?: number;
  readonly snn: SnnEnergy;
  /** Spikes per neuron per step, per population. */
  readonly firingRates: { readonly id: string; readonly rate: number }[];
}

export interface MeasureOptions {
  readonly labels?: Int32Array;
  readonly threads: number;
  /** A core target: its description (the simulator's counts are priced); absent: the C target. */
  readonly core?: CoreDesc;
  readonly onProgress?: (phase: string, total: number) => (n: number) => void;
}

/** Spikes per neuron per step of T-step firing, per population, over the first `steps` global steps. */
function firingRates(a: Activity, steps: number, T: number): { id: string; rate: number }[] {
  const spikes = spikesUpTo(a, steps);
  return a.nodes.filter((n) => n.role === 'population').map((n) => ({ id: n.id, rate: spikes.get(n.id)! / (n.size * T) }));
}

/** Spikes per inference of each population over the first `steps` global steps. */
function spikesUpTo(a: Activity, steps: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const n of a.nodes) {
    if (n.role !== 'population') continue;
    let s = 0;
    for (let t = 0; t < steps; t++) s += n.spikes[t];
    out.set(n.id, s / Math.max(1, a.samples));
  }
  return out;
}

/** One compiled network and the T values it answers. */
export interface EnergyRun {
  readonly fixed: Graph;
  readonly steps: readonly number[];
  /** Its core image when one was already built (a compiled folder's model.img); made here otherwise. */
  readonly image?: CoreImage;
}

/** Runs `fixed` (compiled for T_max = fixed.steps) on the samples and prices every T in `steps`. */
export async function measureEnergy({ fixed, steps, image }: EnergyRun, samples: IntSamples, profile: EnergyProfile, o: MeasureOptions): Promise<{ points: EnergyPoint[]; activity: Activity; overflow: OverflowReport[]; effect: SaturationEffect | undefined }> {
  const other = isLayerMajor(fixed) ? steps.find((t) => t !== fixed.steps) : undefined;
  if (other !== undefined) throw new SnncError('SNN0407', `a layer-major (TPP) network of T=${fixed.steps} answers only at T=${fixed.steps}, not at T=${other}: convert it once per T`);
  // global steps of a T-step inference: T itself, or the layer-major schedule's whole length
  const span = (T: number): number => readoutStep(fixed, T) ?? runSteps(fixed);
  const tick = (phase: string, total: number): ((n: number) => void) => o.onProgress?.(phase, total) ?? (() => {});
  const Ts = [...new Set(steps)].sort((a, b) => a - b);
  const run = await simulateFixed(fixed, samples, Ts, o.threads, tick(`count T=${fixed.steps}`, samples.count), true);
  const activity = run.activity!;
  let core: ((T: number) => CoreCounts) | undefined;
  if (o.core) {
    const sim = new CoreSimulator(image ?? compileForCore(fixed, o.core).image);
    const tally = new CycleTally();
    const done = tick(`core simulator T=${fixed.steps}`, samples.count);
    for (let s = 0; s < samples.count; s++) {
      runSample(sim, tally, samples.data, s * samples.size);
      done(1);
    }
    const unitNodes = fixed.nodes.filter((n) => n.op === 'if' || n.op === 'readout');
    const n = Math.max(1, samples.count);
    const ua = sim.unitActivity;
    const units = unitNodes.map((node, k) => ({
      id: node.id,
      op: node.op,
      role: node.op === 'if' ? ('population' as const) : ('readout' as const),
      loadSynops: ua.loadSynops[k] / n,
      synops: ua.synops[k] / n,
      packets: ua.packets[k] / n,
      hops: ua.hops[k] / n,
      updates: ua.updates[k] / n,
    }));
    core = (global) => ({ ...tally.work(sim, global), ...(global === span(fixed.steps!) ? { units } : {}) });
  }
  const points = Ts.map((T, k) => {
    const snn = core ? priceCoreRun(core(span(T)), spikesUpTo(activity, span(T)), profile) : priceActivity(activity, span(T), profile);
    return { T, ...(o.labels ? { accuracy: accuracy(run.predictions[k], o.labels) } : {}), snn, firingRates: firingRates(activity, span(T), T) };
  });
  return { points, activity, overflow: run.overflow, effect: await saturationEffect(fixed, samples, run, o.threads, () => tick(`wide registers T=${fixed.steps}`, samples.count)) };
}
