/**
 * The op table: for every IR op, the stages where it is legal, its operands, its attributes and
 * its shape rule, with the equation it computes. The verifier, the printer's documentation and
 * the executors all read this one table.
 *
 * Conventions: tensors are NCHW; `pads` of 2-D windows are [top, left, bottom, right]; the
 * spiking stages run T steps, and an op that is not stateful applies its ANN meaning at every
 * step to that step's values.
 */
import { formatShape, isBatched, isConstRef, numel, BATCH, type AttrValue, type Const, type DType, type Node, type Stage, type TensorType } from './types.js';
import { broadcastShapes, product, windowOut } from './shape.js';

export type AttrType = 'int' | 'float' | 'ints' | 'floats' | 'string' | 'bool' | 'const' | 'float|const';

export interface AttrSpec {
  readonly type: AttrType;
  readonly required?: boolean;
  /** Allowed values of a string attribute. */
  readonly values?: readonly string[];
  /** Stages in which the attribute may appear (default: every stage of the op). */
  readonly stages?: readonly Stage[];
  readonly doc: string;
}

export interface InferResult {
  readonly shape: readonly number[];
  /** Exact dtype; undefined = any integer dtype, checked by the fixed-point range analysis. */
  readonly dtype?: DType;
}

export interface InferContext {
  readonly node: Node;
  readonly stage: Stage;
  readonly inputs: readonly TensorType[];
  /** Which operands are constants. */
  readonly inputIsConst: readonly boolean[];
  readonly consts: ReadonlyMap<string, Const>;
}

export interface OpSpec {
  readonly stages: readonly Stage[];
  readonly summary: string;
  readonly operands: { readonly min: number; readonly max: number };
  /** Per operand position: may it be a value, a constant, or either? The last entry repeats. */
  readonly operandKinds: readonly ('value' | 'const' | 'any')[];
  readonly attrs: Readonly<Record<string, AttrSpec>>;
  /** Holds state across time steps (spiking stages). */
  readonly stateful?: boolean;
  infer(ctx: InferContext): InferResult;
}

export class InferError extends Error {}

function need(cond: unknown, message: string): asserts cond {
  if (!cond) throw new InferError(message);
}

// ---------------------------------------------------------------- attribute accessors

export function attrInt(node: Node, name: string, fallback?: number): number {
  const v = node.attrs[name];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number') throw new InferError(`attribute ${name} must be a number`);
  return v;
}
export const attrNum = attrInt;
export function attrInts(node: Node, name: string, fallback?: readonly number[]): readonly number[] {
  const v = node.attrs[name];
  if (v === undefined && fallback !== undefined) return fallback;
  if (!Array.isArray(v)) throw new InferError(`attribute ${name} must be a list of numbers`);
  return v as readonly number[];
}
export function attrStr(node: Node, name: string, fallback?: string): string {
  const v = node.attrs[name];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'string') throw new InferError(`attribute ${name} must be a string`);
  return v;
}
export function attrBool(node: Node, name: string, fallback?: boolean): boolean {
  const v = node.attrs[name];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'boolean') throw new InferError(`attribute ${name} must be true or false`);
  return v;
}

/** A scalar-or-constant attribute as a numeric vector (length 1 for a scalar). */
export function attrVector(node: Node, name: string, consts: ReadonlyMap<string, Const>, fallback?: number): Float64Array | undefined {
  const v: AttrValue | undefined = node.attrs[name];
  if (v === undefined) return fallback === undefined ? undefined : Float64Array.of(fallback);
  if (typeof v === 'number') return Float64Array.of(v);
  if (isConstRef(v)) {
    const c = consts.get(v.const);
    if (!c) throw new InferError(`attribute ${name} refers to undefined constant @${v.const}`);
    return Float64Array.from(c.data);
  }
  throw new InferError(`attribute ${name} must be a number or a constant`);
}

// ---------------------------------------------------------------- shape rules

const FLOAT_STAGES: readonly Stage[] = ['ann', 'snn-float'];
const ALL_STAGES: readonly Stage[] = ['ann', 'snn-float', 'snn-fixed'];
const SPIKING: readonly Stage[] = ['snn-float', 'snn-fixed'];

function floatOr(ctx: InferContext, shape: readonly number[], fixedDtype?: DType): InferResult {
  if (ctx.stage === 'snn-fixed') return fixedDtype === undefined ? { shape } : { shape, dtype: fixedDtype };
  return { shape, dtype: 'f32' };
}

