/**
 * The float executor of the `ann` stage: runs a graph on a batch, op by op in graph order,
 * dropping every intermediate tensor after its last use. `onValue` sees each value as it is
 * computed (the calibration statistics hook).
 */
import { attrBool, attrInt, attrInts, attrNum, attrVector } from '../../ir/ops.js';
import { concreteShape, permuteAxes } from '../../ir/shape.js';
import { BATCH, type Graph, type Node } from '../../ir/types.js';
import { avgpool2d, batchnorm, binary, concat, conv2d, dense, gemm, globalavgpool, matmul, maxpool2d, pad, relu, size, unaryMap, type Tensor } from './kernels.js';

export type { Tensor } from './kernels.js';

export interface AnnRunOptions {
  /** Called with every computed value (not with constants). */
  readonly onValue?: (node: Node, value: Tensor) => void;
}

type Kernel = (node: Node, args: Tensor[], g: Graph) => Tensor;

function qcfs(node: Node, x: Tensor, g: Graph): Tensor {
  // λ clip(floor(x L/λ + 1/2)/L, 0, 1) in float32, in the order PyTorch exports it.
  const lam = attrVector(node, 'lambda', g.consts)!;
  const L = attrInt(node, 'levels');
  const C = x.shape.length >= 2 ? x.shape[1] : 1;
  const inner = size(x.shape.slice(2));
  const out = new Float32Array(x.data.length);
  const f = Math.fround;
  for (let i = 0; i < out.length; i++) {
    const c = lam.length === 1 ? 0 : Math.floor(i / inner) % C;
    const l = f(lam[c]);
    const q = f(Math.floor(f(f(f(x.data[i] / l) * L) + 0.5)) / L);
    out[i] = f((q < 0 ? 0 : q > 1 ? 1 : q) * l);
  }
  return { shape: x.shape, data: out };
}

const KERNELS: Record<string, Kernel> = {
  conv2d: (n, [x, w, b]) =>
    conv2d(x, w, b?.data, { strides: attrInts(n, 'strides'), pads: attrInts(n, 'pads'), dilations: attrInts(n, 'dilations'), group: attrInt(n, 'group') }),
  dense: (_n, [x, w, b]) => dense(x, w, b?.data),
  gemm: (n, [a, b, c]) => gemm(a, b, c, attrNum(n, 'alpha'), attrNum(n, 'beta'), attrBool(n, 'transA'), attrBool(n, 'transB')),
  matmul: (_n, [a, b]) => matmul(a, b),
  add: (_n, [a, b]) => binary('add', a, b),
  sub: (_n, [a, b]) => binary('sub', a, b),
  mul: (_n, [a, b]) => binary('mul', a, b),
  div: (_n, [a, b]) => binary('div', a, b),
  relu: (_n, [x]) => relu(x),
  floor: (_n, [x]) => unaryMap(x, Math.floor),
  clip: (n, [x]) => {
    const lo = attrNum(n, 'min');
    const hi = attrNum(n, 'max');
    return unaryMap(x, (v) => (v < lo ? lo : v > hi ? hi : v));
  },
  qcfs: (n, [x], g) => qcfs(n, x, g),
  batchnorm: (n, [x, s, b, m, v]) => batchnorm(x, s.data, b.data, m.data, v.data, attrNum(n, 'epsilon')),
  maxpool2d: (n, [x]) =>
    maxpool2d(x, { kernel: attrInts(n, 'kernel'), strides: attrInts(n, 'strides'), pads: attrInts(n, 'pads'), dilations: attrInts(n, 'dilations'), ceilMode: attrBool(n, 'ceilMode') }),
  avgpool2d: (n, [x]) =>
    avgpool2d(x, { kernel: attrInts(n, 'kernel'), strides: attrInts(n, 'strides'), pads: attrInts(n, 'pads'), ceilMode: attrBool(n, 'ceilMode'), countIncludePad: attrBool(n, 'countIncludePad') }),
  globalavgpool: (_n, [x]) => globalavgpool(x),
  pad: (n, [x]) => pad(x, attrInts(n, 'pads'), attrNum(n, 'value')),
  concat: (n, xs) => concat(xs, attrInt(n, 'axis')),
  transpose: (n, [x]) => {
    const perm = attrInts(n, 'perm');
    return { shape: perm.map((p) => x.shape[p]), data: permuteAxes(x.data, x.shape, perm, new Float32Array(x.data.length)) };
  },
};

/** Number of samples in a batch of inputs; every input must agree on it. */
function batchSize(g: Graph, inputs: readonly Tensor[]): number {
  const inNodes = g.nodes.filter((n) => n.op === 'input');
  let batch = 1;
  inNodes.forEach((n, i) => {
    if (n.type.shape[0] === BATCH) batch = inputs[i].shape[0];
  });
  return batch;
}

/** Run `g` (stage ann) on one batch; returns the graph outputs in order. */
export function runAnn(g: Graph, inputs: readonly Tensor[], opts: AnnRunOptions = {}): Tensor[] {
  const inNodes = g.nodes.filter((n) => n.op === 'input');
  if (inputs.length !== inNodes.length) throw new Error(`internal: graph has ${inNodes.length} inputs, ${inputs.length} given`);
  const batch = batchSize(g, inputs);
  const lastUse = new Map<string, number>();
  g.nodes.forEach((n, i) => n.inputs.forEach((r) => r.kind === 'value' && lastUse.set(r.id, i)));
  for (const o of g.outputs) lastUse.set(o, Infinity);
  const values = new Map<string, Tensor>();
  const consts = new Map<string, Tensor>();
  const constTensor = (id: string): Tensor => {
    let t = consts.get(id);
    if (!t) {
      const c = g.consts.get(id)!;
      t = { shape: c.type.shape, data: c.data instanceof Float32Array ? c.data : Float32Array.from(c.data) };
      consts.set(id, t);
    }
    return t;
  };
  let inputIndex = 0;
  g.nodes.forEach((node, i) => {
    let out: Tensor;
    if (node.op === 'input') {
      out = inputs[inputIndex++];
    } else {
      const args = node.inputs.map((r) => (r.kind === 'value' ? values.get(r.id)! : constTensor(r.id)));
      if (node.op === 'flatten' || node.op === 'reshape') {
        out = { shape: concreteShape(node.type.shape, batch), data: args[0].data };
      } else {
        const k = KERNELS[node.op];
        if (!k) throw new Error(`internal: op ${node.op} has no ann kernel`);
        out = k(node, args, g);
      }
    }
    values.set(node.id, out);
    opts.onValue?.(node, out);
    for (const r of node.inputs) if (r.kind === 'value' && lastUse.get(r.id) === i) values.delete(r.id);
  });
  return g.outputs.map((o) => values.get(o)!);
}
