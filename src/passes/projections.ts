/**
 * The projections (conv2d, dense) whose outputs sum, through adds, into a value: the weights and
 * biases that make a population's (or a readout's) input current. Any other operand of an add (a
 * population read directly as a residual shortcut) is not a projection and is left out.
 */
import type { Node } from '../../ir/types.js';

export function projectionsInto(byId: ReadonlyMap<string, Node>, id: string): Node[] {
  const n = byId.get(id);
  if (!n) return [];
  if (n.op === 'conv2d' || n.op === 'dense') return [n];
  if (n.op === 'add') return n.inputs.filter((r) => r.kind === 'value').flatMap((r) => projectionsInto(byId, r.id));
  return [];
}
