/**
 * Rewriting helper for passes: walk the nodes of a graph in order, keep, change or drop each
 * one, and redirect the uses of a dropped value to another value. Uses are redirected in every
 * later node and in the graph outputs.
 */
import { GraphBuilder, users } from '../../ir/builder.js';
import type { Graph, Node, Ref, Stage } from '../../ir/types.js';

export class Rewriter {
  readonly b: GraphBuilder;
  /** Readers of each value in the input graph (for single-use checks). */
  readonly users: Map<string, Node[]>;
  private readonly subst = new Map<string, string>();
  private readonly emitted = new Map<string, Node>();

  constructor(
    readonly g: Graph,
    stage: Stage = g.stage,
    steps: number | undefined = g.steps,
  ) {
    this.b = GraphBuilder.from(g, stage, steps);
    this.users = users(g);
  }

  /** The value a reference now stands for. */
  ref(r: Ref): Ref {
    if (r.kind !== 'value') return r;
    let id = r.id;
    while (this.subst.has(id)) id = this.subst.get(id)!;
    return id === r.id ? r : { kind: 'value', id };
  }

  /** Exactly one node reads `id` and it is not a graph output. */
  singleUse(id: string): boolean {
    return (this.users.get(id)?.length ?? 0) === 1 && !this.g.outputs.includes(id);
  }

  /** Emit a node (with its operands redirected). */
  keep(node: Node, changes: Partial<Omit<Node, 'id'>> = {}): Node {
    const n = this.b.addNode({ ...node, ...changes, inputs: (changes.inputs ?? node.inputs).map((r) => this.ref(r)) });
    this.emitted.set(n.id, n);
    return n;
  }

  /** The already emitted node that now defines the value `r` refers to. */
  producer(r: Ref): Node | undefined {
    return r.kind === 'value' ? this.emitted.get(this.ref(r).id) : undefined;
  }

  /** Change an already emitted node in place (same id, same position). */
  amend(node: Node, changes: Partial<Omit<Node, 'id'>>): Node {
    const n = { ...node, ...changes };
    this.b.nodes[this.b.nodes.indexOf(node)] = n;
    this.emitted.set(n.id, n);
    return n;
  }

  /** Remove an already emitted node whose only reader was just rewired away from it. */
  drop(node: Node): void {
    const i = this.b.nodes.indexOf(node);
    if (i < 0) throw new Error(`internal: %${node.id} was not emitted`);
    this.b.nodes.splice(i, 1);
    this.emitted.delete(node.id);
  }

  /** Drop value `id`: every later use reads `by` instead. */
  replace(id: string, by: string): void {
    this.subst.set(id, by);
  }

  finish(): Graph {
    this.b.outputs = this.b.outputs.map((o) => this.ref({ kind: 'value', id: o }).id);
    return this.b.build();
  }
}
