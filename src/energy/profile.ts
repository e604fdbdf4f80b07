/**
 * Energy profiles are data: per-operation energies with their sources. Two process-level
 * profiles ship in profiles/*.json (Horowitz's 45 nm figures, fp32 and int8); a core preset's
 * `energy` block gives the profile of that core, where the simulator's counts are what is priced.
 */
import type { CoreDesc } from '../../targets/core/desc.js';
import { descriptionFolder, descriptionReader, nonNegative, type DescriptionReader, type Sourced } from '../../targets/sourced.js';

export interface EnergyProfile {
  readonly name: string;
  readonly summary: string;
  /** graph: priced from the interpreter's counts (C target); core: from the core simulator's. */
  readonly basis: 'graph' | 'core';
  readonly perMacJ: Sourced<number>;
  readonly perSopJ: Sourced<number>;
  readonly perAddJ: Sourced<number>;
  readonly perNeuronUpdateJ: Sourced<number>;
  readonly perWeightReadJ: Sourced<number>;
  readonly perStateAccessJ: Sourced<number>;
  readonly perActivationJ: Sourced<number>;
  readonly perHopJ: Sourced<number>;
  readonly staticW: Sourced<number>;
}

const FIGURES = ['perMacJ', 'perSopJ', 'perAddJ', 'perNeuronUpdateJ', 'perWeightReadJ', 'perStateAccessJ', 'perActivationJ', 'perHopJ', 'staticW'] as const;

export function parseProfile(json: unknown, path: string): EnergyProfile {
  const r: DescriptionReader = descriptionReader('energy profile', path);
  if (typeof json !== 'object' || json === null) r.fail('not a JSON object');
  const o = json as Record<string, unknown>;
  const name = typeof o.name === 'string' ? o.name : r.fail('name must be a string');
  const figures = Object.fromEntries(FIGURES.map((k) => [k, r.field(o, k, nonNegative, 'a number >= 0 (joules, or watts for staticW)')])) as Record<(typeof FIGURES)[number], Sourced<number>>;
  return { name, summary: typeof o.summary === 'string' ? o.summary : '', basis: 'graph', ...figures };
}

const PROFILES = descriptionFolder('energy profile', new URL('./profiles/', import.meta.url), new URL('../../../src/energy/profiles/', import.meta.url), parseProfile);

export function profileNames(): string[] {
  return PROFILES.names();
}

export function loadProfile(name: string): EnergyProfile {
  return PROFILES.load(name);
}

/** The profile of a core: its synaptic op includes the weight fetch, its neuron update the state access. */
export function coreProfile(d: CoreDesc): EnergyProfile {
  const e = d.energy;
  const inside = (what: string): Sourced<number> => ({ value: 0, source: `included in the core's ${what} (${d.name} preset)` });
  return {
    name: `core:${d.name}`,
    summary: d.summary,
    basis: 'core',
    perMacJ: { value: e.perSynOpJ.value, source: `a graded input event delivered at load is priced as one synaptic op: ${e.perSynOpJ.source}` },
    perSopJ: e.perSynOpJ,
    perAddJ: inside('synaptic op (biases and merges are folded into the synapses and the bias table)'),
    perNeuronUpdateJ: e.perNeuronUpdateJ,
    perWeightReadJ: inside('per-synaptic-op energy'),
    perStateAccessJ: inside('per-neuron-update energy'),
    perActivationJ: { value: 0, source: 'not used: the ANN reference is priced on 45nm-int8' },
    perHopJ: e.perHopJ,
    staticW: e.staticW,
  };
}
