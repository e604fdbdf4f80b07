/**
 * What ONNX snnc accepts, one entry per op: the attributes it reads (any other attribute is an
 * error), the input forms across opsets 7-21, and how the node becomes IR nodes or a folded
 * constant. Compile-time subgraphs (Shape/Gather/Unsqueeze/Concat feeding Reshape, Constant,
 * arithmetic on initializers) are folded; everything else becomes IR.
 */
import { BATCH } from '../../../ir/types.js';
import { permuteAxes, product } from '../../../ir/shape.js';
import { onnx } from './decode.js';
import {
  binaryConst,
  concatConst,
  floatTensor,
  gatherConst,
  intTensor,
  normAxis,
  reshapeConst,
  resolveReshape,
  shapeTensor,
  squeezeDims,
  unsqueezeDims,
  type ConstTensor,
} from './consts.js';
import type { NodeContext, Val, ValueVal } from './context.js';

export interface OnnxOpImporter {
  /** Attributes read; any other attribute on the node is rejected. */
  readonly attrs: readonly string[];
  /** Input forms accepted, for the documentation and error messages. */
  readonly forms: string;
  /** One result per ONNX output that snnc produces; missing trailing outputs are unavailable. */
  import(ctx: NodeContext): Val[];
}

const DT = onnx.TensorProto.DataType;

function k(c: ConstTensor): Val {
  return { kind: 'const', c };
}

function rank(v: Val): number {
  return v.kind === 'value' ? v.type.shape.length : v.c.dims.length;
}

/** Guard a handler against folding/shape errors thrown as RangeError. */
function guard<T>(ctx: NodeContext, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError) ctx.fail('SNN0306', e.message);
    throw e;
  }
}

// ---------------------------------------------------------------- sliding windows (Conv, pools)

interface Window {
  kernel: number[];
  strides: number[];
  pads: number[]; // [top, left, bottom, right]
  dilations: number[];
}

/**
 * Read kernel/strides/pads/dilations/auto_pad of a 1-D or 2-D window op and return 2-D values
 * (1-D ops are run as 2-D ops of height 1).
 */
function readWindow(ctx: NodeContext, spatialIn: readonly number[], kernel: readonly number[]): Window {
  const d = spatialIn.length;
  const strides = ctx.ints('strides', undefined) ?? new Array(d).fill(1);
  const dil = ctx.ints('dilations', undefined) ?? new Array(d).fill(1);
  const autoPad = ctx.str('auto_pad', 'NOTSET');
  if (strides.length !== d || dil.length !== d) ctx.fail('SNN0304', `strides and dilations need ${d} entries`);
  let begin: number[];
  let end: number[];
  if (autoPad === 'NOTSET') {
    const pads = ctx.ints('pads', undefined) ?? new Array(2 * d).fill(0);
    if (pads.length !== 2 * d) ctx.fail('SNN0304', `pads needs ${2 * d} entries, found ${pads.length}`);
    begin = pads.slice(0, d);
    end = pads.slice(d);
  } else if (autoPad === 'VALID') {
    begin = new Array(d).fill(0);
    end = new Array(d).fill(0);
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    begin = [];
    end = [];
    for (let i = 0; i < d; i++) {
      const out = Math.ceil(spatialIn[i] / strides[i]);
      const total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dil[i] + 1 - spatialIn[i]);
      const small = Math.floor(total / 2);
      begin.push(autoPad === 'SAME_UPPER' ? small : total - small);
      end.push(autoPad === 'SAME_UPPER' ? total - small : small);
    }
  } else return ctx.fail('SNN0304', `auto_pad '${autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID`);
  if (d === 1) return { kernel: [1, kernel[0]], strides: [1, strides[0]], pads: [0, begin[0], 0, end[0]], dilations: [1, dil[0]] };
  return { kernel: [...kernel], strides: [...strides], pads: [begin[0], begin[1], end[0], end[1]], dilations: [...dil] };
}

