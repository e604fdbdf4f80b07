/**
 * Core descriptions are data (presets/*.json): the mesh, per-core capacities, integer formats,
 * cycle costs, clock and energy of an event-driven digital core, every figure with its source.
 * This module validates a description, names what is wrong, and derives the quantizer's view
 * of it (a TargetDesc), so that the same formats drive quantize, mapping and the simulator.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SnncError } from '../../ir/diagnostics.js';
import type { TargetDesc } from '../target.js';

export interface Sourced<T> {
  readonly value: T;
  readonly source: string;
}

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

function fail(path: string, message: string): never {
  throw new SnncError('SNN0201', `core description ${path}: ${message}`);
}

function sourced<T>(path: string, o: Record<string, unknown>, key: string, check: (v: unknown) => v is T, what: string): Sourced<T> {
  const e = o[key] as Record<string, unknown> | undefined;
  if (typeof e !== 'object' || e === null) fail(path, `${key} must be {value, source}`);
  if (!check(e.value)) fail(path, `${key}.value must be ${what}, found ${JSON.stringify(e.value)}`);
  if (typeof e.source !== 'string' || e.source.length === 0) fail(path, `${key} needs a source (where the figure comes from)`);
  return { value: e.value, source: e.source };
}

const intIn =
  (lo: number, hi: number) =>
  (v: unknown): v is number =>
    typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const oneOf =
  <T extends string | number>(...xs: T[]) =>
  (v: unknown): v is T =>
    xs.includes(v as T);

export function parseCoreDesc(json: unknown, path: string): CoreDesc {
  if (typeof json !== 'object' || json === null) fail(path, 'not a JSON object');
  const o = json as Record<string, unknown>;
  const mesh = o.mesh as Record<string, unknown> | undefined;
  if (typeof mesh !== 'object' || mesh === null || !intIn(1, 256)(mesh.width) || !intIn(1, 256)(mesh.height) || typeof mesh.source !== 'string') fail(path, 'mesh must be {width, height (1..256), source}');
  const cyc = (o.cycles ?? {}) as Record<string, unknown>;
  const en = (o.energy ?? {}) as Record<string, unknown>;
  const bits = intIn(2, 48);
  const desc: CoreDesc = {
    name: typeof o.name === 'string' ? o.name : fail(path, 'name must be a string'),
    summary: typeof o.summary === 'string' ? o.summary : '',
    approximates: typeof o.approximates === 'string' ? o.approximates : null,
    mesh: { width: mesh.width as number, height: mesh.height as number, source: mesh.source as string },
    neuronsPerCore: sourced(path, o, 'neuronsPerCore', intIn(1, 2 ** 24), 'an integer in 1..2^24'),
    synapsesPerCore: sourced(path, o, 'synapsesPerCore', intIn(1, 2 ** 30), 'an integer in 1..2^30'),
    kernelStorage: sourced(path, o, 'kernelStorage', oneOf('expanded' as const, 'shared' as const), '"expanded" or "shared"'),
    fanIn: sourced(path, o, 'fanIn', intIn(1, 2 ** 30), 'an integer in 1..2^30'),
    fanOut: sourced(path, o, 'fanOut', intIn(1, 2 ** 16), 'an integer in 1..65536'),
    weightBits: sourced(path, o, 'weightBits', intIn(2, 32), 'an integer in 2..32'),
    membraneBits: sourced(path, o, 'membraneBits', bits, 'an integer in 2..48'),
    thresholdBits: sourced(path, o, 'thresholdBits', bits, 'an integer in 2..48'),
    biasBits: sourced(path, o, 'biasBits', bits, 'an integer in 2..48'),
    accBits: sourced(path, o, 'accBits', bits, 'an integer in 2..48'),
    sumBits: sourced(path, o, 'sumBits', bits, 'an integer in 2..48'),
    overflow: sourced(path, o, 'overflow', oneOf('saturate' as const, 'wrap' as const), '"saturate" or "wrap"'),
    rounding: sourced(path, o, 'rounding', oneOf('floor' as const, 'trunc' as const, 'half-up' as const), '"floor", "trunc" or "half-up"'),
    synapticDelay: sourced(path, o, 'synapticDelay', oneOf(0 as const, 1 as const), '0 or 1'),
    queueDepth: sourced(path, o, 'queueDepth', intIn(1, 2 ** 24), 'an integer in 1..2^24'),
    cycles: {
      perEvent: sourced(path, cyc, 'perEvent', intIn(0, 1000), 'an integer in 0..1000'),
      perSynOp: sourced(path, cyc, 'perSynOp', intIn(0, 1000), 'an integer in 0..1000'),
      perNeuronUpdate: sourced(path, cyc, 'perNeuronUpdate', intIn(0, 1000), 'an integer in 0..1000'),
      perHop: sourced(path, cyc, 'perHop', intIn(0, 1000), 'an integer in 0..1000'),
      perPacketSent: sourced(path, cyc, 'perPacketSent', intIn(0, 1000), 'an integer in 0..1000'),
    },
    clockHz: sourced(path, o, 'clockHz', (v): v is number => positive(v) && (v as number) > 0, 'a positive number'),
    energy: {
      perSynOpJ: sourced(path, en, 'perSynOpJ', positive, 'a number >= 0'),
      perNeuronUpdateJ: sourced(path, en, 'perNeuronUpdateJ', positive, 'a number >= 0'),
      perHopJ: sourced(path, en, 'perHopJ', positive, 'a number >= 0'),
      staticW: sourced(path, en, 'staticW', positive, 'a number >= 0'),
    },
  };
  return desc;
}

function presetDir(): string {
  const here = fileURLToPath(new URL('./presets/', import.meta.url));
  if (existsSync(here)) return here;
  return fileURLToPath(new URL('../../../targets/core/presets/', import.meta.url));
}

export function corePresets(): string[] {
  return readdirSync(presetDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
}

export function loadCorePreset(name: string): CoreDesc {
  if (!corePresets().includes(name)) throw new SnncError('SNN0201', `unknown core preset '${name}' (known: ${corePresets().join(', ')})`);
  const path = `${presetDir()}${name}.json`;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new SnncError('SNN0201', `core description ${path}: ${(e as Error).message}`);
  }
  return parseCoreDesc(json, path);
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
