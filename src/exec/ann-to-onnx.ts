/**
 * Writes an `ann`-stage graph as an ONNX model (opset 13) that computes the same values, with
 * any chosen values as extra graph outputs, so onnxruntime can run calibration's forward pass
 * (ort-forward.ts). One ONNX node per IR op, except qcfs, written as the seven float32 ops
 * the executor evaluates in order (x/λ·L + 1/2, floor, /L, clip to [0, 1], ·λ), and dense, a
 * Gemm with transB (rank 2) or MatMul + Add. A batch axis becomes the dimension `N`; reshapes
 * put -1 there. An op with no ONNX form here is refused naming the node.
 */
import { SnncError } from '../../ir/diagnostics.js';
import { attrBool, attrInt, attrInts, attrNum, attrVector } from '../../ir/ops.js';
import { BATCH, type Graph, type Node } from '../../ir/types.js';
import { onnx, type NodeProto, type TensorProto, type ValueInfoProto } from '../frontend/onnx/decode.js';

const FLOAT = 1;
const INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, INTS: 7 } as const;

type Attr = { name: string; type: number; f?: number; i?: number; ints?: number[] };

const int = (name: string, i: number): Attr => ({ name, type: ATTR.INT, i });
const ints = (name: string, v: readonly number[]): Attr => ({ name, type: ATTR.INTS, ints: [...v] });
const float = (name: string, f: number): Attr => ({ name, type: ATTR.FLOAT, f });

function floatTensor(name: string, dims: readonly number[], data: ArrayLike<number>): TensorProto {
  const f = Float32Array.from(data);
  return { name, dims: [...dims], dataType: FLOAT, rawData: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) };
}

function int64Tensor(name: string, data: readonly number[]): TensorProto {
  const v = BigInt64Array.from(data.map((x) => BigInt(x)));
  return { name, dims: [data.length], dataType: INT64, rawData: new Uint8Array(v.buffer) };
}

function valueInfo(name: string, shape?: readonly number[]): ValueInfoProto {
  const dims = shape?.map((d) => (d === BATCH ? { dimParam: 'N' } : { dimValue: d }));
  return { name, type: { tensorType: { elemType: FLOAT, shape: dims ? { dim: dims } : undefined } } };
}

