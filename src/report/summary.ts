/** Per-layer summary of a graph: shapes, parameter counts and multiply-accumulates per sample. */
import { BATCH, numel, type Graph, type Node } from '../../ir/types.js';

/** A shape for JSON: the batch axis is "N". */
export function jsonShape(shape: readonly number[]): (number | 'N')[] {
  return shape.map((d) => (d === BATCH ? 'N' : d));
}

export interface LayerSummary {
  readonly id: string;
  readonly op: string;
  readonly shape: (number | 'N')[];
  readonly params: number;
  readonly macs: number;
  readonly onnx?: string;
}

export interface GraphSummary {
  readonly name: string;
  readonly stage: string;
  readonly steps?: number;
  readonly inputs: { id: string; shape: (number | 'N')[] }[];
  readonly outputs: { id: string; shape: (number | 'N')[] }[];
  readonly layers: LayerSummary[];
  readonly params: number;
  readonly macs: number;
}

/** Multiply-accumulates of one node for one sample. */
export function nodeMacs(g: Graph, n: Node): number {
  const perSample = numel(n.type.shape.slice(1));
  const w = n.inputs[1]?.kind === 'const' ? g.consts.get(n.inputs[1].id) : undefined;
  switch (n.op) {
    case 'conv2d':
      return w ? perSample * numel(w.type.shape.slice(1)) : 0;
    case 'dense':
      return w ? perSample * w.type.shape[1] : 0;
    case 'gemm':
    case 'matmul': {
      const a = n.inputs[0];
      const shape = a.kind === 'const' ? g.consts.get(a.id)!.type.shape : (g.nodes.find((m) => m.id === a.id)?.type.shape ?? []);
      const k = n.op === 'gemm' && n.attrs.transA === true ? shape[0] : shape[shape.length - 1];
      return numel(n.type.shape) * (k ?? 0);
    }
    default:
      return 0;
  }
}

export function summarize(g: Graph): GraphSummary {
  const layers: LayerSummary[] = [];
  let params = 0;
  let macs = 0;
  for (const n of g.nodes) {
    const p = n.inputs.filter((r) => r.kind === 'const').reduce((s, r) => s + g.consts.get(r.id)!.data.length, 0);
    const m = nodeMacs(g, n);
    params += p;
    macs += m;
    layers.push({ id: n.id, op: n.op, shape: jsonShape(n.type.shape), params: p, macs: m, ...(n.loc !== undefined ? { onnx: n.loc } : {}) });
  }
  const inputs = g.nodes.filter((n) => n.op === 'input').map((n) => ({ id: n.id, shape: jsonShape(n.type.shape) }));
  const outputs = g.outputs.map((o) => ({ id: o, shape: jsonShape(g.nodes.find((n) => n.id === o)!.type.shape) }));
  return { name: g.name, stage: g.stage, ...(g.steps !== undefined ? { steps: g.steps } : {}), inputs, outputs, layers, params, macs };
}