function window2d(ctx: InferContext, withDilation: boolean): number[] {
  const x = ctx.inputs[0];
  need(x.shape.length === 4, `expects a 4-D NCHW input, found rank ${x.shape.length}`);
  const k = attrInts(ctx.node, 'kernel');
  const s = attrInts(ctx.node, 'strides');
  const p = attrInts(ctx.node, 'pads');
  const d = withDilation ? attrInts(ctx.node, 'dilations', [1, 1]) : [1, 1];
  need(k.length === 2 && s.length === 2 && p.length === 4 && d.length === 2, 'kernel, strides, dilations need 2 entries and pads 4');
  need(k.every((v) => v >= 1) && s.every((v) => v >= 1) && d.every((v) => v >= 1), 'kernel, strides and dilations must be >= 1');
  need(p.every((v) => v >= 0), 'pads must be >= 0');
  need(p[0] < d[0] * (k[0] - 1) + 1 && p[2] < d[0] * (k[0] - 1) + 1 && p[1] < d[1] * (k[1] - 1) + 1 && p[3] < d[1] * (k[1] - 1) + 1, 'a pad is as large as the window: some windows would see only padding');
  const ceil = ctx.node.attrs['ceilMode'] === true;
  const ho = windowOut(x.shape[2], k[0], s[0], p[0], p[2], d[0], ceil);
  const wo = windowOut(x.shape[3], k[1], s[1], p[1], p[3], d[1], ceil);
  need(ho > 0 && wo > 0, `window ${k.join('x')} does not fit input ${x.shape[2]}x${x.shape[3]} with these pads`);
  return [x.shape[0], x.shape[1], ho, wo];
}

function constShape(ctx: InferContext, i: number): readonly number[] {
  return ctx.inputs[i].shape;
}

const WINDOW_ATTRS = {
  kernel: { type: 'ints', required: true, doc: 'window [kh, kw]' },
  strides: { type: 'ints', required: true, doc: 'step [sh, sw]' },
  pads: { type: 'ints', required: true, doc: 'padding [top, left, bottom, right]' },
} as const satisfies Record<string, AttrSpec>;

const NEURON_FLOAT_ATTRS = {
  threshold: { type: 'float|const', required: true, doc: 'firing threshold θ: scalar, per channel or per neuron (per neuron needs an amplitude)' },
  amplitude: { type: 'float|const', doc: 'the value a spike carries, scalar or per channel (default θ, then θ must be scalar or per channel)' },
  reset: { type: 'string', required: true, values: ['subtract', 'zero'], doc: 'after a spike: v -= θ (subtract) or v = 0 (zero)' },
  vinit: { type: 'float|const', doc: 'initial membrane in units of θ (0.5 = θ/2); scalar, per channel or per neuron' },
  shift: { type: 'float|const', doc: 'constant added to v at every step, in units of θ (Deng & Gu: 1/(2T)); scalar, per channel or per neuron' },
  stepbias: { type: 'const', doc: 'per-step bias table [T, C] or [T, ...neuron shape] added at step t, in units of θ' },
  leak: { type: 'float|const', doc: 'multiplicative decay of v before each step (1 = IF, < 1 = LIF); scalar, per channel or per neuron' },
  fire: { type: 'string', values: ['ge', 'gt'], doc: 'spike when v >= θ (ge, the default) or v > θ (gt, NIR\'s rule; quantize makes it v >= θ + 1 LSB, reset = zero only)' },
  tpp: { type: 'string', values: ['remaining', 'iid', 'round'], doc: 'a two-phase neuron (ir/tpp.ts): accumulate until step window+T, then fire for T steps with p = clip(v/(θR), 0, 1); remaining: R = steps left, v -= θ per spike; iid: R = T, v kept; round: a spike iff v >= θ/2, v -= θ per spike (deterministic)' },
  window: { type: 'int', doc: 'TPP: the layer-major window offset o (accumulate to o+T, fire in o+T+1..o+2T); set by the schedule, checked by the verifier' },
  seed: { type: 'int', doc: 'TPP: seed of the counter-based generator (uint32)' },
  key: { type: 'int', doc: 'TPP: the population key of its draws (uint32)' },
} as const satisfies Record<string, AttrSpec>;

