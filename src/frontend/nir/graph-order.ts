/**
 * The order snnc builds a NIR graph in: every cycle is cut at a recurrent edge (the edge that
 * leaves a neuron, or the Scale carrying its amplitude: the consumer reads the previous step's
 * spikes), and the rest is sorted topologically (ties: snnc's own order, then the file's).
 */
import { SnncError } from '../../../ir/diagnostics.js';
import type { NirGraph, NirNode } from './nir-graph.js';

export const NEURONS = new Set(['IF', 'LIF', 'CubaLIF', 'Threshold']);

/** The edges of one cycle through edges not in `cut` (indices into g.edges), or undefined. */
function findCycle(g: NirGraph, cut: ReadonlySet<number>): number[] | undefined {
  const color = new Map<string, 0 | 1 | 2>([...g.nodes.keys()].map((n) => [n, 0]));
  const stack: number[] = []; // edge indices on the current path
  const visit = (n: string): number[] | undefined => {
    color.set(n, 1);
    for (let e = 0; e < g.edges.length; e++) {
      const [a, b] = g.edges[e];
      if (a !== n || cut.has(e)) continue;
      if (color.get(b) === 1) {
        const from = stack.findIndex((x) => g.edges[x][0] === b);
        return [...stack.slice(from < 0 ? stack.length : from), e];
      }
      if (color.get(b) === 0) {
        stack.push(e);
        const c = visit(b);
        if (c) return c;
        stack.pop();
      }
    }
    color.set(n, 2);
    return undefined;
  };
  for (const n of g.nodes.keys()) {
    if (color.get(n) !== 0) continue;
    const c = visit(n);
    if (c) return c;
  }
  return undefined;
}

/**
 * The recurrent edges: in every cycle, the edge that leaves a neuron (or the Scale that carries its
 * spike amplitude) reads the previous step's spikes. A cycle without a neuron would be an
 * instantaneous loop: refused.
 */
export function recurrentEdges(g: NirGraph): Set<number> {
  const cut = new Set<number>();
  for (let cycle = findCycle(g, cut); cycle; cycle = findCycle(g, cut)) {
    const k = cycle.findIndex((e) => NEURONS.has(g.nodes.get(g.edges[e][0])!.type));
    if (k < 0) throw new SnncError('SNN0324', `the NIR graph has a cycle without a neuron (${cycle.map((e) => g.edges[e][0]).join(' -> ')}): an instantaneous loop has no step-by-step meaning`);
    let e = cycle[k];
    const next = cycle[(k + 1) % cycle.length];
    const to = g.nodes.get(g.edges[e][1])!;
    if (to.type === 'Scale' && g.edges[next][0] === to.name) e = next; // keep the neuron's amplitude Scale with it
    cut.add(e);
  }
  return cut;
}

/** Nodes in an order that respects the edges but the recurrent ones (ties: snnc.order, then file order). */
export function topologicalOrder(g: NirGraph, recurrent: ReadonlySet<number>): NirNode[] {
  const names = [...g.nodes.keys()];
  const rank = new Map(names.map((n, i) => [n, Number(g.nodes.get(n)!.metadata.get('snnc.order') ?? names.length + i)]));
  const edges = g.edges.filter((_, e) => !recurrent.has(e));
  const indeg = new Map(names.map((n) => [n, 0]));
  for (const [, b] of edges) indeg.set(b, indeg.get(b)! + 1);
  const ready = names.filter((n) => indeg.get(n) === 0);
  const out: NirNode[] = [];
  while (ready.length) {
    ready.sort((a, b) => rank.get(a)! - rank.get(b)!);
    const n = ready.shift()!;
    out.push(g.nodes.get(n)!);
    for (const [a, b] of edges) {
      if (a !== n) continue;
      indeg.set(b, indeg.get(b)! - 1);
      if (indeg.get(b) === 0) ready.push(b);
    }
  }
  return out;
}