/** Run a 2-D window op on a 3-D ([N,C,L]) or 4-D input; 3-D inputs go through reshapes. */
function spatial2d(ctx: NodeContext, x: ValueVal, run: (x4: ValueVal) => ValueVal): ValueVal {
  const r = x.type.shape.length;
  if (r === 4) return run(x);
  if (r !== 3) ctx.fail('SNN0304', `${r - 2}-D ${ctx.op} is not supported (1-D and 2-D are)`);
  const [n, c, l] = x.type.shape;
  const x4 = ctx.emit('reshape', [x], { shape: [n, c, 1, l] }, `${ctx.name}.to2d`);
  const y4 = run(x4);
  const [, c2, , l2] = y4.type.shape;
  return ctx.emit('reshape', [y4], { shape: [n, c2, l2] }, `${ctx.name}.to1d`);
}

function spatialDims(ctx: NodeContext, x: ValueVal): number[] {
  const s = x.type.shape;
  if (s.length !== 3 && s.length !== 4) ctx.fail('SNN0304', `${s.length - 2}-D ${ctx.op} is not supported (1-D and 2-D are)`);
  return s.slice(2) as number[];
}

function checkKernelShape(ctx: NodeContext, kernel: readonly number[]): void {
  const ks = ctx.ints('kernel_shape', undefined);
  if (ks && (ks.length !== kernel.length || ks.some((k, i) => k !== kernel[i]))) ctx.fail('SNN0306', `kernel_shape [${ks}] differs from the weight's kernel [${kernel}]`);
}

// ---------------------------------------------------------------- elementwise

function toFloatConst(c: ConstTensor): ConstTensor {
  return c.kind === 'float' ? c : floatTensor(c.dims, c.data);
}

const ARITH: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
};

function arithmetic(ctx: NodeContext): Val[] {
  const a = ctx.input(0, 'A');
  const b = ctx.input(1, 'B');
  const f = ARITH[ctx.op];
  if (a.kind === 'const' && b.kind === 'const') {
    const isInt = a.c.kind === 'int' && b.c.kind === 'int';
    const op = isInt && ctx.op === 'Div' ? (x: number, y: number) => Math.trunc(x / y) : f;
    return [k(guard(ctx, () => binaryConst(op, a.c, b.c, isInt)))];
  }
  const norm = (v: Val): Val => (v.kind === 'const' ? { kind: 'const', c: toFloatConst(v.c) } : v);
  return [ctx.emit(ctx.op.toLowerCase(), [norm(a), norm(b)], {})];
}

function unaryFold(ctx: NodeContext, irOp: string, f: (x: number) => number, attrs: Record<string, number> = {}): Val[] {
  const x = ctx.input(0, 'X');
  if (x.kind === 'const') return [{ kind: 'const', c: { kind: x.c.kind, dims: x.c.dims, data: x.c.data.map(f) } }];
  return [ctx.emit(irOp, [x], attrs)];
}

/** Gemm's B as a dense weight [m, k]: alpha * B, transposed unless transB. */
function denseWeights(b: ArrayLike<number>, m: number, k: number, transB: boolean, alpha: number): Float32Array {
  const w = new Float32Array(m * k);
  for (let o = 0; o < m; o++) for (let i = 0; i < k; i++) w[o * k + i] = alpha * b[transB ? o * k + i : i * m + o];
  return w;
}

// ---------------------------------------------------------------- the table

