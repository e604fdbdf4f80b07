/**
 * insert-delays (snn-fixed -> snn-fixed): the legalization for a core whose synapses deliver a
 * spike one step after it fires (synaptic delay 1, as on Loihi and TrueNorth). Every population
 * P gets a `delay` node D with D(t) = P(t-1), D(1) = 0, and every reader of P reads D instead:
 *
 *     x_U(t) = Σ_P W_UP · s_P(t-1)  (+ the static input current, which is not delayed)
 *
 * The network computes what that core computes, so the interpreter, the C and the core
 * simulator stay bit-exact with each other; it is not the delay-0 network's function (layer L
 * starts to hear its input L-1 steps later), and the compile report says so. In a layer-major
 * (TPP) graph every window moves later to wait for its delayed inputs, so there the function is
 * unchanged; only the latency grows.
 */
import type { Graph, Node } from '../../ir/types.js';
import { isLayerMajor, requiredWindows } from '../../ir/tpp.js';
import type { Pass } from './pass.js';
import { Rewriter } from './rewriter.js';

/** A layer-major (TPP) graph's windows move with the delays: every population waits for its delayed inputs. */
function reschedule(g: Graph): Graph {
  if (!isLayerMajor(g)) return g;
  const { windows } = requiredWindows(g);
  return { ...g, nodes: g.nodes.map((n) => (windows.has(n.id) ? { ...n, attrs: { ...n.attrs, window: windows.get(n.id)! } } : n)) };
}

export const insertDelays: Pass<void> = {
  name: 'insert-delays',
  summary: 'a one-step synaptic delay after every population (targets with synaptic delay 1)',
  from: 'snn-fixed',
  to: 'snn-fixed',
  run(g) {
    const rw = new Rewriter(g);
    const readers = new Set(g.nodes.flatMap((n) => n.inputs.filter((r) => r.kind === 'value').map((r) => r.id)));
    for (const node of g.nodes) {
      const kept: Node = rw.keep(node);
      if (node.op !== 'if' || !readers.has(node.id)) continue;
      const d = rw.b.node(`${node.id}_delayed`, 'delay', [{ kind: 'value', id: kept.id }], {}, node.type, node.loc);
      rw.replace(node.id, d.id);
    }
    rw.b.meta = { ...rw.b.meta, 'target.synapticDelay': '1' };
    return reschedule(rw.finish());
  },
};

/**
 * How many steps late the graph's output hears its input: the delay nodes on the longest path from
 * the input to the output (a recurrent edge's delay closes a loop and is not on such a path). A
 * step-major network's readout then sums only T minus that many steps of a delay-free network's
 * signal; a layer-major graph waits for its inputs (its windows moved), so it counts 0 there.
 */
export function arrivalDelay(g: Graph): number {
  if (isLayerMajor(g)) return 0;
  const depth = new Map<string, number>();
  for (const n of g.nodes) {
    let d = 0;
    for (const r of n.inputs) if (r.kind === 'value' && depth.has(r.id)) d = Math.max(d, depth.get(r.id)!);
    depth.set(n.id, d + (n.op === 'delay' && depth.has(n.inputs[0].id) ? 1 : 0));
  }
  return depth.get(g.outputs[0]) ?? 0;
}
