/**
 * Core descriptions are data (presets/*.json): the mesh, per-core capacities, integer formats,
 * cycle costs, clock and energy of an event-driven digital core, every figure with its source.
 * This module validates a description, names what is wrong, and derives the quantizer's view
 * of it (a TargetDesc), so that the same formats drive quantize, mapping and the simulator.
 */
import type { TargetDesc } from '../target.js';
import { descriptionFolder, descriptionReader, intIn, type DescriptionReader, nonNegative as positive, oneOf, type Sourced } from '../sourced.js';

export type { Sourced };

export interface CoreDesc {
  readonly name: string;
  readonly summary: string;
  /** The chip a preset approximates (null for the generic core). */
  readonly approximates: string | null;
  readonly mesh: { readonly width: number; readonly height: number; readonly source: string };
  readonly neuronsPerCore: Sourced<number>;
  readonly synapsesPerCore: Sourced<number>;
  /** expanded: one synapse word per (source, target) pair; shared: a convolution kernel once per (core, layer). */
  readonly kernelStorage: Sourced<'expanded' | 'shared'>;
  /** Distinct source neurons whose spikes reach a core (its input axons). */
  readonly fanIn: Sourced<number>;
  /** Destination cores of one source neuron. */
  readonly fanOut: Sourced<number>;
  readonly weightBits: Sourced<number>;
  readonly membraneBits: Sourced<number>;
  readonly thresholdBits: Sourced<number>;
  readonly biasBits: Sourced<number>;
  readonly accBits: Sourced<number>;
  readonly sumBits: Sourced<number>;
  readonly overflow: Sourced<'saturate' | 'wrap'>;
  readonly rounding: Sourced<'floor' | 'trunc' | 'half-up'>;
  readonly synapticDelay: Sourced<0 | 1>;
  readonly queueDepth: Sourced<number>;
  readonly cycles: {
    readonly perEvent: Sourced<number>;
    readonly perSynOp: Sourced<number>;
    readonly perNeuronUpdate: Sourced<number>;
    readonly perHop: Sourced<number>;
    readonly perPacketSent: Sourced<number>;
  };
  readonly clockHz: Sourced<number>;
  readonly energy: { readonly perSynOpJ: Sourced<number>; readonly perNeuronUpdateJ: Sourced<number>; readonly perHopJ: Sourced<number>; readonly staticW: Sourced<number> };
}