export const ONNX_OPS: Readonly<Record<string, OnnxOpImporter>> = {
  Conv: {
    attrs: ['auto_pad', 'dilations', 'group', 'kernel_shape', 'pads', 'strides'],
    forms: 'X [N,C,L] or [N,C,H,W]; W a constant; optional constant B',
    import(ctx) {
      const x = ctx.value(0, 'X');
      const w = ctx.constant(1, 'W');
      const b = ctx.optionalConstant(2, 'B');
      const sp = spatialDims(ctx, x);
      if (w.dims.length !== sp.length + 2) ctx.fail('SNN0306', `W has rank ${w.dims.length}, expected ${sp.length + 2}`);
      const kernel = w.dims.slice(2) as number[];
      checkKernelShape(ctx, kernel);
      const win = readWindow(ctx, sp, kernel);
      const w4 = sp.length === 1 ? reshapeConst(toFloatConst(w), [w.dims[0], w.dims[1], 1, w.dims[2]]) : toFloatConst(w);
      const y = spatial2d(ctx, x, (x4) =>
        ctx.emit('conv2d', b ? [x4, { kind: 'const', c: w4 }, { kind: 'const', c: toFloatConst(b) }] : [x4, { kind: 'const', c: w4 }], {
          strides: win.strides,
          pads: win.pads,
          dilations: win.dilations,
          group: ctx.int('group', 1),
        }),
      );
      return [y];
    },
  },

  Gemm: {
    attrs: ['alpha', 'beta', 'transA', 'transB'],
    forms: 'Y = alpha op(A) op(B) + beta C; a constant B (and C) becomes a dense layer, otherwise a general product',
    import(ctx) {
      const a = ctx.input(0, 'A');
      const bv = ctx.input(1, 'B');
      const alpha = ctx.float('alpha', 1);
      const beta = ctx.float('beta', 1);
      const transA = ctx.int('transA', 0) !== 0;
      const transB = ctx.int('transB', 0) !== 0;
      const c = ctx.has(2) ? ctx.input(2, 'C') : undefined;
      if (a.kind === 'value' && bv.kind === 'const' && !transA && (!c || c.kind === 'const') && bv.c.dims.length === 2) {
        const [r, k] = bv.c.dims;
        const [m, kk] = transB ? [r, k] : [k, r];
        // torch's Linear (transB, alpha 1) is already the dense layout: no copy of the weights
        const weight: Val = transB && alpha === 1 && bv.c.kind === 'float' ? { kind: 'const', c: bv.c } : { kind: 'const', c: floatTensor([m, kk], denseWeights(bv.c.data, m, kk, transB, alpha)) };
        if (!c) return [ctx.emit('dense', [a, weight], {})];
        const cc = c.kind === 'const' ? c.c : undefined;
        const n = cc ? product(cc.dims) : 0;
        // C is a bias when it is the same for every row: shape [], [1], [m], [1, m] or [1, 1].
        const perColumn = cc !== undefined && (n === m || n === 1) && (cc.dims.length < 2 || cc.dims[cc.dims.length - 2] === 1);
        if (cc && perColumn) {
          const bias = floatTensor([m], Array.from({ length: m }, (_, o) => beta * cc.data[n === 1 ? 0 : o]));
          return [ctx.emit('dense', [a, weight, { kind: 'const', c: bias }], {})];
        }
        const y = ctx.emit('dense', [a, weight], {}, `${ctx.name}.product`);
        const scaled = floatTensor(cc!.dims, Array.from(cc!.data, (v) => beta * v));
        return [ctx.emit('add', [y, { kind: 'const', c: scaled }], {})];
      }
      const inputs: Val[] = [a, bv, ...(c ? [c] : [])].map((v) => (v.kind === 'const' ? { kind: 'const', c: toFloatConst(v.c) } : v));
      if (inputs.every((v) => v.kind === 'const')) ctx.fail('SNN0304', 'Gemm of constants only: fold it before export');
      return [ctx.emit('gemm', inputs, { alpha, beta, transA, transB })];
    },
  },

  MatMul: {
    attrs: [],
    forms: 'A x B; a constant 2-D B becomes a dense layer, otherwise a general batched product',
    import(ctx) {
      const a = ctx.input(0, 'A');
      const b = ctx.input(1, 'B');
      if (a.kind === 'value' && b.kind === 'const' && b.c.dims.length === 2) {
        const [k, m] = b.c.dims;
        const w = new Float32Array(m * k);
        for (let o = 0; o < m; o++) for (let i = 0; i < k; i++) w[o * k + i] = b.c.data[i * m + o];
        return [ctx.emit('dense', [a, { kind: 'const', c: floatTensor([m, k], w) }], {})];
      }
      if (a.kind === 'const' && b.kind === 'const') ctx.fail('SNN0304', 'MatMul of constants only: fold it before export');
      const norm = (v: Val): Val => (v.kind === 'const' ? { kind: 'const', c: toFloatConst(v.c) } : v);
      return [ctx.emit('matmul', [norm(a), norm(b)], {})];
    },
  },

  Add: { attrs: [], forms: 'numpy broadcasting', import: arithmetic },
  Sub: { attrs: [], forms: 'numpy broadcasting', import: arithmetic },
  Mul: { attrs: [], forms: 'numpy broadcasting', import: arithmetic },
  Div: { attrs: [], forms: 'numpy broadcasting', import: arithmetic },

  Relu: { attrs: [], forms: 'X', import: (ctx) => unaryFold(ctx, 'relu', (x) => Math.max(x, 0)) },
  Floor: { attrs: [], forms: 'X', import: (ctx) => unaryFold(ctx, 'floor', Math.floor) },

  Clip: {
    attrs: ['min', 'max'],
    forms: 'opset < 11: min/max attributes; opset >= 11: optional constant inputs min, max',
    import(ctx) {
      let lo: number;
      let hi: number;
      if (ctx.opset < 11) {
        lo = ctx.float('min', -3.4028234663852886e38);
        hi = ctx.float('max', 3.4028234663852886e38);
      } else {
        const scalar = (i: number, what: string, fallback: number): number => {
          const c = ctx.optionalConstant(i, what);
          if (!c) return fallback;
          if (c.data.length !== 1) ctx.fail('SNN0304', `${what} must be a scalar, found ${c.data.length} values`);
          return c.data[0];
        };
        lo = scalar(1, 'min', -Infinity);
        hi = scalar(2, 'max', Infinity);
      }
      return unaryFold(ctx, 'clip', (x) => Math.min(Math.max(x, lo), hi), { min: lo, max: hi });
    },
  },

  BatchNormalization: {
    attrs: ['epsilon', 'momentum', 'spatial', 'training_mode'],
    forms: 'inference form: X, constant scale, B, mean, var; one output',
    import(ctx) {
      if (ctx.int('spatial', 1) !== 1) ctx.fail('SNN0304', 'spatial = 0 (per-activation statistics) is not supported');
      if (ctx.int('training_mode', 0) !== 0) ctx.fail('SNN0304', 'training_mode = 1 (batch statistics) is not supported; export in eval mode');
      const x = ctx.value(0, 'X');
      const params = ['scale', 'B', 'input_mean', 'input_var'].map((w, i): Val => ({ kind: 'const', c: toFloatConst(ctx.constant(i + 1, w)) }));
      return [ctx.emit('batchnorm', [x, ...params], { epsilon: ctx.float('epsilon', 1e-5) })];
    },
  },

  MaxPool: {
    attrs: ['auto_pad', 'ceil_mode', 'dilations', 'kernel_shape', 'pads', 'storage_order', 'strides'],
    forms: '1-D or 2-D; output 0 only (no Indices)',
    import(ctx) {
      const x = ctx.value(0, 'X');
      if (ctx.int('storage_order', 0) !== 0) ctx.fail('SNN0304', 'storage_order = 1 (column-major indices) is not supported');
      const kernel = ctx.ints('kernel_shape', undefined);
      if (!kernel) return ctx.fail('SNN0304', 'kernel_shape is required');
      const win = readWindow(ctx, spatialDims(ctx, x), kernel);
      const ceilMode = ctx.int('ceil_mode', 0) !== 0;
      return [spatial2d(ctx, x, (x4) => ctx.emit('maxpool2d', [x4], { kernel: win.kernel, strides: win.strides, pads: win.pads, dilations: win.dilations, ceilMode }))];
    },
  },

  AveragePool: {
    attrs: ['auto_pad', 'ceil_mode', 'count_include_pad', 'dilations', 'kernel_shape', 'pads', 'strides'],
    forms: '1-D or 2-D, dilations 1',
    import(ctx) {
      const x = ctx.value(0, 'X');
      const kernel = ctx.ints('kernel_shape', undefined);
      if (!kernel) return ctx.fail('SNN0304', 'kernel_shape is required');
      const win = readWindow(ctx, spatialDims(ctx, x), kernel);
      if (win.dilations.some((d) => d !== 1)) ctx.fail('SNN0304', 'dilated average pooling is not supported');
      const attrs = { kernel: win.kernel, strides: win.strides, pads: win.pads, ceilMode: ctx.int('ceil_mode', 0) !== 0, countIncludePad: ctx.int('count_include_pad', 0) !== 0 };
      return [spatial2d(ctx, x, (x4) => ctx.emit('avgpool2d', [x4], attrs))];
    },
  },

  GlobalAveragePool: {
    attrs: [],
    forms: '4-D NCHW',
    import(ctx) {
      const x = ctx.value(0, 'X');
      if (x.type.shape.length !== 4) ctx.fail('SNN0304', `only 4-D inputs are supported, found rank ${x.type.shape.length}`);
      return [ctx.emit('globalavgpool', [x], {})];
    },
  },

  Pad: {
    attrs: ['mode', 'pads', 'value'],
    forms: 'mode constant; opset < 11: pads/value attributes; opset >= 11: constant inputs pads, constant_value, (18+) axes',
    import(ctx) {
      const mode = ctx.str('mode', 'constant');
      if (mode !== 'constant') ctx.fail('SNN0304', `mode '${mode}' is not supported (constant is)`);
      const x = ctx.value(0, 'data');
      const r = x.type.shape.length;
      let pads: number[];
      let value = 0;
      if (ctx.opset < 11) {
        pads = [...(ctx.ints('pads', undefined) ?? ctx.fail('SNN0304', 'pads is required'))];
        value = ctx.float('value', 0);
      } else {
        const p = Array.from(ctx.constant(1, 'pads').data);
        const cv = ctx.optionalConstant(2, 'constant_value');
        if (cv) value = cv.data[0];
        const axesC = ctx.optionalConstant(3, 'axes');
        if (axesC) {
          const axes = Array.from(axesC.data, (a) => guard(ctx, () => normAxis(a, r, 'axis')));
          if (p.length !== 2 * axes.length) ctx.fail('SNN0306', `pads needs ${2 * axes.length} entries for ${axes.length} axes`);
          pads = new Array(2 * r).fill(0);
          axes.forEach((a, i) => {
            pads[a] = p[i];
            pads[a + r] = p[i + axes.length];
          });
        } else pads = p;
      }
      if (pads.length !== 2 * r) ctx.fail('SNN0306', `pads needs ${2 * r} entries, found ${pads.length}`);
      return [ctx.emit('pad', [x], { pads, value })];
    },
  },

  Flatten: {
    attrs: ['axis'],
    forms: 'axis (negative counts from the end)',
    import(ctx) {
      const x = ctx.input(0, 'input');
      const r = rank(x);
      const axis = ctx.int('axis', 1);
      const a = axis < 0 ? axis + r : axis;
      if (a < 0 || a > r) ctx.fail('SNN0306', `axis ${axis} out of range for rank ${r}`);
      if (x.kind === 'const') return [k(guard(ctx, () => reshapeConst(x.c, [product(x.c.dims.slice(0, a)), product(x.c.dims.slice(a))])))];
      return [ctx.emit('flatten', [x], { axis: a })];
    },
  },

  Reshape: {
    attrs: ['allowzero'],
    forms: 'constant shape input (may be computed by a foldable shape subgraph)',
    import(ctx) {
      const x = ctx.input(0, 'data');
      const target = Array.from(ctx.constant(1, 'shape').data);
      const allowZero = ctx.int('allowzero', 0) !== 0;
      if (x.kind === 'const') return [k(guard(ctx, () => reshapeConst(x.c, resolveReshape(x.c.dims, target, allowZero))))];
      const shape = guard(ctx, () => resolveReshape(x.type.shape, target, allowZero, ctx.fixedBatch));
      return [ctx.emit('reshape', [x], { shape })];
    },
  },

  Transpose: {
    attrs: ['perm'],
    forms: 'a constant (folded); a run-time tensor with the batch axis kept first (an NHWC input, a Keras flatten order: removed by canonicalize)',
    import(ctx) {
      const x = ctx.input(0, 'data');
      const r = rank(x);
      const perm = ctx.ints('perm', undefined) ?? Array.from({ length: r }, (_, i) => r - 1 - i);
      if (perm.length !== r || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) ctx.fail('SNN0306', `perm [${perm}] is not a permutation of ${r} axes`);
      if (x.kind === 'const') {
        const data = permuteAxes(x.c.data, x.c.dims, perm, x.c.kind === 'float' ? new Float32Array(x.c.data.length) : new Float64Array(x.c.data.length));
        return [k({ kind: x.c.kind, dims: perm.map((p) => x.c.dims[p]), data })];
      }
      if (perm[0] !== 0) ctx.fail('SNN0304', `perm [${perm}] moves the batch axis 0; snnc runs samples one by one`);
      if (perm.every((p, i) => p === i)) return [x];
      return [ctx.emit('transpose', [x], { perm })];
    },
  },

  Concat: {
    attrs: ['axis'],
    forms: 'axis (negative counts from the end)',
    import(ctx) {
      const ins = Array.from({ length: ctx.inputCount }, (_, i) => ctx.input(i, `input ${i}`));
      const r = rank(ins[0]);
      const axis = guard(ctx, () => normAxis(ctx.int('axis', NaN), r, 'axis'));
      if (ins.every((v) => v.kind === 'const')) return [k(guard(ctx, () => concatConst(ins.map((v) => (v as { c: ConstTensor }).c), axis)))];
      return [ctx.emit('concat', ins.map((v) => (v.kind === 'const' ? { kind: 'const', c: toFloatConst(v.c) } : v)), { axis })];
    },
  },

  Dropout: {
    attrs: ['ratio', 'seed'],
    forms: 'inference: output 0 = input; training_mode must be absent or false; the mask output is not produced',
    import(ctx) {
      const tm = ctx.optionalConstant(2, 'training_mode');
      if (tm && tm.data[0] !== 0) ctx.fail('SNN0304', 'training_mode = true (random dropout) is not supported');
      return [ctx.input(0, 'data')];
    },
  },

  Identity: { attrs: [], forms: 'tensor input', import: (ctx) => [ctx.input(0, 'input')] },

  Constant: {
    attrs: ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'],
    forms: 'value tensor, value_float(s), value_int(s)',
    import(ctx) {
      const t = ctx.tensorAttr('value');
      if (t) return [{ kind: 'const', c: t }];
      const fl = ctx.floats('value_floats');
      if (fl) return [{ kind: 'const', c: floatTensor([fl.length], fl) }];
      const is = ctx.ints('value_ints', undefined);
      if (is) return [{ kind: 'const', c: intTensor([is.length], is) }];
      if (ctx.attributeNames().includes('value_float')) return [{ kind: 'const', c: floatTensor([], [ctx.float('value_float', 0)]) }];
      if (ctx.attributeNames().includes('value_int')) return [{ kind: 'const', c: intTensor([], [ctx.int('value_int', 0)]) }];
      return ctx.fail('SNN0304', 'Constant needs value, value_float(s) or value_int(s) (sparse and string values are not supported)');
    },
  },

  Squeeze: {
    attrs: ['axes'],
    forms: 'opset < 13: axes attribute; opset >= 13: optional constant axes input',
    import(ctx) {
      const x = ctx.input(0, 'data');
      const axes = ctx.opset < 13 ? ctx.ints('axes', undefined) : ctx.has(1) ? Array.from(ctx.constant(1, 'axes').data) : undefined;
      if (x.kind === 'const') return [k(guard(ctx, () => reshapeConst(x.c, squeezeDims(x.c.dims, axes))))];
      if (!axes && x.type.shape[0] === BATCH) ctx.fail('SNN0304', 'Squeeze without axes on a batched tensor would depend on the batch size');
      const shape = guard(ctx, () => squeezeDims(x.type.shape, axes));
      return [ctx.emit('reshape', [x], { shape })];
    },
  },

  Unsqueeze: {
    attrs: ['axes'],
    forms: 'opset < 13: axes attribute; opset >= 13: constant axes input',
    import(ctx) {
      const x = ctx.input(0, 'data');
      const axes = ctx.opset < 13 ? (ctx.ints('axes', undefined) ?? ctx.fail('SNN0304', 'axes is required')) : Array.from(ctx.constant(1, 'axes').data);
      if (x.kind === 'const') return [k(guard(ctx, () => reshapeConst(x.c, unsqueezeDims(x.c.dims, axes))))];
      const shape = guard(ctx, () => unsqueezeDims(x.type.shape, axes));
      if (shape.indexOf(BATCH) > 0) ctx.fail('SNN0304', 'Unsqueeze at axis 0 would move the batch axis');
      return [ctx.emit('reshape', [x], { shape })];
    },
  },

  Shape: {
    attrs: ['start', 'end'],
    forms: 'folded at import: the batch size stays symbolic',
    import(ctx) {
      const x = ctx.input(0, 'data');
      const dims = x.kind === 'value' ? x.type.shape : x.c.dims;
      const r = dims.length;
      const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
      const s = clamp(ctx.int('start', 0));
      const e = clamp(ctx.int('end', r));
      const full = shapeTensor(dims);
      return [{ kind: 'const', c: intTensor([Math.max(0, e - s)], full.data.slice(s, Math.max(s, e))) }];
    },
  },

  Gather: {
    attrs: ['axis'],
    forms: 'constant data and indices (shape computations), folded at import',
    import(ctx) {
      const data = ctx.input(0, 'data');
      const idx = ctx.input(1, 'indices');
      if (data.kind !== 'const' || idx.kind !== 'const') return ctx.fail('SNN0304', 'Gather is supported on constants (shape computations) only, not on run-time tensors');
      return [{ kind: 'const', c: guard(ctx, () => gatherConst(data.c, idx.c, ctx.int('axis', 0))) }];
    },
  },

  Cast: {
    attrs: ['to', 'saturate'],
    forms: 'constants: folded; run-time tensors: to float only',
    import(ctx) {
      const x = ctx.input(0, 'input');
      const to = ctx.int('to', 0);
      const isFloat = to === DT.FLOAT || to === DT.DOUBLE || to === DT.FLOAT16;
      if (x.kind === 'value') {
        if (!isFloat) ctx.fail('SNN0304', 'Cast of a run-time tensor to a non-float type is not supported');
        return [x];
      }
      if (isFloat) return [{ kind: 'const', c: toFloatConst(x.c) }];
      return [{ kind: 'const', c: intTensor(x.c.dims, Array.from(x.c.data, (v) => (to === DT.BOOL ? (v !== 0 ? 1 : 0) : Number.isNaN(v) ? v : Math.trunc(v)))) }];
    },
  },
};

export const SUPPORTED_ONNX_OPS = Object.keys(ONNX_OPS).sort();