const NEURON_FIXED_ATTRS = {
  threshold: { type: 'float|const', required: true, doc: 'integer threshold (membrane LSBs); scalar, per channel or per neuron' },
  reset: { type: 'string', required: true, values: ['subtract', 'zero'], doc: 'after a spike: v -= θ (subtract) or v = 0 (zero)' },
  accbits: { type: 'int', required: true, doc: 'width of the synaptic accumulator the input current is narrowed to' },
  vbits: { type: 'int', required: true, doc: 'width of the membrane register' },
  overflow: { type: 'string', required: true, values: ['saturate', 'wrap'], doc: 'how acc and v are narrowed to their widths' },
  bias: { type: 'const', doc: 'folded per-step bias table [R, C] or [R, ...shape]; row min(t,R)-1 is added at step t' },
  vinit: { type: 'float|const', doc: 'integer initial membrane (before fold-temporal-bias)' },
  shift: { type: 'float|const', doc: 'integer added at every step; scalar, per channel or per neuron (before fold-temporal-bias)' },
  stepbias: { type: 'const', doc: 'integer per-step table [T, C] or [T, ...neuron shape] (before fold-temporal-bias)' },
  leak: { type: 'string', values: ['none', 'shift', 'mul'], doc: 'none (IF); shift: v -= rnd(v / 2^leakshift); mul: v = rnd(v * leakmul / 2^leakshift)' },
  leakshift: { type: 'int', doc: 'shift of the leak' },
  leakmul: { type: 'float|const', doc: 'multiplier of the leak (leak = mul): an integer, or a constant per channel or per neuron' },
  round: { type: 'string', values: ['floor', 'trunc', 'half-up'], doc: 'rounding of the leak division' },
  tpp: { type: 'string', values: ['remaining', 'iid', 'round'], doc: 'a two-phase neuron (ir/tpp.ts): accumulate until step window+T, then fire for T steps with p = clip(v/(θR), 0, 1); remaining: R = steps left, v -= θ per spike; iid: R = T, v kept; round: a spike iff v >= θ/2, v -= θ per spike (deterministic)' },
  window: { type: 'int', doc: 'TPP: the layer-major window offset o (accumulate to o+T, fire in o+T+1..o+2T); set by the schedule, checked by the verifier' },
  seed: { type: 'int', doc: 'TPP: seed of the counter-based generator (uint32)' },
  key: { type: 'int', doc: 'TPP: the population key of its draws (uint32)' },
} as const satisfies Record<string, AttrSpec>;

function neuronInfer(ctx: InferContext): InferResult {
  const x = ctx.inputs[0];
  need(x.shape.length >= 2, 'expects a batched input of rank >= 2');
  return ctx.stage === 'snn-fixed' ? { shape: x.shape, dtype: 'u1' } : { shape: x.shape, dtype: 'f32' };
}

function elementwise(ctx: InferContext): InferResult {
  const [a, b] = ctx.inputs;
  const out = broadcastShapes(a.shape, b.shape);
  need(out, `operand shapes [${a.shape}] and [${b.shape}] do not broadcast`);
  need(out.filter((d) => d === BATCH).length <= 1 && (out.indexOf(BATCH) <= 0), 'broadcasting moved the batch axis');
  return floatOr(ctx, out);
}

/** A permutation of rank axes that keeps the batch axis 0 in place. */
export function checkPerm(perm: readonly number[], rank: number): void {
  need(perm.length === rank && [...perm].sort((a, b) => a - b).every((p, i) => p === i), `perm [${perm}] is not a permutation of ${rank} axes`);
  need(perm[0] === 0, `perm [${perm}] moves the batch axis 0`);
}

function unary(ctx: InferContext): InferResult {
  return floatOr(ctx, ctx.inputs[0].shape, ctx.inputs[0].dtype);
}

