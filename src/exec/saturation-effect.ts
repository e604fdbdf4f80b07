/**
 * What a run-time saturation changed. A register that saturates (or wraps) is counted by every
 * executor (SNN0206), but a count cannot tell a harmless saturation — a membrane clamped while its
 * neuron fires at every step anyway — from one that changes spikes downstream. So when a run
 * saturated, the same samples go through the same network with registers too wide to narrow
 * (ir/wide-registers.ts) on the reference interpreter, and the two readouts are compared sample by
 * sample at every checkpoint: equal readouts mean the saturation changed no result on these
 * samples; otherwise the effect is the number of samples whose readout, and whose predicted class,
 * differ. (It costs a second interpreter run, made only when something saturated.)
 */
import { argmaxRows } from '../data/dataset.js';
import type { IntSamples } from '../data/integer.js';
import { withWideRegisters } from '../../ir/wide-registers.js';
import type { OverflowReport } from '../../ir/interp-fixed.js';
import type { Graph } from '../../ir/types.js';
import { simulateFixed } from './run-fixed.js';

export interface SaturationEffect {
  /** Sample runs compared (samples, times the runs summed). */
  readonly samples: number;
  /** Sample runs whose readout differs from the wide-register network's at some checkpoint. */
  readonly readouts: number;
  /** Sample runs whose predicted class differs at some checkpoint. */
  readonly classes: number;
}

/** A narrowed run: its readout sums per checkpoint T, [samples x outputs], and what saturated. */
export interface NarrowedRun {
  readonly checkpoints: readonly number[];
  readonly readouts: readonly Float64Array[];
  readonly overflow: readonly OverflowReport[];
}

/**
 * Compare `narrowed` (a run of `g` on `samples` by any executor) with the wide-register network's
 * run (`progress` makes the second run's progress callback); no effect, without a second run,
 * when nothing saturated. Undefined when even the wide network overflowed (values beyond 2^52:
 * nothing to compare with).
 */
export async function saturationEffect(g: Graph, samples: IntSamples, narrowed: NarrowedRun, threads: number, progress?: () => (n: number) => void): Promise<SaturationEffect | undefined> {
  const n = samples.count;
  if (!narrowed.overflow.some((u) => u.acc || u.v)) return { samples: n, readouts: 0, classes: 0 };
  const wide = await simulateFixed(withWideRegisters(g), samples, narrowed.checkpoints, threads, progress?.());
  if (wide.overflow.some((u) => u.acc || u.v)) return undefined;
  const readouts = new Uint8Array(n);
  const classes = new Uint8Array(n);
  narrowed.checkpoints.forEach((t, k) => {
    const w = wide.readouts[wide.checkpoints.indexOf(t)];
    const r = narrowed.readouts[k];
    if (w.length !== r.length) throw new Error(`internal: readouts of ${r.length} and ${w.length} values at T=${t}`);
    const size = r.length / Math.max(1, n);
    for (let s = 0; s < n; s++) {
      for (let j = s * size; j < (s + 1) * size; j++) {
        if (w[j] !== r[j]) {
          readouts[s] = 1;
          break;
        }
      }
    }
    const pw = argmaxRows(w, n, size);
    const pr = argmaxRows(r, n, size);
    for (let s = 0; s < n; s++) if (pw[s] !== pr[s]) classes[s] = 1;
  });
  const count = (a: Uint8Array): number => a.reduce((x, b) => x + b, 0);
  return { samples: n, readouts: count(readouts), classes: count(classes) };
}

/** The effects of several runs summed; undefined when any is unknown. */
export function sumEffects(effects: readonly (SaturationEffect | undefined)[]): SaturationEffect | undefined {
  if (effects.some((e) => !e)) return undefined;
  return effects.reduce<SaturationEffect>((a, e) => ({ samples: a.samples + e!.samples, readouts: a.readouts + e!.readouts, classes: a.classes + e!.classes }), { samples: 0, readouts: 0, classes: 0 });
}

/** The effect in words, for the SNN0206 warning and the HTML report (`runs` > 1: sample runs summed over runs). */
export function describeEffect(e: SaturationEffect | undefined, runs = 1): string {
  if (!e) return 'whether it changed a result is not known (the same network with 53-bit registers overflowed too)';
  const of = `${e.samples} ${runs > 1 ? `sample runs (${runs} runs)` : 'samples'}`;
  if (!e.readouts) return `the same network with registers too wide to saturate gives the same readout on all ${of}: no result changed`;
  return `against the same network with registers too wide to saturate, the readout differs on ${e.readouts} and the predicted class on ${e.classes} of ${of}`;
}
