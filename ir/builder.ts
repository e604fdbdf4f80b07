/**
 * GraphBuilder: the one way passes and importers make graphs. It hands out unique, printable
 * ids (sanitised from ONNX names, made unique with a numeric suffix) and owns the constant table.
 * Types are given by the caller; the verifier checks them against the op table afterwards.
 */
import type { AttrValue, Const, Graph, Node, Ref, Stage, TensorData, TensorType } from './types.js';

/** Printable id: letters, digits, `_` and `.`, not starting with a digit or `.`. */
export function sanitizeId(raw: string): string {
  let s = raw.replace(/[^A-Za-z0-9_.]+/g, '_').replace(/^[_.]+|[_.]+$/g, '');
  if (s === '') s = 'v';
  if (/^[0-9.]/.test(s)) s = `v${s}`;
  return s;
}

export class GraphBuilder {
  readonly nodes: Node[] = [];
  readonly consts = new Map<string, Const>();
  outputs: string[] = [];
  meta: Record<string, string> = {};
  private readonly used = new Set<string>();

  constructor(
    public name: string,
    public stage: Stage,
    public steps?: number,
  ) {}

  /** Start from an existing graph, keeping its ids, constants, outputs and meta. */
  static from(g: Graph, stage: Stage = g.stage, steps: number | undefined = g.steps): GraphBuilder {
    const b = new GraphBuilder(g.name, stage, steps);
    for (const c of g.consts.values()) b.consts.set(c.id, c);
    for (const c of g.consts.keys()) b.used.add(c);
    b.outputs = [...g.outputs];
    b.meta = { ...g.meta };
    return b;
  }

  /** A fresh id derived from `hint`; never collides with a value or constant id. */
  fresh(hint: string): string {
    const base = sanitizeId(hint);
    let id = base;
    for (let i = 1; this.used.has(id); i++) id = `${base}_${i}`;
    this.used.add(id);
    return id;
  }

  /** Reserve an exact id (when copying a node); throws if it is taken. */
  claim(id: string): string {
    if (this.used.has(id)) throw new Error(`internal: id ${id} is already used`);
    this.used.add(id);
    return id;
  }

  addNode(node: Node): Node {
    if (!this.used.has(node.id)) this.used.add(node.id);
    this.nodes.push(node);
    return node;
  }

  /** Create a node with a fresh id from `hint`. */
  node(hint: string, op: string, inputs: readonly Ref[], attrs: Record<string, AttrValue>, type: TensorType, loc?: string): Node {
    const id = this.fresh(hint);
    return this.addNode({ id, op, inputs, attrs, type, ...(loc !== undefined ? { loc } : {}) });
  }

  /** Add a constant with a fresh id from `hint`. */
  constant(hint: string, type: TensorType, data: TensorData): string {
    const id = this.fresh(hint);
    this.consts.set(id, { id, type, data });
    return id;
  }

  /** Replace the data of an existing constant (same id). */
  setConst(c: Const): void {
    this.consts.set(c.id, c);
    this.used.add(c.id);
  }

  /** Drop constants no node references. */
  private liveConsts(): Map<string, Const> {
    const live = new Set<string>();
    for (const n of this.nodes) {
      for (const r of n.inputs) if (r.kind === 'const') live.add(r.id);
      for (const v of Object.values(n.attrs)) if (typeof v === 'object' && v !== null && !Array.isArray(v)) live.add((v as { const: string }).const);
    }
    const out = new Map<string, Const>();
    for (const [id, c] of this.consts) if (live.has(id)) out.set(id, c);
    return out;
  }

  build(): Graph {
    return {
      name: this.name,
      stage: this.stage,
      ...(this.steps !== undefined ? { steps: this.steps } : {}),
      nodes: [...this.nodes],
      consts: this.liveConsts(),
      outputs: [...this.outputs],
      meta: { ...this.meta },
    };
  }
}


/** For each value id, the nodes that read it. */
export function users(g: Graph): Map<string, Node[]> {
  const m = new Map<string, Node[]>();
  for (const n of g.nodes) {
    for (const r of n.inputs) {
      if (r.kind !== 'value') continue;
      const list = m.get(r.id);
      if (list) list.push(n);
      else m.set(r.id, [n]);
    }
  }
  return m;
}

