/**
 * The energy section of a report: the SNN at each T against the ANN it came from, per kind of
 * energy, per layer at the largest T, with the profile's figures and sources and the
 * assumptions in one paragraph. `snnc energy` prints it; `snnc compile --data` stores it in
 * report.json; `snnc report` draws it.
 */
import { isLayerMajor } from '../../ir/tpp.js';
import type { Target } from '../../targets/index.js';
import type { IntSamples } from '../data/integer.js';
import type { Activity } from './activity.js';
import { sumOverflow, type OverflowReport } from '../../ir/interp-fixed.js';
import { sumEffects, type SaturationEffect } from '../exec/saturation-effect.js';
import { assumptions, priceAnn, type AnnEnergy, type Breakdown } from './estimate.js';
import { measureEnergy, type EnergyPoint, type EnergyRun, type MeasureOptions } from './measure.js';
import { coreProfile, loadProfile, type EnergyProfile } from './profile.js';

export const DEFAULT_PROFILE = '45nm-int8';

export interface ProfileJson {
  readonly name: string;
  readonly summary: string;
  readonly figures: Record<string, { value: number; source: string }>;
}

export interface EnergyReport {
  readonly target: string;
  readonly images: number;
  readonly profile: ProfileJson;
  readonly annProfile: ProfileJson;
  readonly assumptions: string;
  readonly ann: AnnEnergy;
  /** One per T, ascending: the SNN's counts and energy, its accuracy and firing rates, and SNN/ANN ratios. */
  readonly points: (EnergyPoint & { readonly ratio: Breakdown })[];
  /** The integer runs (one per compiled network) and where they saturated or wrapped, counts summed over them. */
  readonly runs: number;
  readonly overflow: OverflowReport[];
  /** What the saturations changed against registers too wide to saturate (null: unknown; absent in older reports). */
  readonly saturationEffect?: SaturationEffect | null;
  /** Per layer and per step t = 1..T of the largest T (means per inference): spikes and SOPs. */
  readonly perStep: { readonly id: string; readonly op: string; readonly spikes?: number[]; readonly sops?: number[] }[];
}

/** Per-step means of the nodes that spike or make SOPs. */
function perStep(a: Activity): EnergyReport['perStep'] {
  const mean = (x: Float64Array): number[] => Array.from(x, (v) => v / Math.max(1, a.samples));
  return a.nodes
    .filter((n) => n.role === 'population' || n.role === 'projection')
    .map((n) => ({ id: n.id, op: n.op, ...(n.role === 'population' ? { spikes: mean(n.spikes) } : { sops: mean(n.sops) }) }));
}

function profileJson(p: EnergyProfile): ProfileJson {
  const { name, summary, basis: _basis, ...figures } = p;
  return { name, summary, figures };
}

/** SNN energy over ANN energy, per kind (0 where the ANN spends none of that kind). */
function ratios(snn: Breakdown, ann: Breakdown): Breakdown {
  const r = (a: number, b: number): number => (b > 0 ? a / b : 0);
  return { compute: r(snn.compute, ann.compute), memory: r(snn.memory, ann.memory), routing: 0, static: 0, total: r(snn.total, ann.total) };
}

/** The profiles a target is priced with: its core's figures, or a process profile (default 45nm-int8) for the C target. */
export function profilesFor(target: Target, profileName?: string): { snn: EnergyProfile; ann: EnergyProfile } {
  if (target.core) return { snn: coreProfile(target.core), ann: loadProfile(profileName ?? DEFAULT_PROFILE) };
  const p = loadProfile(profileName ?? DEFAULT_PROFILE);
  return { snn: p, ann: p };
}

/**
 * Runs: each compiled network with the T values it answers (one network answers every T ≤ its
 * own when its dynamics do not depend on T).
 */
