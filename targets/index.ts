/**
 * Every target by name: `c`, or `core` / `core:<preset>` (targets/core/presets/). A target is its
 * description (data: what quantize reads) and an emitter; adding one is a folder and a line here.
 */
import { SnncError } from '../ir/diagnostics.js';
import type { Graph } from '../ir/types.js';
import type { ProgramFile, TargetDesc } from './target.js';
import { cTarget, emitCProgram } from './c/index.js';
import { checkPrefix } from './c/emit.js';
import { compileForCore, corePresets, coreTarget } from './core/index.js';
import type { CoreDesc } from './core/desc.js';

export interface Target {
  readonly name: string;
  readonly desc: () => TargetDesc;
  /** Files of the program, relative to the output folder. */
  emit(g: Graph, prefix: string): ProgramFile[];
  /** Checks the options an emitter will need, before the long work (e.g. a C symbol prefix). */
  checkOptions(prefix: string): void;
  /** A core target's description (its simulator prices energy and latency). */
  readonly core?: CoreDesc;
}

export function targetNames(): string[] {
  return ['c', ...corePresets().map((p) => `core:${p}`)];
}

export function targetByName(name: string): Target {
  if (name === 'c') return { name, desc: cTarget, emit: emitCProgram, checkOptions: checkPrefix };
  const m = /^core(?::([a-z0-9-]+))?$/.exec(name);
  if (m) {
    const preset = m[1] ?? 'generic';
    const { desc, quantizer } = coreTarget(preset);
    return {
      name: `core:${preset}`,
      desc: () => quantizer,
      // the image for the core, and the same network as C: verify runs all three executors
      emit: (g, prefix) => [...compileForCore(g, desc).files, ...emitCProgram(g, prefix)],
      checkOptions: checkPrefix,
      core: desc,
    };
  }
  throw new SnncError('SNN0201', `unknown target '${name}' (known: ${targetNames().join(', ')})`);
}
