/**
 * Compile-time tensors of the importer and the folding rules for the shape subgraphs exporters
 * emit (Shape -> Gather -> Unsqueeze -> Concat -> Reshape). Integer tensors are Float64Array;
 * the dynamic batch size is NaN, so arithmetic on it stays NaN and a Reshape can recognise it.
 */
import { BATCH } from '../../../ir/types.js';
import { broadcastShapes, product, strides } from '../../../ir/shape.js';

export interface ConstTensor {
  readonly kind: 'float' | 'int';
  readonly dims: readonly number[];
  readonly data: Float32Array | Float64Array;
}

export function intTensor(dims: readonly number[], values: ArrayLike<number>): ConstTensor {
  return { kind: 'int', dims, data: Float64Array.from(values) };
}

export function floatTensor(dims: readonly number[], values: ArrayLike<number>): ConstTensor {
  return { kind: 'float', dims, data: Float32Array.from(values) };
}

/** The value of Shape(x): dims with NaN for the batch axis. */
export function shapeTensor(shape: readonly number[]): ConstTensor {
  return intTensor([shape.length], shape.map((d) => (d === BATCH ? NaN : d)));
}

export function normAxis(axis: number, rank: number, what: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new RangeError(`${what} ${axis} out of range for rank ${rank}`);
  return a;
}

export function reshapeConst(c: ConstTensor, dims: readonly number[]): ConstTensor {
  if (product(dims) !== c.data.length) throw new RangeError(`cannot reshape ${c.data.length} values to [${dims.join(',')}]`);
  return { kind: c.kind, dims, data: c.data };
}

export function gatherConst(c: ConstTensor, indices: ConstTensor, axis: number): ConstTensor {
  const a = normAxis(axis, c.dims.length, 'Gather axis');
  const outer = product(c.dims.slice(0, a));
  const n = c.dims[a];
  const inner = product(c.dims.slice(a + 1));
  const idx = Array.from(indices.data, (i) => {
    const k = i < 0 ? i + n : i;
    if (!(k >= 0 && k < n)) throw new RangeError(`Gather index ${i} out of range for axis of size ${n}`);
    return k;
  });
  const out = c.kind === 'float' ? new Float32Array(outer * idx.length * inner) : new Float64Array(outer * idx.length * inner);
  let o = 0;
  for (let p = 0; p < outer; p++) for (const k of idx) for (let q = 0; q < inner; q++) out[o++] = c.data[(p * n + k) * inner + q];
  return { kind: c.kind, dims: [...c.dims.slice(0, a), ...indices.dims, ...c.dims.slice(a + 1)], data: out };
}

export function concatConst(cs: readonly ConstTensor[], axis: number): ConstTensor {
  const first = cs[0];
  const a = normAxis(axis, first.dims.length, 'Concat axis');
  const outer = product(first.dims.slice(0, a));
  const dims = [...first.dims];
  dims[a] = cs.reduce((s, c) => s + c.dims[a], 0);
  const kind = cs.every((c) => c.kind === 'int') ? 'int' : 'float';
  const out = kind === 'float' ? new Float32Array(product(dims)) : new Float64Array(product(dims));
  let o = 0;
  for (let p = 0; p < outer; p++) {
    for (const c of cs) {
      const chunk = product(c.dims.slice(a));
      out.set(c.data.subarray(p * chunk, (p + 1) * chunk), o);
      o += chunk;
    }
  }
  return { kind, dims, data: out };
}

export function unsqueezeDims(dims: readonly number[], axes: readonly number[]): number[] {
  const rank = dims.length + axes.length;
  const norm = axes.map((a) => normAxis(a, rank, 'Unsqueeze axis')).sort((x, y) => x - y);
  if (new Set(norm).size !== norm.length) throw new RangeError('Unsqueeze axes repeat');
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(norm.includes(i) ? 1 : dims[k++]);
  return out;
}

export function squeezeDims(dims: readonly number[], axes: readonly number[] | undefined): number[] {
  if (!axes) return dims.filter((d) => d !== 1);
  const norm = axes.map((a) => normAxis(a, dims.length, 'Squeeze axis'));
  for (const a of norm) if (dims[a] !== 1) throw new RangeError(`Squeeze axis ${a} has size ${dims[a] === BATCH ? 'N' : dims[a]}, not 1`);
  return dims.filter((_, i) => !norm.includes(i));
}

