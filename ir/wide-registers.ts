/**
 * The same snn-fixed network with every register — synaptic accumulator and membrane of each
 * population, synaptic current, readout sum — WIDE_BITS wide, so that nothing narrows at run
 * time: every value the narrowed network saturates or wraps is kept exact instead (values are
 * exact integers in JavaScript numbers below 2^53). Everything else — weights, thresholds, the
 * per-step tables, the TPP draws — is the same, so on the samples where no register of the
 * narrowed network ever saturated, the two compute the same spikes and readout; where they differ,
 * the saturation changed the result. That comparison (src/exec/saturation-effect.ts) is what tells
 * a harmless saturation from a harmful one. Not a deployable network: no target has such
 * registers, and it is only ever run by the reference interpreter.
 */
import type { AttrValue, Graph, Node } from './types.js';

export const WIDE_BITS = 53;

/** Register-width attributes of each op that narrows. */
const REGISTERS: Readonly<Record<string, readonly string[]>> = {
  if: ['accbits', 'vbits'],
  synapse: ['ibits'],
  readout: ['sumbits'],
};

export function withWideRegisters(g: Graph): Graph {
  const widen = (n: Node): Node => {
    const names = REGISTERS[n.op];
    if (!names) return n;
    const attrs: Record<string, AttrValue> = { ...n.attrs };
    for (const a of names) attrs[a] = WIDE_BITS;
    return { ...n, attrs };
  };
  return { ...g, nodes: g.nodes.map(widen), meta: { ...g.meta, registers: `${WIDE_BITS}-bit (reference run: nothing narrows)` } };
}