/** The ONNX model of `g` with `extraOutputs` (value ids) after its own outputs; bytes. */
export function annToOnnx(g: Graph, extraOutputs: readonly string[] = []): Uint8Array {
  if (g.stage !== 'ann') throw new SnncError('SNN0407', `only an ann graph can be written for onnxruntime; this one is at stage ${g.stage}`);
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  const inputs: ValueInfoProto[] = [];
  const written = new Set<string>();
  let fresh = 0;
  const temp = (base: string): string => `${base}__${fresh++}`;
  const constant = (id: string): string => {
    if (!written.has(id)) {
      const c = g.consts.get(id)!;
      initializers.push(floatTensor(id, c.type.shape, c.data));
      written.add(id);
    }
    return id;
  };
  const scalar = (value: number, dims: readonly number[] = []): string => {
    const name = temp('k');
    initializers.push(floatTensor(name, dims, [value]));
    return name;
  };
  const operand = (n: Node, i: number): string => {
    const r = n.inputs[i];
    return r.kind === 'value' ? r.id : constant(r.id);
  };
  const emit = (op: string, ins: string[], out: string, attrs: Attr[] = []): void => {
    nodes.push({ opType: op, input: ins, output: [out], attribute: attrs, name: out });
  };
  const all = (n: Node): string[] => n.inputs.map((_, i) => operand(n, i));

  for (const n of g.nodes) {
    const out = n.id;
    switch (n.op) {
      case 'input':
        // the samples arrive in the graph's layout (loadImages applies an input's perm)
        inputs.push(valueInfo(n.id, n.type.shape));
        break;
      case 'conv2d':
        emit('Conv', all(n), out, [ints('strides', attrInts(n, 'strides')), ints('pads', attrInts(n, 'pads')), ints('dilations', attrInts(n, 'dilations')), int('group', attrInt(n, 'group'))]);
        break;
      case 'dense': {
        const [x, w, b] = all(n);
        const rank = g.nodes.find((m) => m.id === n.inputs[0].id)?.type.shape.length;
        if (rank === 2) {
          emit('Gemm', b ? [x, w, b] : [x, w], out, [int('transB', 1)]);
        } else {
          const wt = temp(`${out}_wT`);
          emit('Transpose', [w], wt, [ints('perm', [1, 0])]);
          if (!b) emit('MatMul', [x, wt], out);
          else {
            const xw = temp(out);
            emit('MatMul', [x, wt], xw);
            emit('Add', [xw, b], out);
          }
        }
        break;
      }
      case 'gemm':
        emit('Gemm', all(n), out, [float('alpha', attrNum(n, 'alpha')), float('beta', attrNum(n, 'beta')), int('transA', attrBool(n, 'transA') ? 1 : 0), int('transB', attrBool(n, 'transB') ? 1 : 0)]);
        break;
      case 'matmul':
        emit('MatMul', all(n), out);
        break;
      case 'add':
      case 'sub':
      case 'mul':
      case 'div':
        emit(n.op[0].toUpperCase() + n.op.slice(1), all(n), out);
        break;
      case 'relu':
        emit('Relu', all(n), out);
        break;
      case 'floor':
        emit('Floor', all(n), out);
        break;
      case 'clip': {
        const lo = attrNum(n, 'min');
        const hi = attrNum(n, 'max');
        emit('Clip', [operand(n, 0), Number.isFinite(lo) ? scalar(lo) : '', Number.isFinite(hi) ? scalar(hi) : ''], out);
        break;
      }
      case 'qcfs':
        qcfs(n, g, operand(n, 0), { emit, temp, scalar, initializers });
        break;
      case 'batchnorm':
        emit('BatchNormalization', all(n), out, [float('epsilon', attrNum(n, 'epsilon'))]);
        break;
      case 'maxpool2d':
        emit('MaxPool', all(n), out, [ints('kernel_shape', attrInts(n, 'kernel')), ints('strides', attrInts(n, 'strides')), ints('pads', attrInts(n, 'pads')), ints('dilations', attrInts(n, 'dilations')), int('ceil_mode', attrBool(n, 'ceilMode') ? 1 : 0)]);
        break;
      case 'avgpool2d':
        emit('AveragePool', all(n), out, [ints('kernel_shape', attrInts(n, 'kernel')), ints('strides', attrInts(n, 'strides')), ints('pads', attrInts(n, 'pads')), int('ceil_mode', attrBool(n, 'ceilMode') ? 1 : 0), int('count_include_pad', attrBool(n, 'countIncludePad') ? 1 : 0)]);
        break;
      case 'globalavgpool':
        emit('GlobalAveragePool', all(n), out);
        break;
      case 'pad': {
        const pads = temp(`${out}_pads`);
        initializers.push(int64Tensor(pads, attrInts(n, 'pads')));
        emit('Pad', [operand(n, 0), pads, scalar(attrNum(n, 'value'))], out);
        break;
      }
      case 'concat':
        emit('Concat', all(n), out, [int('axis', attrInt(n, 'axis'))]);
        break;
      case 'transpose':
        emit('Transpose', all(n), out, [ints('perm', attrInts(n, 'perm'))]);
        break;
      case 'flatten':
      case 'reshape': {
        const shape = temp(`${out}_shape`);
        initializers.push(int64Tensor(shape, n.type.shape.map((d) => (d === BATCH ? -1 : d))));
        emit('Reshape', [operand(n, 0), shape], out);
        break;
      }
      default:
        throw new SnncError('SNN0507', `${n.id}: op ${n.op} has no onnxruntime form; calibrate with --ann-forward snnc`);
    }
  }
  const outputs = [...g.outputs, ...extraOutputs.filter((id) => !g.outputs.includes(id))];
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'snnc',
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'snnc-ann', node: nodes, initializer: initializers, input: inputs, output: outputs.map((id) => valueInfo(id)) },
  });
  return onnx.ModelProto.encode(model).finish();
}

interface Writer {
  emit(op: string, ins: string[], out: string, attrs?: Attr[]): void;
  temp(base: string): string;
  scalar(value: number, dims?: readonly number[]): string;
  initializers: TensorProto[];
}

/** λ clip(floor(x L/λ + 1/2) / L, 0, 1): λ scalar, or per channel broadcast over axis 1. */
function qcfs(n: Node, g: Graph, x: string, w: Writer): void {
  const L = attrInt(n, 'levels');
  const rank = n.type.shape.length;
  const lam = attrVector(n, 'lambda', g.consts)!;
  const lambda = w.temp(`${n.id}_lambda`);
  const dims = lam.length === 1 ? [] : [lam.length, ...Array.from({ length: Math.max(0, rank - 2) }, () => 1)];
  w.initializers.push(floatTensor(lambda, dims, lam));
  const a = w.temp(n.id);
  const b = w.temp(n.id);
  const c = w.temp(n.id);
  const d = w.temp(n.id);
  const e = w.temp(n.id);
  const f = w.temp(n.id);
  w.emit('Div', [x, lambda], a);
  w.emit('Mul', [a, w.scalar(L)], b);
  w.emit('Add', [b, w.scalar(0.5)], c);
  w.emit('Floor', [c], d);
  w.emit('Div', [d, w.scalar(L)], e);
  w.emit('Clip', [e, w.scalar(0), w.scalar(1)], f);
  w.emit('Mul', [f, lambda], n.id);
}
