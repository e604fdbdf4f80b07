/**
 * Prices counted activity with an energy profile, per layer and per kind of energy:
 *
 *   compute = MACs·E_mac + SOPs·E_sop + updates·E_update + (bias adds + merges + resets)·E_add
 *   memory  = (MACs + weighted SOPs)·E_weight + updates·E_state
 *   routing = hops·E_hop                                 (core target; the C target has none)
 *   static  = P_static · latency                         (core target: the simulator's latency)
 *
 * On the C target (basis "graph") the counts are the interpreter's (activity.ts); a readout
 * update is one add. On a core (basis "core") they are the simulator's: synapse words fetched
 * (at load for the graded input, priced as MACs; at the steps as SOPs), neuron updates and hops,
 * and the core's figures already hold the weight fetch and the state access. The ANN reference
 * runs the same layers densely: MACs·E_mac + MACs·E_weight + activations·E_activation, with one
 * activation written and read per output of every convolution and dense layer.
 */
import { users } from '../../ir/builder.js';
import type { Graph } from '../../ir/types.js';
import { projectionCopies } from '../passes/replicate-neurons.js';
import type { CoreWork } from '../../targets/core/index.js';
import { nodeMacs } from '../report/summary.js';
import type { Activity, NodeActivity, NodeRole } from './activity.js';
import type { EnergyProfile } from './profile.js';

export interface Breakdown {
  readonly compute: number;
  readonly memory: number;
  readonly routing: number;
  readonly static: number;
  readonly total: number;
}

/** Per inference. */
export interface Counts {
  readonly macs: number;
  readonly sops: number;
  readonly spikes: number;
  readonly updates: number;
  readonly biasAdds: number;
  readonly merges: number;
  readonly weightReads: number;
  readonly packets: number;
  readonly hops: number;
}

export interface LayerEnergy {
  readonly id: string;
  readonly op: string;
  readonly role: NodeRole;
  readonly counts: Counts;
  readonly joules: Breakdown;
}

export interface SnnEnergy {
  /** Global steps of one inference: T, or the layer-major (TPP) schedule's (depth + 1)·T. */
  readonly steps: number;
  readonly counts: Counts;
  readonly joules: Breakdown;
  /** Per layer (at the run's own T only on a core: the simulator keeps per-unit totals for the whole run). */
  readonly layers?: LayerEnergy[];
  readonly latency: { readonly steps: number; readonly cycles?: number; readonly seconds?: number };
}

export interface AnnEnergy {
  readonly macs: number;
  readonly activations: number;
  readonly joules: Breakdown;
  readonly layers: { readonly id: string; readonly op: string; readonly macs: number; readonly activations: number; readonly joules: Breakdown }[];
}

const ZERO: Counts = { macs: 0, sops: 0, spikes: 0, updates: 0, biasAdds: 0, merges: 0, weightReads: 0, packets: 0, hops: 0 };

export function breakdown(compute: number, memory: number, routing: number, stat: number): Breakdown {
  return { compute, memory, routing, static: stat, total: compute + memory + routing + stat };
}

export function sumBreakdowns(xs: readonly Breakdown[]): Breakdown {
  return breakdown(
    xs.reduce((a, b) => a + b.compute, 0),
    xs.reduce((a, b) => a + b.memory, 0),
    xs.reduce((a, b) => a + b.routing, 0),
    xs.reduce((a, b) => a + b.static, 0),
  );
}

export function sumCounts(xs: readonly Counts[]): Counts {
  const out: Record<keyof Counts, number> = { ...ZERO };
  for (const c of xs) for (const k of Object.keys(ZERO) as (keyof Counts)[]) out[k] += c[k];
  return out;
}

/** Counts of one node over the first T steps, per inference. */
function nodeCounts(n: NodeActivity, T: number, samples: number): Counts {
  const upTo = (a: Float64Array): number => {
    let s = 0;
    for (let t = 0; t < T; t++) s += a[t];
    return s / samples;
  };
  const macs = n.macs / samples;
  const sops = upTo(n.sops);
  return { macs, sops, spikes: upTo(n.spikes), updates: upTo(n.updates), biasAdds: upTo(n.biasAdds), merges: upTo(n.merges), weightReads: macs + (n.weighted && n.role === 'projection' ? sops : 0), packets: 0, hops: 0 };
}

function priceGraphNode(role: NodeRole, c: Counts, p: EnergyProfile): Breakdown {
  const add = p.perAddJ.value;
  const updateJ = role === 'readout' ? add : p.perNeuronUpdateJ.value;
  const compute = c.macs * p.perMacJ.value + c.sops * p.perSopJ.value + c.updates * updateJ + (c.biasAdds + c.merges + c.spikes) * add;
  const memory = c.weightReads * p.perWeightReadJ.value + c.updates * p.perStateAccessJ.value;
  return breakdown(compute, memory, 0, 0);
}

/** The C target: the interpreter's activity over the first `steps` global steps, priced per layer. */
export function priceActivity(a: Activity, steps: number, p: EnergyProfile): SnnEnergy {
  const samples = Math.max(1, a.samples);
  const layers = a.nodes.map((n) => {
    const counts = nodeCounts(n, steps, samples);
    return { id: n.id, op: n.op, role: n.role, counts, joules: priceGraphNode(n.role, counts, p) };
  });
  return { steps, counts: sumCounts(layers.map((l) => l.counts)), joules: sumBreakdowns(layers.map((l) => l.joules)), layers, latency: { steps } };
}

