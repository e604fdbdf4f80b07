/** Loading and saving graphs: .onnx and .nir files are imported, .snnir files parsed (with their weights sidecar) and verified. */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SnncError } from '../ir/diagnostics.js';
import { printGraph } from '../ir/text/print.js';
import { verifyOrThrow } from '../ir/verify.js';
import type { Graph } from '../ir/types.js';
import { importOnnxFile } from './frontend/onnx/import.js';
import { readFileOrFail, writeFilesAtomic } from './util/fs.js';
import type { NirImportOptions } from './frontend/nir/import.js';

export interface ModelOptions {
  /** NIR: seconds per step, steps, and whether the input is one frame per step. */
  readonly nir?: Partial<Omit<NirImportOptions, 'name'>>;
}

/** Any model file: .nir (imported at stage snn-float), .onnx or .snnir. */
export async function loadModel(path: string, o: ModelOptions = {}): Promise<Graph> {
  if (!/\.nir$/i.test(path)) return loadGraph(path);
  const { readNirFile } = await import('./frontend/nir/file.js');
  return readNirFile(path, o.nir ?? {});
}

/**
 * A .snnir or .onnx file (NIR files load with loadModel). The .snnir parser is loaded on first
 * use: its parser generator takes ~0.4 s to import, which every other command would pay.
 */
export async function loadGraph(path: string): Promise<Graph> {
  if (/\.nir$/i.test(path)) {
    throw new SnncError('SNN0407', `${path} is a NIR file, a spiking network: this command takes an ANN (.onnx or an ann-stage .snnir); inspect, convert, eval, compile and export-nir read NIR (energy, simulate and verify take the folder compile writes)`);
  }
  if (/\.snnir$/i.test(path)) {
    const text = readFileOrFail(path).toString('utf8');
    const { parseGraph } = await import('../ir/text/parse.js');
    const g = parseGraph(text, { file: path, readSidecar: (name) => readFileSync(join(dirname(path), name)) });
    verifyOrThrow(g);
    return g;
  }
  return importOnnxFile(path);
}

/** Write `path` (.snnir) and its weights sidecar `path.bin`, both or neither. */
export function saveGraph(g: Graph, path: string): void {
  const sidecar = `${basename(path)}.bin`;
  const printed = printGraph(g, { sidecar });
  writeFilesAtomic([
    [path, printed.text],
    [join(dirname(path), sidecar), printed.sidecar ?? new Uint8Array()],
  ]);
}
