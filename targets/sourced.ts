/**
 * A figure with its source: every number of a target or energy description says where it comes
 * from. `sourcedField` reads one from a parsed JSON object and names what is wrong.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SnncError } from '../ir/diagnostics.js';

export interface Sourced<T> {
  readonly value: T;
  readonly source: string;
}

export interface DescriptionReader {
  fail(message: string): never;
  field<T>(o: Record<string, unknown>, key: string, check: (v: unknown) => v is T, expected: string): Sourced<T>;
}

/** Reads fields of one description file; every failure names the file (`what path: ...`, SNN0201). */
export function descriptionReader(what: string, path: string): DescriptionReader {
  const fail = (message: string): never => {
    throw new SnncError('SNN0201', `${what} ${path}: ${message}`);
  };
  const field = <T>(o: Record<string, unknown>, key: string, check: (v: unknown) => v is T, expected: string): Sourced<T> => {
    const e = o[key] as Record<string, unknown> | undefined;
    if (typeof e !== 'object' || e === null) fail(`${key} must be {value, source}`);
    if (!check(e!.value)) fail(`${key}.value must be ${expected}, found ${JSON.stringify(e!.value)}`);
    if (typeof e!.source !== 'string' || e!.source.length === 0) fail(`${key} needs a source (where the figure comes from)`);
    return { value: e!.value as T, source: e!.source as string };
  };
  return { fail, field };
}

export const intIn =
  (lo: number, hi: number) =>
  (v: unknown): v is number =>
    typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
export const nonNegative = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
export const oneOf =
  <T extends string | number>(...xs: T[]) =>
  (v: unknown): v is T =>
    xs.includes(v as T);

/**
 * A folder of JSON descriptions (`<name>.json`) shipped beside a module: `folder` is tried
 * relative to the module, then `sourceFolder` (the source tree, when the module runs from dist/).
 */
export function descriptionFolder<T>(what: string, folder: URL, sourceFolder: URL, parse: (json: unknown, path: string) => T): { names(): string[]; load(name: string): T } {
  const dir = (): string => {
    const here = fileURLToPath(folder);
    return existsSync(here) ? here : fileURLToPath(sourceFolder);
  };
  const names = (): string[] =>
    readdirSync(dir())
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''))
      .sort();
  const load = (name: string): T => {
    if (!names().includes(name)) throw new SnncError('SNN0201', `unknown ${what} '${name}' (known: ${names().join(', ')})`);
    const path = `${dir()}${name}.json`;
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new SnncError('SNN0201', `${what} ${path}: ${(e as Error).message}`);
    }
    return parse(json, path);
  };
  return { names, load };
}
