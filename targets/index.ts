/** Every target by name: its description (data) and how it emits a graph. */
import type { Graph } from '../ir/types.js';
import type { TargetDesc } from './target.js';
import type { EmittedFile } from './c/emit.js';
import { cTarget, emitCProgram } from './c/index.js';

export interface Target {
  readonly desc: () => TargetDesc;
  /** Files of the program, relative to the output folder. */
  emit(g: Graph, prefix: string): EmittedFile[];
}

export const TARGETS: Record<string, Target> = {
  c: { desc: cTarget, emit: emitCProgram },
};