export function parseCoreDesc(json: unknown, path: string): CoreDesc {
  const r: DescriptionReader = descriptionReader('core description', path);
  if (typeof json !== 'object' || json === null) r.fail('not a JSON object');
  const o = json as Record<string, unknown>;
  const mesh = o.mesh as Record<string, unknown> | undefined;
  if (typeof mesh !== 'object' || mesh === null || !intIn(1, 256)(mesh.width) || !intIn(1, 256)(mesh.height) || typeof mesh.source !== 'string') r.fail('mesh must be {width, height (1..256), source}');
  const cyc = (o.cycles ?? {}) as Record<string, unknown>;
  const en = (o.energy ?? {}) as Record<string, unknown>;
  const bits = intIn(2, 48);
  const desc: CoreDesc = {
    name: typeof o.name === 'string' ? o.name : r.fail('name must be a string'),
    summary: typeof o.summary === 'string' ? o.summary : '',
    approximates: typeof o.approximates === 'string' ? o.approximates : null,
    mesh: { width: mesh.width as number, height: mesh.height as number, source: mesh.source as string },
    neuronsPerCore: r.field(o, 'neuronsPerCore', intIn(1, 2 ** 24), 'an integer in 1..2^24'),
    synapsesPerCore: r.field(o, 'synapsesPerCore', intIn(1, 2 ** 30), 'an integer in 1..2^30'),
    kernelStorage: r.field(o, 'kernelStorage', oneOf('expanded' as const, 'shared' as const), '"expanded" or "shared"'),
    fanIn: r.field(o, 'fanIn', intIn(1, 2 ** 30), 'an integer in 1..2^30'),
    fanOut: r.field(o, 'fanOut', intIn(1, 2 ** 16), 'an integer in 1..65536'),
    weightBits: r.field(o, 'weightBits', intIn(2, 32), 'an integer in 2..32'),
    membraneBits: r.field(o, 'membraneBits', bits, 'an integer in 2..48'),
    thresholdBits: r.field(o, 'thresholdBits', bits, 'an integer in 2..48'),
    biasBits: r.field(o, 'biasBits', bits, 'an integer in 2..48'),
    accBits: r.field(o, 'accBits', bits, 'an integer in 2..48'),
    sumBits: r.field(o, 'sumBits', bits, 'an integer in 2..48'),
    overflow: r.field(o, 'overflow', oneOf('saturate' as const, 'wrap' as const), '"saturate" or "wrap"'),
    rounding: r.field(o, 'rounding', oneOf('floor' as const, 'trunc' as const, 'half-up' as const), '"floor", "trunc" or "half-up"'),
    synapticDelay: r.field(o, 'synapticDelay', oneOf(0 as const, 1 as const), '0 or 1'),
    queueDepth: r.field(o, 'queueDepth', intIn(1, 2 ** 24), 'an integer in 1..2^24'),
    cycles: {
      perEvent: r.field(cyc, 'perEvent', intIn(0, 1000), 'an integer in 0..1000'),
      perSynOp: r.field(cyc, 'perSynOp', intIn(0, 1000), 'an integer in 0..1000'),
      perNeuronUpdate: r.field(cyc, 'perNeuronUpdate', intIn(0, 1000), 'an integer in 0..1000'),
      perHop: r.field(cyc, 'perHop', intIn(0, 1000), 'an integer in 0..1000'),
      perPacketSent: r.field(cyc, 'perPacketSent', intIn(0, 1000), 'an integer in 0..1000'),
    },
    clockHz: r.field(o, 'clockHz', (v): v is number => positive(v) && (v as number) > 0, 'a positive number'),
    energy: {
      perSynOpJ: r.field(en, 'perSynOpJ', positive, 'a number >= 0'),
      perNeuronUpdateJ: r.field(en, 'perNeuronUpdateJ', positive, 'a number >= 0'),
      perHopJ: r.field(en, 'perHopJ', positive, 'a number >= 0'),
      staticW: r.field(en, 'staticW', positive, 'a number >= 0'),
    },
  };
  return desc;
}

const PRESETS = descriptionFolder('core preset', new URL('./presets/', import.meta.url), new URL('../../../targets/core/presets/', import.meta.url), parseCoreDesc);

export function corePresets(): string[] {
  return PRESETS.names();
}

export function loadCorePreset(name: string): CoreDesc {
  return PRESETS.load(name);
}

/** What quantize reads: the core's formats (weights at most 16 bits, 8 by default). */
export function quantizerView(d: CoreDesc): TargetDesc {
  const wmax = Math.min(16, d.weightBits.value);
  return {
    name: `core:${d.name}`,
    summary: d.summary,
    weightBits: { default: Math.min(8, wmax), min: 2, max: wmax },
    weightGranularity: 'channel',
    accBits: Math.min(48, Math.max(8, d.accBits.value)),
    vBits: Math.min(32, Math.max(8, d.membraneBits.value)),
    biasBits: Math.min(32, Math.max(8, d.biasBits.value)),
    sumBits: Math.min(48, Math.max(8, d.sumBits.value)),
    overflow: d.overflow.value,
    leakRounding: d.rounding.value,
    input: { signed: false, bits: 8 },
    neurons: ['if', 'lif'],
    resets: ['subtract', 'zero'],
    maxRegisterBits: 32,
    synapticDelay: d.synapticDelay.value,
  };
}