export const OPS: Readonly<Record<string, OpSpec>> = {
  input: {
    stages: ALL_STAGES,
    summary: 'graph input, batch axis first; analog values repeated at every step (direct encoding); at snn-fixed an integer with real value q*scale',
    operands: { min: 0, max: 0 },
    operandKinds: [],
    attrs: {
      scale: { type: 'float', stages: ['snn-fixed'], required: true, doc: 'real value of one integer step' },
      perm: { type: 'ints', doc: 'the samples as supplied (e.g. NHWC) are transposed by perm to give this value (ONNX Transpose: shape[i] = supplied[perm[i]]); perm[0] = 0' },
      temporal: { type: 'bool', stages: ['snn-float', 'snn-fixed'], doc: 'a sample is one frame per step (data [N, T, ...]): frame t feeds step t instead of one value repeated at every step' },
    },
    infer(ctx) {
      const shape = ctx.node.type.shape;
      // the spiking executors run sample by sample; an ann graph may compute on whole tensors
      if (ctx.stage !== 'ann') need(shape.length >= 2 && shape[0] === BATCH, `a spiking graph's input is batched: expected [N, ...] of rank >= 2, found ${formatShape(shape)}`);
      if (ctx.node.attrs.perm !== undefined) checkPerm(attrInts(ctx.node, 'perm'), shape.length);
      need(!(ctx.node.attrs.perm !== undefined && ctx.node.attrs.temporal === true), 'a temporal input (one frame per step) takes its frames in the graph layout: no perm');
      return { shape, dtype: ctx.stage === 'snn-fixed' ? undefined : 'f32' };
    },
  },

  conv2d: {
    stages: ALL_STAGES,
    summary: 'y[n,o,i,j] = b[o] + sum_{c,u,v} w[o,c,u,v] x[n, g(o)*C/G + c, i*sh + u*dh - pt, j*sw + v*dw - pl] (zero outside)',
    operands: { min: 2, max: 3 },
    operandKinds: ['value', 'const', 'const'],
    attrs: {
      strides: { type: 'ints', required: true, doc: '[sh, sw]' },
      pads: { type: 'ints', required: true, doc: '[top, left, bottom, right]' },
      dilations: { type: 'ints', required: true, doc: '[dh, dw]' },
      group: { type: 'int', required: true, doc: 'number of channel groups G' },
    },
    infer(ctx) {
      const [x, w] = ctx.inputs;
      need(x.shape.length === 4, `expects a 4-D NCHW input, found rank ${x.shape.length}`);
      need(w.shape.length === 4, `weight must be 4-D [Cout, Cin/G, kh, kw], found rank ${w.shape.length}`);
      const g = attrInt(ctx.node, 'group');
      const s = attrInts(ctx.node, 'strides');
      const p = attrInts(ctx.node, 'pads');
      const d = attrInts(ctx.node, 'dilations');
      need(s.length === 2 && p.length === 4 && d.length === 2, 'strides and dilations need 2 entries, pads 4');
      need(g >= 1 && x.shape[1] % g === 0 && w.shape[0] % g === 0, `group ${g} must divide input channels ${x.shape[1]} and output channels ${w.shape[0]}`);
      need(w.shape[1] * g === x.shape[1], `weight expects ${w.shape[1] * g} input channels, input has ${x.shape[1]}`);
      need(s.every((v) => v >= 1) && d.every((v) => v >= 1) && p.every((v) => v >= 0), 'strides and dilations must be >= 1 and pads >= 0');
      if (ctx.inputs.length === 3) need(numel(ctx.inputs[2].shape) === w.shape[0], `bias has ${numel(ctx.inputs[2].shape)} values, expected ${w.shape[0]}`);
      const ho = windowOut(x.shape[2], w.shape[2], s[0], p[0], p[2], d[0]);
      const wo = windowOut(x.shape[3], w.shape[3], s[1], p[1], p[3], d[1]);
      need(ho > 0 && wo > 0, `kernel ${w.shape[2]}x${w.shape[3]} does not fit input ${x.shape[2]}x${x.shape[3]}`);
      return floatOr(ctx, [x.shape[0], w.shape[0], ho, wo]);
    },
  },

  dense: {
    stages: ALL_STAGES,
    summary: 'y[..., m] = b[m] + sum_k w[m, k] x[..., k]',
    operands: { min: 2, max: 3 },
    operandKinds: ['value', 'const', 'const'],
    attrs: {},
    infer(ctx) {
      const [x, w] = ctx.inputs;
      need(x.shape.length >= 1, 'input must have rank >= 1');
      need(w.shape.length === 2, `weight must be 2-D [M, K], found rank ${w.shape.length}`);
      const k = x.shape[x.shape.length - 1];
      need(w.shape[1] === k, `weight expects ${w.shape[1]} input features, input has ${k}`);
      if (ctx.inputs.length === 3) need(numel(ctx.inputs[2].shape) === w.shape[0], `bias has ${numel(ctx.inputs[2].shape)} values, expected ${w.shape[0]}`);
      return floatOr(ctx, [...x.shape.slice(0, -1), w.shape[0]]);
    },
  },

  gemm: {
    stages: ['ann'],
    summary: 'Y = alpha * op(A) op(B) + beta * C, op = transpose when transA / transB',
    operands: { min: 2, max: 3 },
    operandKinds: ['any'],
    attrs: {
      alpha: { type: 'float', required: true, doc: 'scale of the product' },
      beta: { type: 'float', required: true, doc: 'scale of C' },
      transA: { type: 'bool', required: true, doc: 'transpose A' },
      transB: { type: 'bool', required: true, doc: 'transpose B' },
    },
    infer(ctx) {
      const [a, b] = ctx.inputs;
      need(a.shape.length === 2 && b.shape.length === 2, 'A and B must be 2-D');
      const ta = attrBool(ctx.node, 'transA');
      const tb = attrBool(ctx.node, 'transB');
      const [m, ka] = ta ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
      const [kb, n] = tb ? [b.shape[1], b.shape[0]] : [b.shape[0], b.shape[1]];
      need(ka === kb, `inner dimensions differ: ${ka} vs ${kb}`);
      if (ctx.inputs.length === 3) need(broadcastShapes([m, n], ctx.inputs[2].shape)?.every((d, i) => d === [m, n][i]), `C of shape [${ctx.inputs[2].shape}] does not broadcast to [${m},${n}]`);
      return { shape: [m, n], dtype: 'f32' };
    },
  },

  matmul: {
    stages: ['ann'],
    summary: 'numpy matmul: batched matrix product with broadcasting of leading axes',
    operands: { min: 2, max: 2 },
    operandKinds: ['any'],
    attrs: {},
    infer(ctx) {
      const [a, b] = ctx.inputs;
      need(a.shape.length >= 1 && b.shape.length >= 1, 'operands must have rank >= 1');
      const as = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
      const bs = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
      need(as[as.length - 1] === bs[bs.length - 2], `inner dimensions differ: ${as[as.length - 1]} vs ${bs[bs.length - 2]}`);
      const lead = broadcastShapes(as.slice(0, -2), bs.slice(0, -2));
      need(lead, 'leading axes do not broadcast');
      const out = [...lead];
      if (a.shape.length > 1) out.push(as[as.length - 2]);
      if (b.shape.length > 1) out.push(bs[bs.length - 1]);
      return { shape: out, dtype: 'f32' };
    },
  },

  add: { stages: ALL_STAGES, summary: 'y = a + b (broadcasting)', operands: { min: 2, max: 2 }, operandKinds: ['any'], attrs: {}, infer: elementwise },
  sub: { stages: ['ann'], summary: 'y = a - b (broadcasting)', operands: { min: 2, max: 2 }, operandKinds: ['any'], attrs: {}, infer: elementwise },
  mul: { stages: ALL_STAGES, summary: 'y = a * b (broadcasting); at the spiking stages b is a per-channel constant', operands: { min: 2, max: 2 }, operandKinds: ['any'], attrs: {}, infer: elementwise },
  div: { stages: ['ann'], summary: 'y = a / b (broadcasting)', operands: { min: 2, max: 2 }, operandKinds: ['any'], attrs: {}, infer: elementwise },

  relu: { stages: ['ann'], summary: 'y = max(x, 0)', operands: { min: 1, max: 1 }, operandKinds: ['value'], attrs: {}, infer: unary },
  floor: { stages: ['ann'], summary: 'y = floor(x)', operands: { min: 1, max: 1 }, operandKinds: ['value'], attrs: {}, infer: unary },
  clip: {
    stages: ['ann'],
    summary: 'y = min(max(x, min), max)',
    operands: { min: 1, max: 1 },
    operandKinds: ['value'],
    attrs: { min: { type: 'float', required: true, doc: 'lower bound (-inf: none)' }, max: { type: 'float', required: true, doc: 'upper bound (inf: none)' } },
    infer: unary,
  },
  qcfs: {
    stages: ['ann'],
    summary: 'QCFS activation y = λ clip(floor(x L/λ + 1/2) / L, 0, 1), evaluated in float32 in that order',
    operands: { min: 1, max: 1 },
    operandKinds: ['value'],
    attrs: {
      lambda: { type: 'float|const', required: true, doc: 'trained upper bound λ (scalar or per channel)' },
      levels: { type: 'int', required: true, doc: 'quantisation levels L' },
    },
    infer: unary,
  },

  batchnorm: {
    stages: ['ann'],
    summary: 'y = scale (x - mean) / sqrt(var + epsilon) + bias, per channel (axis 1)',
    operands: { min: 5, max: 5 },
    operandKinds: ['value', 'const'],
    attrs: { epsilon: { type: 'float', required: true, doc: 'added to the variance' } },
    infer(ctx) {
      const x = ctx.inputs[0];
      need(x.shape.length >= 2, 'input must have a channel axis 1');
      for (let i = 1; i < 5; i++) need(numel(constShape(ctx, i)) === x.shape[1], `parameter ${i} has ${numel(constShape(ctx, i))} values, expected ${x.shape[1]} channels`);
      return unary(ctx);
    },
  },

  maxpool2d: {
    stages: ALL_STAGES,
    summary: 'y = max over each window (padding never wins); on spikes: logical OR of the window',
    operands: { min: 1, max: 1 },
    operandKinds: ['value'],
    attrs: { ...WINDOW_ATTRS, dilations: { type: 'ints', required: true, doc: '[dh, dw]' }, ceilMode: { type: 'bool', required: true, doc: 'round the output size up' } },
    infer: (ctx) => floatOr(ctx, window2d(ctx, true), ctx.stage === 'snn-fixed' ? ctx.inputs[0].dtype : undefined),
  },
  avgpool2d: {
    stages: FLOAT_STAGES,
    summary: 'y = mean over each window; divisor counts padding when countIncludePad',
    operands: { min: 1, max: 1 },
    operandKinds: ['value'],
    attrs: { ...WINDOW_ATTRS, ceilMode: { type: 'bool', required: true, doc: 'round the output size up' }, countIncludePad: { type: 'bool', required: true, doc: 'padding counts in the divisor' } },
    infer: (ctx) => floatOr(ctx, window2d(ctx, false)),
  },
  sumpool2d: {
    stages: ['snn-fixed'],
    summary: 'y = sum over each window of integer events (zero padding); the 1/k^2 of an average lives in the consumer weights',
    operands: { min: 1, max: 1 },
    operandKinds: ['value'],
    attrs: { ...WINDOW_ATTRS },
    infer: (ctx) => ({ shape: window2d(ctx, false) }),
  },
  globalavgpool: {
    stages: FLOAT_STAGES,
    summary: 'y[n,c,1,1] = mean_{h,w} x[n,c,h,w]',
    operands: { min: 1, max: 1 },
    operandKinds: ['value'],
    attrs: {},
    infer(ctx) {
      const x = ctx.inputs[0];
      need(x.shape.length === 4, `expects a 4-D NCHW input, found rank ${x.shape.length}`);
      return floatOr(ctx, [x.shape[0], x.shape[1], 1, 1]);
    },
  },
  globalsumpool: {
    stages: ['snn-fixed'],
    summary: 'y[n,c,1,1] = sum_{h,w} x[n,c,h,w] of integer events',
    operands: { min: 1, max: 1 },
    operandKinds: ['value'],
    attrs: {},
    infer(ctx) {
      const x = ctx.inputs[0];
      need(x.shape.length === 4, `expects a 4-D NCHW input, found rank ${x.shape.length}`);
      return { shape: [x.shape[0], x.shape[1], 1, 1] };
    },
  },
  spikemaxpool: {
    stages: SPIKING,
    summary: 'gated spiking max pool: in each window pass the current spike of the input with the largest spike count so far (this step included; ties: first in row-major window order)',
    operands: { min: 1, max: 1 },
    operandKinds: ['value'],
    attrs: { ...WINDOW_ATTRS },
    stateful: true,
    infer(ctx) {
      // the gate counts spikes: at snn-fixed the operand must be spikes (u1), so is the result
      if (ctx.stage === 'snn-fixed') need(ctx.inputs[0].dtype === 'u1', `the gated max pool reads spikes (u1), found ${ctx.inputs[0].dtype}`);
      return floatOr(ctx, window2d(ctx, false), 'u1');
    },
  },

  pad: {
    stages: ['ann'],
    summary: 'constant padding; pads = [begin_0..begin_r, end_0..end_r], negative pads crop',
    operands: { min: 1, max: 1 },
    operandKinds: ['value'],
    attrs: { pads: { type: 'ints', required: true, doc: 'ONNX order' }, value: { type: 'float', required: true, doc: 'fill value' } },
    infer(ctx) {
      const x = ctx.inputs[0];
      const p = attrInts(ctx.node, 'pads');
      need(p.length === 2 * x.shape.length, `pads needs ${2 * x.shape.length} entries, found ${p.length}`);
      const out = x.shape.map((d, i) => (d === BATCH ? (need(p[i] === 0 && p[i + x.shape.length] === 0, 'cannot pad the batch axis'), BATCH) : d + p[i] + p[i + x.shape.length]));
      need(out.every((d) => d === BATCH || d >= 0), 'negative pads remove more than the axis holds');
      return floatOr(ctx, out);
    },
  },

  transpose: {
    stages: ['ann'],
    summary: 'y = x with its axes permuted: y.shape[i] = x.shape[perm[i]] (the batch axis stays first)',
    operands: { min: 1, max: 1 },
    operandKinds: ['value'],
    attrs: { perm: { type: 'ints', required: true, doc: 'permutation of the axes, perm[0] = 0' } },
    infer(ctx) {
      const x = ctx.inputs[0];
      const perm = attrInts(ctx.node, 'perm');
      checkPerm(perm, x.shape.length);
      return floatOr(ctx, perm.map((p) => x.shape[p]));
    },
  },

  flatten: {
    stages: ALL_STAGES,
    summary: 'reshape to [prod(dims < axis), prod(dims >= axis)] (row-major, no data movement)',
    operands: { min: 1, max: 1 },
    operandKinds: ['value'],
    attrs: { axis: { type: 'int', required: true, doc: 'first axis of the second output dimension' } },
    infer(ctx) {
      const x = ctx.inputs[0];
      const axis = attrInt(ctx.node, 'axis');
      need(axis >= 0 && axis <= x.shape.length, `axis ${axis} out of range for rank ${x.shape.length}`);
      const fixedDtype = ctx.stage === 'snn-fixed' ? x.dtype : undefined;
      if (isBatched(x)) {
        need(axis === 1, `flatten with axis ${axis} would merge the batch axis into another axis`);
        return floatOr(ctx, [BATCH, product(x.shape.slice(1))], fixedDtype);
      }
      return floatOr(ctx, [product(x.shape.slice(0, axis)), product(x.shape.slice(axis))], fixedDtype);
    },
  },
  reshape: {
    stages: ALL_STAGES,
    summary: 'reinterpret the row-major data with a new shape of the same size (batch axis stays axis 0)',
    operands: { min: 1, max: 1 },
    operandKinds: ['value'],
    attrs: { shape: { type: 'ints', required: true, doc: 'new shape; -1 at axis 0 is the batch' } },
    infer(ctx) {
      const x = ctx.inputs[0];
      const s = attrInts(ctx.node, 'shape');
      need(s.every((d, i) => d >= 0 || (d === BATCH && i === 0)), 'shape dims must be >= 0 (N only at axis 0)');
      need((s[0] === BATCH) === isBatched(x), 'reshape must keep the batch axis at axis 0');
      need(numel(s) === numel(x.shape), `shape [${s}] holds ${numel(s)} values per sample, input holds ${numel(x.shape)}`);
      return floatOr(ctx, s, ctx.stage === 'snn-fixed' ? x.dtype : undefined);
    },
  },
  concat: {
    stages: ALL_STAGES,
    summary: 'join operands along an axis',
    operands: { min: 1, max: 64 },
    operandKinds: ['any'],
    attrs: { axis: { type: 'int', required: true, doc: 'axis (>= 0)' } },
    infer(ctx) {
      const [first] = ctx.inputs;
      const axis = attrInt(ctx.node, 'axis');
      need(axis >= 0 && axis < first.shape.length, `axis ${axis} out of range for rank ${first.shape.length}`);
      need(!(axis === 0 && isBatched(first)), 'cannot concatenate along the batch axis');
      let total = 0;
      for (const t of ctx.inputs) {
        need(t.shape.length === first.shape.length && t.shape.every((d, i) => i === axis || d === first.shape[i]), `operand shapes [${t.shape}] and [${first.shape}] differ outside axis ${axis}`);
        if (ctx.stage === 'snn-fixed') need(t.dtype === first.dtype, 'operands must share a dtype');
        total += t.shape[axis];
      }
      const out = [...first.shape];
      out[axis] = total;
      return floatOr(ctx, out, ctx.stage === 'snn-fixed' ? first.dtype : undefined);
    },
  },

  delay: {
    stages: SPIKING,
    summary: 'synaptic delay of one step: y(t) = x(t-1), y(1) = 0 (what a core with synaptic delay 1 does to every spike)',
    operands: { min: 1, max: 1 },
    operandKinds: ['value'],
    attrs: {},
    stateful: true,
    infer: (ctx) => floatOr(ctx, ctx.inputs[0].shape, ctx.stage === 'snn-fixed' ? ctx.inputs[0].dtype : undefined),
  },

  synapse: {
    stages: SPIKING,
    summary: 'synaptic current (a leaky integrator, the current state of a current-based LIF): i = decay(i) + x[t]; emits i',
    operands: { min: 1, max: 1 },
    operandKinds: ['value'],
    attrs: {
      decay: { type: 'float', stages: ['snn-float'], required: true, doc: 'multiplicative decay of i before each step, in [0, 1] (1 − dt/τ_syn)' },
      ibits: { type: 'int', stages: ['snn-fixed'], required: true, doc: 'width of the current register' },
      overflow: { type: 'string', stages: ['snn-fixed'], required: true, values: ['saturate', 'wrap'], doc: 'how i is narrowed to ibits' },
      leak: { type: 'string', stages: ['snn-fixed'], values: ['none', 'shift', 'mul'], doc: 'the decay: none; shift: i -= rnd(i / 2^leakshift); mul: i = rnd(i * leakmul / 2^leakshift)' },
      leakshift: { type: 'int', stages: ['snn-fixed'], doc: 'shift of the decay' },
      leakmul: { type: 'int', stages: ['snn-fixed'], doc: 'multiplier of the decay (leak = mul)' },
      round: { type: 'string', stages: ['snn-fixed'], values: ['floor', 'trunc', 'half-up'], doc: 'rounding of the decay division' },
    },
    stateful: true,
    infer: (ctx) => floatOr(ctx, ctx.inputs[0].shape),
  },

  if: {
    stages: SPIKING,
    summary:
      'integrate-and-fire: v = leak(v) + x[t] + bias[t]; s = v >= θ; v -= θ s (subtract) or v = 0 (zero); snn-float emits A s (A = amplitude, default θ), snn-fixed emits s',
    operands: { min: 1, max: 1 },
    operandKinds: ['value'],
    attrs: {},
    stateful: true,
    infer: neuronInfer,
  },
  readout: {
    stages: SPIKING,
    summary: 'non-spiking accumulator: snn-float emits s/t with s = leak·s + x[t]; snn-fixed emits s = narrow(leak(s) + x[t] + bias[t], sumbits) (no leak: the sum)',
    operands: { min: 1, max: 1 },
    operandKinds: ['value'],
    attrs: {
      leak: { type: 'float', stages: ['snn-float'], doc: 'a leaky readout (NIR LI): the sum decays by this factor before each step (1 = no leak)' },
      leakshift: { type: 'int', stages: ['snn-fixed'], doc: 'shift of the leak' },
      leakmul: { type: 'int', stages: ['snn-fixed'], doc: 'multiplier of the leak (leak = mul)' },
      round: { type: 'string', stages: ['snn-fixed'], values: ['floor', 'trunc', 'half-up'], doc: 'rounding of the leak division' },
      bias: { type: 'const', stages: ['snn-fixed'], doc: 'folded per-step bias table [R, C]' },
      sumbits: { type: 'int', stages: ['snn-fixed'], required: true, doc: 'width of the running sum' },
      overflow: { type: 'string', stages: ['snn-fixed'], required: true, values: ['saturate', 'wrap'], doc: 'narrowing of the running sum' },
      scale: { type: 'float', stages: ['snn-fixed'], required: true, doc: 'real value of one LSB of x (dequantisation: mean = sum * scale / T)' },
      window: { type: 'int', doc: 'layer-major (TPP) graphs: the bias is added at steps window+1..window+T and the sum is read after step window+T' },
    },
    stateful: true,
    infer(ctx) {
      const x = ctx.inputs[0];
      return floatOr(ctx, x.shape);
    },
  },
};

/** Attribute specs of `if`, which differ between the two spiking stages. */
export function neuronAttrs(stage: Stage): Readonly<Record<string, AttrSpec>> {
  return stage === 'snn-fixed' ? NEURON_FIXED_ATTRS : NEURON_FLOAT_ATTRS;
}

export function attrSpecs(op: string, stage: Stage): Readonly<Record<string, AttrSpec>> {
  if (op === 'if') return neuronAttrs(stage);
  // an integer readout's leak is a population's: none, shift or mul
  if (op === 'readout' && stage === 'snn-fixed') return { ...OPS.readout.attrs, leak: NEURON_FIXED_ATTRS.leak };
  return OPS[op]?.attrs ?? {};
}