/** What the core simulator counted, per inference, and per unit over the whole run. */
export interface CoreCounts extends CoreWork {
  /** Per unit (population or readout), with the graph's node id. */
  readonly units?: readonly { id: string; op: string; role: NodeRole; loadSynops: number; synops: number; packets: number; hops: number; updates: number }[];
}

function priceCoreCounts(c: { loadSynops: number; synops: number; updates: number; hops: number }, p: EnergyProfile): Breakdown {
  return breakdown(c.loadSynops * p.perMacJ.value + c.synops * p.perSopJ.value + c.updates * p.perNeuronUpdateJ.value, 0, c.hops * p.perHopJ.value, 0);
}

/** A core: the simulator's counts priced with the core's profile; static power over the simulated latency. */
export function priceCoreRun(w: CoreCounts, spikesOf: ReadonlyMap<string, number>, p: EnergyProfile): SnnEnergy {
  let spikes = 0;
  for (const v of spikesOf.values()) spikes += v;
  const dynamic = priceCoreCounts(w, p);
  const joules = breakdown(dynamic.compute, dynamic.memory, dynamic.routing, p.staticW.value * w.seconds);
  const counts: Counts = { ...ZERO, macs: w.loadSynops, sops: w.synops, spikes, updates: w.updates, weightReads: w.loadSynops + w.synops, packets: w.packets, hops: w.hops };
  const layers = w.units?.map((u) => ({
    id: u.id,
    op: u.op,
    role: u.role,
    counts: { ...ZERO, macs: u.loadSynops, sops: u.synops, spikes: spikesOf.get(u.id) ?? 0, updates: u.updates, weightReads: u.loadSynops + u.synops, packets: u.packets, hops: u.hops },
    joules: priceCoreCounts(u, p),
  }));
  return { steps: w.steps, counts, joules, ...(layers ? { layers } : {}), latency: { steps: w.steps, cycles: w.cycles, seconds: w.seconds } };
}

/**
 * The ANN that the SNN was converted from, run densely: its convolutions and dense layers. A
 * network with K neurons per activation (replicate-neurons, its meta) is priced as the network
 * it replicates: a layer that reads copies has K times the inputs, one whose output feeds
 * populations K times the rows, and the layers that average a shortcut's copies were not there.
 */
export function priceAnn(g: Graph, p: EnergyProfile): AnnEnergy {
  const means = new Set((g.meta['replicate.means'] ?? '').split(',').filter(Boolean));
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const readers = users(g);
  const layers = g.nodes
    .filter((n) => (n.op === 'conv2d' || n.op === 'dense') && !means.has(n.id))
    .map((n) => {
      const { inputs, rows } = projectionCopies(g, n, byId, readers);
      const macs = nodeMacs(g, n) / (inputs * rows);
      const activations = n.type.shape.slice(1).reduce((a, b) => a * b, 1) / rows;
      return { id: n.id, op: n.op, macs, activations, joules: breakdown(macs * p.perMacJ.value, macs * p.perWeightReadJ.value + activations * p.perActivationJ.value, 0, 0) };
    });
  return { macs: layers.reduce((a, l) => a + l.macs, 0), activations: layers.reduce((a, l) => a + l.activations, 0), joules: sumBreakdowns(layers.map((l) => l.joules)), layers };
}

/**
 * What the energy figures assume, in one paragraph. `temporal`: the input is one frame per step
 * (a spiking network given as such, e.g. from NIR); `layerMajor`: the TPP schedule, whose inference
 * is (depth + 1)·T global steps.
 */
export function assumptions(snn: EnergyProfile, ann: EnergyProfile, shape: { temporal?: boolean; layerMajor?: boolean } = {}): string {
  const { temporal = false, layerMajor = false } = shape;
  const schedule = layerMajor
    ? 'The network runs the layer-major schedule (two-phase neurons): each population accumulates for T steps and then fires for T, one layer after another, so an inference is (depth + 1)·T global steps; counts, static energy and latency span all of them. '
    : '';
  const common =
    schedule +
    `The ANN reference is priced with ${ann.name}: every MAC of its convolutions and dense layers, one weight read per MAC, and one activation written and read per output` +
    (temporal
      ? ' (one pass of the same projections: a network given as spiking has no ANN of its own). The input is one frame per step: the layers it feeds run at every step, as synaptic ops of its nonzero values. '
      : '. The analog input layer runs once per inference (the input is constant over the T steps), as MACs. ') +
    'Counts are means per inference over the data given; energies are per inference.';
  if (snn.basis === 'core') {
    return (
      `The SNN is priced with the ${snn.name} core's figures on the cycle-level simulator's counts: synapse words fetched (the graded input at load, priced as one synaptic op each; the steps' spikes, one synaptic op per word), ` +
      'neuron updates of every neuron and readout at every step of the run, and router hops of every packet. The per-op figures hold the weight fetch and the state access, so no separate memory energy is counted. ' +
      `Static power (${snn.staticW.value} W) is charged over the simulated latency (load plus the run's steps at the preset's clock). ${common}`
    );
  }
  return (
    `The SNN is priced with ${snn.name} on the reference interpreter's counts, which are the C target's: a synaptic op (SOP) is one spike or nonzero value times its actual fan-out (borders and strides included), ` +
    'each weighted SOP reads one weight, every neuron is updated at every step (integrate and compare, and its membrane read and written; on the layer-major schedule from step 1 to the end of its firing window, as the C code does), a spike costs one reset add, a nonzero per-step bias one add, a residual merge one add per element. ' +
    `Pooling moves no weights. There is no network on chip and no static power; the latency is the run's algorithmic steps (the C target runs on whatever processor hosts it). ${common}`
  );
}
