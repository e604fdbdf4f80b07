/**
 * Which ANN activations become populations of IF neurons, read by calibration (whose statistics
 * to keep) and by convert (what to replace). A rate-coded IF neuron with threshold θ fires at
 * most once per step, so its rate r ∈ [0, 1] encodes an activation θ r ∈ [0, θ]: a ReLU, clipped
 * above at θ. A capped ReLU min(max(x, 0), c) (ReLU6: c = 6, as MobileNet exports it) is the same
 * neuron with θ ≤ c; a clip whose lower bound is not 0 has no such neuron.
 */
import { attrNum } from '../../ir/ops.js';
import type { Node } from '../../ir/types.js';

/** The upper bound of a ReLU-like activation (Infinity for a plain ReLU), or undefined. */
export function reluCap(node: Node): number | undefined {
  if (node.op === 'relu') return Infinity;
  if (node.op === 'clip' && attrNum(node, 'min') === 0 && attrNum(node, 'max') > 0) return attrNum(node, 'max');
  return undefined;
}

/** Values whose positive activations set a threshold: ReLU-like and QCFS outputs. */
export function isNeuronSource(node: Node): boolean {
  return node.op === 'qcfs' || reluCap(node) !== undefined;
}
