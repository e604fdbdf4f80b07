/**
 * insert-delays (snn-fixed -> snn-fixed): the legalization for a core whose synapses deliver a
 * spike one step after it fires (synaptic delay 1, as on Loihi and TrueNorth). Every population
 * P gets a `delay` node D with D(t) = P(t-1), D(1) = 0, and every reader of P reads D instead:
 *
 *     x_U(t) = Σ_P W_UP · s_P(t-1)  (+ the static input current, which is not delayed)
 *
 * The network computes what that core computes, so the interpreter, the C and the core
 * simulator stay bit-exact with each other. To keep the delay-0 network's function, a node d
 * delays deep must start d steps later: in a step-major graph whose every path to a node
 * crosses the same number of delays (a chain), each population's bias table gets d zero rows in
 * front and the readout a window of d (align, below), so it computes the delay-free network's
 * readout exactly, D steps later. A residual shortcut crosses fewer delays than the path beside
 * it; such a graph is left unaligned and its output hears its input late (arrivalDelay, SNN0208).
 * In a layer-major (TPP) graph every window moves later to wait for its delayed inputs.
 */
import { isConstRef, type Graph, type Node } from '../../ir/types.js';
import { attrInt } from '../../ir/ops.js';
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
    const delayed = rw.finish();
    return isLayerMajor(delayed) ? reschedule(delayed) : align(delayed);
  },
};

/**
 * The delays on the longest path from the input to every node of a step-major graph (a recurrent
 * edge's delay closes a loop and is on no such path), and whether every path into each node
 * crosses as many (false when a residual shortcut skips a population).
 */
function delayDepths(g: Graph): { depth: Map<string, number>; aligned: boolean } {
  const depth = new Map<string, number>();
  let aligned = true;
  for (const n of g.nodes) {
    const ins = n.inputs.filter((r) => r.kind === 'value' && depth.has(r.id)).map((r) => depth.get(r.id)!);
    if (ins.some((d) => d !== ins[0])) aligned = false;
    depth.set(n.id, Math.max(0, ...ins) + (n.op === 'delay' && depth.has(n.inputs[0].id) ? 1 : 0));
  }
  return { depth, aligned };
}

/**
 * A step-major graph whose every path to a node crosses the same number of delays runs the
 * delay-free network's function, d steps later at a node d delays deep: each population's bias
 * table gets d zero rows in front (its v(0), biases and per-step terms start when its input
 * does), and the readout sums the T steps after its input arrives (window = its depth). The run
 * is T + D steps. A graph with unequal paths (residual shortcuts), or with a temporal input
 * (T frames, none for the added steps), is left as it is: its output hears its input late
 * (arrivalDelay, SNN0208).
 */
function align(g: Graph): Graph {
  // a temporal input has T frames, none for the D steps an aligned run adds: left as it is
  if (g.nodes.some((n) => n.op === 'input' && n.attrs.temporal === true)) return g;
  const { depth, aligned } = delayDepths(g);
  if (!aligned) return g;
  const consts = new Map(g.consts);
  const shifted = new Set<string>();
  const nodes = g.nodes.map((n) => {
    const d = depth.get(n.id) ?? 0;
    if (d === 0) return n;
    if (n.op === 'readout') return { ...n, attrs: { ...n.attrs, window: d } };
    if (n.op !== 'if' || !isConstRef(n.attrs.bias)) return n;
    // a new table per (table, depth): a table two populations share may need two shifts
    const table = g.consts.get(n.attrs.bias.const)!;
    const id = `${table.id}.after${d}`;
    if (!consts.has(id)) {
      const [R, ...row] = table.type.shape;
      const width = row.reduce((a, b) => a * b, 1);
      const data = new Int32Array((R + d) * width);
      data.set(table.data as Int32Array, d * width);
      consts.set(id, { id, type: { ...table.type, shape: [R + d, ...row] }, data });
    }
    shifted.add(table.id);
    return { ...n, attrs: { ...n.attrs, bias: { const: id } } };
  });
  // an original table no node reads any more goes
  const read = new Set(nodes.flatMap((n) => [...n.inputs.filter((r) => r.kind === 'const').map((r) => r.id), ...Object.values(n.attrs).filter(isConstRef).map((c) => c.const)]));
  for (const id of shifted) if (!read.has(id)) consts.delete(id);
  return { ...g, nodes, consts };
}

/**
 * How many steps late the graph's output hears its input: the delay nodes on the longest path from
 * the input to the output (a recurrent edge's delay closes a loop and is not on such a path). A
 * step-major network's readout then sums only T minus that many steps of a delay-free network's
 * signal; a layer-major graph waits for its inputs (its windows moved), so it counts 0 there.
 */
export function arrivalDelay(g: Graph): number {
  if (isLayerMajor(g)) return 0;
  // an aligned graph's readout waits for its input (its window)
  const out = g.nodes.find((n) => n.id === g.outputs[0]);
  return Math.max(0, (delayDepths(g).depth.get(g.outputs[0]) ?? 0) - (out ? attrInt(out, 'window', 0) : 0));
}
