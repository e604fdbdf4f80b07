/**
 * Target descriptions are data (targets/<name>/target.json): the integer formats and limits a
 * back end offers. The quantizer reads them; the emitter of the target checks the graph
 * against them. This module validates a description and names what is wrong.
 */
import { readFileSync } from 'node:fs';
import { SnncError } from '../ir/diagnostics.js';

/** A file a target writes, relative to the output folder: text or binary. */
export interface ProgramFile {
  readonly path: string;
  readonly contents: string | Uint8Array;
}

export interface TargetDesc {
  readonly name: string;
  readonly summary: string;
  /** Default and allowed signed weight widths. */
  readonly weightBits: { readonly default: number; readonly min: number; readonly max: number };
  readonly weightGranularity: 'channel' | 'tensor';
  /** Synaptic accumulator, membrane, folded bias table and readout sum widths (signed). */
  readonly accBits: number;
  readonly vBits: number;
  readonly biasBits: number;
  readonly sumBits: number;
  readonly overflow: 'saturate' | 'wrap';
  readonly leakRounding: 'floor' | 'trunc' | 'half-up';
  /** Integer input format. */
  readonly input: { readonly signed: boolean; readonly bits: number };
  readonly neurons: readonly ('if' | 'lif')[];
  readonly resets: readonly ('subtract' | 'zero')[];
  /** Widest register the generated code may use for any value. */
  readonly maxRegisterBits: number;
  /** Steps between a spike and its arrival (0: within the step, in layer order; 1: the next step). */
  readonly synapticDelay?: 0 | 1;
}

function fail(path: string, message: string): never {
  throw new SnncError('SNN0201', `target description ${path}: ${message}`);
}

function int(path: string, o: Record<string, unknown>, key: string, lo: number, hi: number): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) fail(path, `${key} must be an integer in [${lo}, ${hi}], found ${JSON.stringify(v)}`);
  return v;
}

function oneOf<T extends string>(path: string, o: Record<string, unknown>, key: string, values: readonly T[]): T {
  const v = o[key];
  if (typeof v !== 'string' || !values.includes(v as T)) fail(path, `${key} must be one of ${values.join(', ')}, found ${JSON.stringify(v)}`);
  return v as T;
}

export function parseTarget(json: unknown, path: string): TargetDesc {
  if (typeof json !== 'object' || json === null) fail(path, 'not a JSON object');
  const o = json as Record<string, unknown>;
  const wb = o.weightBits as Record<string, unknown> | undefined;
  if (typeof wb !== 'object' || wb === null) fail(path, 'weightBits must be {default, min, max}');
  const weightBits = { min: int(path, wb, 'min', 2, 16), max: int(path, wb, 'max', 2, 16), default: int(path, wb, 'default', 2, 16) };
  if (!(weightBits.min <= weightBits.default && weightBits.default <= weightBits.max)) fail(path, 'weightBits needs min <= default <= max');
  const input = o.input as Record<string, unknown> | undefined;
  if (typeof input !== 'object' || input === null || typeof input.signed !== 'boolean') fail(path, 'input must be {signed, bits}');
  const maxRegisterBits = int(path, o, 'maxRegisterBits', 16, 64);
  const desc: TargetDesc = {
    name: typeof o.name === 'string' ? o.name : fail(path, 'name must be a string'),
    summary: typeof o.summary === 'string' ? o.summary : '',
    weightBits,
    weightGranularity: oneOf(path, o, 'weightGranularity', ['channel', 'tensor'] as const),
    accBits: int(path, o, 'accBits', 8, 48),
    vBits: int(path, o, 'vBits', 8, 48),
    biasBits: int(path, o, 'biasBits', 8, 48),
    sumBits: int(path, o, 'sumBits', 8, 48),
    overflow: oneOf(path, o, 'overflow', ['saturate', 'wrap'] as const),
    leakRounding: oneOf(path, o, 'leakRounding', ['floor', 'trunc', 'half-up'] as const),
    input: { signed: input.signed as boolean, bits: int(path, input, 'bits', 2, 16) },
    neurons: Array.isArray(o.neurons) ? (o.neurons as ('if' | 'lif')[]) : fail(path, 'neurons must be a list'),
    resets: Array.isArray(o.resets) ? (o.resets as ('subtract' | 'zero')[]) : fail(path, 'resets must be a list'),
    maxRegisterBits,
  };
  for (const k of ['accBits', 'vBits', 'biasBits', 'sumBits'] as const) if (desc[k] > maxRegisterBits) fail(path, `${k} ${desc[k]} exceeds maxRegisterBits ${maxRegisterBits}`);
  return desc;
}

export function loadTargetFile(path: string): TargetDesc {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new SnncError('SNN0201', `target description ${path} cannot be read`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SnncError('SNN0201', `target description ${path}: ${(e as Error).message}`);
  }
  return parseTarget(json, path);
}
