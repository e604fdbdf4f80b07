/** Where the executors read an answer: the global step of each checkpoint T' (ir/tpp.ts readoutStep). */
import { SnncError } from '../../ir/diagnostics.js';
import { readoutStep } from '../../ir/tpp.js';
import type { Graph } from '../../ir/types.js';

/**
 * The global step after which the readout answers each checkpoint (ascending T'). A step-major
 * graph answers any T' <= T at step T'; a layer-major (TPP) graph only its own T, at the end of
 * its schedule.
 */
export function readoutSteps(g: Graph, checkpoints: readonly number[]): number[] {
  return checkpoints.map((t) => {
    const at = readoutStep(g, t);
    if (at === undefined) throw new SnncError('SNN0407', `a layer-major (TPP) network of T=${g.steps} answers only at T=${g.steps}, not at T=${t}: convert it once per T`);
    return at;
  });
}