export async function buildEnergyReport(runs: readonly EnergyRun[], samples: IntSamples, target: Target, o: MeasureOptions & { profile?: string }): Promise<EnergyReport> {
  const profiles = profilesFor(target, o.profile);
  const ann = priceAnn(runs[0].fixed, profiles.ann);
  const points: EnergyReport['points'][number][] = [];
  let last: { T: number; activity: Activity } | undefined;
  const overflow: OverflowReport[][] = [];
  const effects: (SaturationEffect | undefined)[] = [];
  for (const r of runs) {
    const { points: ps, activity, overflow: counted, effect } = await measureEnergy(r, samples, profiles.snn, { ...o, ...(target.core ? { core: target.core } : {}) });
    overflow.push(counted);
    effects.push(effect);
    for (const p of ps) points.push({ ...p, ratio: ratios(p.snn.joules, ann.joules) });
    if (!last || r.fixed.steps! > last.T) last = { T: r.fixed.steps!, activity };
  }
  points.sort((a, b) => a.T - b.T);
  return { target: target.name, images: samples.count, profile: profileJson(profiles.snn), annProfile: profileJson(profiles.ann), assumptions: assumptions(profiles.snn, profiles.ann, { temporal: runs[0].fixed.nodes.some((n) => n.op === 'input' && n.attrs.temporal === true), layerMajor: isLayerMajor(runs[0].fixed) }), ann, points, runs: runs.length, overflow: sumOverflow(overflow), saturationEffect: sumEffects(effects) ?? null, perStep: last ? perStep(last.activity) : [] };
}

const uj = (j: number): string => (j * 1e6).toFixed(3);
const big = (x: number): string => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));

/** Two tables: per T (counts, energy per kind, ratio to the ANN), and per layer at the largest T. */
export function formatEnergyReport(r: EnergyReport): string {
  const lines: string[] = [];
  lines.push(`energy per inference on ${r.target}, priced with ${r.profile.name} (ANN: ${r.annProfile.name}), means over ${r.images} samples`);
  lines.push(`ANN: ${big(r.ann.macs)} MACs, ${uj(r.ann.joules.total)} µJ (compute ${uj(r.ann.joules.compute)}, memory ${uj(r.ann.joules.memory)})`);
  lines.push('');
  const head = ['T', 'acc %', 'spikes', 'SOPs', 'MACs', 'hops', 'compute µJ', 'memory µJ', 'routing µJ', 'static µJ', 'total µJ', 'SNN/ANN', 'latency'];
  const rows = r.points.map((p) => {
    const c = p.snn.counts;
    const j = p.snn.joules;
    const lat = p.snn.latency.seconds !== undefined ? `${(p.snn.latency.seconds * 1e3).toFixed(3)} ms` : `${p.snn.latency.steps} step${p.snn.latency.steps === 1 ? '' : 's'}`;
    return [String(p.T), p.accuracy !== undefined ? (p.accuracy * 100).toFixed(2) : '-', big(c.spikes), big(c.sops), big(c.macs), big(c.hops), uj(j.compute), uj(j.memory), uj(j.routing), uj(j.static), uj(j.total), p.ratio.total.toFixed(3), lat];
  });
  lines.push(...table(head, rows));
  const last = r.points.at(-1);
  if (last?.snn.layers) {
    lines.push('', `per layer at T=${last.T}`);
    const lrows = last.snn.layers.map((l) => [l.id.slice(0, 30), l.op, big(l.counts.spikes), big(l.counts.sops), big(l.counts.macs), big(l.counts.updates), uj(l.joules.compute), uj(l.joules.memory), uj(l.joules.routing), uj(l.joules.total)]);
    lines.push(...table(['layer', 'op', 'spikes', 'SOPs', 'MACs', 'updates', 'compute µJ', 'memory µJ', 'routing µJ', 'total µJ'], lrows));
  }
  lines.push('', r.assumptions);
  return `${lines.join('\n')}\n`;
}

function table(head: string[], rows: string[][]): string[] {
  const w = head.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const fmt = (r: string[]): string => r.map((x, k) => (k === 0 ? x.padEnd(w[k]) : x.padStart(w[k]))).join('  ');
  return [fmt(head), ...rows.map(fmt)];
}