/** Elementwise binary op with numpy broadcasting. */
export function binaryConst(op: (a: number, b: number) => number, a: ConstTensor, b: ConstTensor, intResult: boolean): ConstTensor {
  const dims = broadcastShapes(a.dims, b.dims);
  if (!dims) throw new RangeError(`shapes [${a.dims.join(',')}] and [${b.dims.join(',')}] do not broadcast`);
  const n = product(dims);
  const out = intResult ? new Float64Array(n) : new Float32Array(n);
  const sa = broadcastStrides(a.dims, dims);
  const sb = broadcastStrides(b.dims, dims);
  const so = strides(dims);
  for (let i = 0; i < n; i++) {
    let ia = 0;
    let ib = 0;
    let r = i;
    for (let d = 0; d < dims.length; d++) {
      const q = Math.floor(r / so[d]);
      r -= q * so[d];
      ia += q * sa[d];
      ib += q * sb[d];
    }
    out[i] = op(a.data[ia], b.data[ib]);
  }
  return { kind: intResult ? 'int' : 'float', dims, data: out };
}

/** Strides of `dims` read as broadcast to `outDims` (0 on broadcast axes). */
export function broadcastStrides(dims: readonly number[], outDims: readonly number[]): number[] {
  const s = strides(dims);
  const off = outDims.length - dims.length;
  return outDims.map((_, i) => (i < off || dims[i - off] === 1 ? 0 : s[i - off]));
}

/**
 * Resolve a Reshape target (may hold 0, -1 and NaN for the batch) against the input shape.
 * `fixedBatch`: the batch size the model was exported with; a target written with it at axis 0
 * (torch's `x.view(1, -1)` under a fixed export) keeps the batch axis.
 */
export function resolveReshape(input: readonly number[], target: readonly number[], allowZero: boolean, fixedBatch?: number): number[] {
  const HOLE = -2;
  const batched = input[0] === BATCH;
  const out = target.map((d, i) => {
    if (Number.isNaN(d)) return BATCH;
    if (i === 0 && batched && fixedBatch !== undefined && d === fixedBatch) return BATCH;
    if (d === -1) return HOLE;
    if (d === 0 && !allowZero) {
      if (i >= input.length) throw new RangeError(`shape entry 0 at axis ${i} copies a dimension the input does not have`);
      return input[i];
    }
    if (d < 0) throw new RangeError(`shape entry ${d} is invalid`);
    return d;
  });
  if (out.indexOf(BATCH) > 0) throw new RangeError('the batch size would move away from axis 0');
  const holes = out.map((d, i) => (d === HOLE ? i : -1)).filter((i) => i >= 0);
  if (holes.length > 1) throw new RangeError('more than one -1 in the shape');
  const per = product(input.filter((d) => d !== BATCH));
  const known = product(out.filter((d) => d !== BATCH && d !== HOLE));
  if (batched && out[0] !== BATCH) {
    // A leading -1 that absorbs exactly the batch: x.view(-1, features).
    if (holes.length === 1 && holes[0] === 0 && known === per) out[0] = BATCH;
    else throw new RangeError(`shape [${target.join(',')}] would fix, split or merge the batch axis${fixedBatch !== undefined ? ` (the model was exported with a fixed batch of ${fixedBatch}; a reshape that mixes samples cannot run sample by sample)` : ''}`);
  } else if (!batched && out[0] === BATCH) {
    throw new RangeError('the input has no batch axis');
  }
  for (const h of holes) {
    if (out[h] !== HOLE) continue;
    if (known === 0 || per % known) throw new RangeError(`cannot infer -1: ${per} values are not a multiple of ${known}`);
    out[h] = per / known;
  }
  const size = product(out.filter((d) => d !== BATCH));
  if (size !== per) throw new RangeError(`shape [${target.join(',')}] holds ${size} values${batched ? ' per sample' : ''}, the input ${per}`);
  return out;
}
