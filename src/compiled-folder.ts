/** A folder written by `snnc compile`: its graphs, report and which executors it can feed. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SnncError } from '../ir/diagnostics.js';
import type { Graph } from '../ir/types.js';
import { cProgramSources } from '../targets/c/index.js';
import { IMAGE_FILE } from '../targets/core/index.js';
import { loadGraph } from './model-io.js';

export type ExecutorName = 'interp' | 'core' | 'c';
export const EXECUTORS: readonly ExecutorName[] = ['interp', 'core', 'c'];

export interface CompiledFolder {
  readonly dir: string;
  readonly fixed: Graph;
  readonly float: Graph;
  readonly prefix: string;
  /** The target it was compiled for (report.json). */
  readonly target: string;
  /** report.json as written by compile. */
  readonly report: Record<string, unknown>;
  readonly calibrationRange?: { min: number; max: number };
  /** Executors this folder has what it takes for (the interpreter always). */
  readonly available: ExecutorName[];
}

export async function readCompiledFolder(dir: string): Promise<CompiledFolder> {
  let meta: { prefix: string; target: string; calibrationRange?: { min: number; max: number } } & Record<string, unknown>;
  try {
    meta = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
  } catch {
    throw new SnncError('SNN0408', `${dir}/report.json is missing or unreadable: is ${dir} a folder written by snnc compile?`);
  }
  const fixed = await loadGraph(join(dir, 'model.snnir'));
  const float = await loadGraph(join(dir, 'model.float.snnir'));
  const available: ExecutorName[] = ['interp'];
  if (existsSync(join(dir, IMAGE_FILE))) available.push('core');
  if (cProgramSources(meta.prefix).every((f) => existsSync(join(dir, f)))) available.push('c');
  return { dir, fixed, float, prefix: meta.prefix, target: meta.target, report: meta, ...(meta.calibrationRange ? { calibrationRange: meta.calibrationRange } : {}), available };
}

export function parseExecutors(text: string, folder: CompiledFolder): ExecutorName[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!EXECUTORS.includes(n as ExecutorName)) throw new SnncError('SNN0407', `unknown executor '${n}' (known: ${EXECUTORS.join(', ')})`);
    if (!folder.available.includes(n as ExecutorName)) throw new SnncError('SNN0407', `${folder.dir} has nothing for the '${n}' executor (it has: ${folder.available.join(', ')}); compile with --target ${n === 'core' ? 'core[:preset]' : 'c'}`);
  }
  return names as ExecutorName[];
}
