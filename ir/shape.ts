/** Shape arithmetic shared by the verifier, the importer and the executors. */
import { BATCH } from './types.js';

/** Output length of a sliding window (conv / pool) along one axis. */
export function windowOut(
  inLen: number,
  kernel: number,
  stride: number,
  padBegin: number,
  padEnd: number,
  dilation = 1,
  ceilMode = false,
): number {
  const span = dilation * (kernel - 1) + 1;
  const avail = inLen + padBegin + padEnd - span;
  if (avail < 0) return 0;
  let out = (ceilMode ? Math.ceil(avail / stride) : Math.floor(avail / stride)) + 1;
  // ONNX / PyTorch rule: with ceil_mode the last window must start inside the input or left pad.
  if (ceilMode && (out - 1) * stride >= inLen + padBegin) out -= 1;
  return out | 0;
}

/** Numpy-style broadcast of two shapes; undefined when incompatible. BATCH broadcasts like any dim. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | undefined {
  const n = Math.max(a.length, b.length);
  const out: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === db) out[i] = da;
    else if (da === 1) out[i] = db;
    else if (db === 1) out[i] = da;
    else return undefined;
  }
  return out;
}

/** Replace BATCH by a concrete batch size. */
export function concreteShape(shape: readonly number[], batch: number): number[] {
  return shape.map((d) => (d === BATCH ? batch : d));
}

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}


export function product(dims: readonly number[]): number {
  let p = 1;
  for (const d of dims) p *= d;
  return p;
}

/**
 * Row-major transpose (ONNX Transpose): out has shape[perm[i]] at axis i and
 * out[j_0..j_r] = src[i] where i_{perm[k]} = j_k. `out` must hold as many values as `src`.
 */
export function permuteAxes<A extends { [i: number]: number; readonly length: number }>(src: ArrayLike<number>, shape: readonly number[], perm: readonly number[], out: A): A {
  const r = shape.length;
  const inStrides = strides(shape);
  const outShape = perm.map((p) => shape[p]);
  // stride in src of each output axis
  const step = perm.map((p) => inStrides[p]);
  const n = product(shape);
  const idx = new Array<number>(r).fill(0);
  let at = 0;
  for (let o = 0; o < n; o++) {
    out[o] = src[at];
    for (let k = r - 1; k >= 0; k--) {
      if (++idx[k] < outShape[k]) {
        at += step[k];
        break;
      }
      at -= step[k] * (outShape[k] - 1);
      idx[k] = 0;
    }
  }
  return out;
}

/** For each flat position of the transpose (by perm) of a tensor of `shape`, the flat position it reads. */
export function transposedPositions(shape: readonly number[], perm: readonly number[]): Int32Array {
  const n = product(shape);
  return permuteAxes(Int32Array.from({ length: n }, (_, i) => i), shape, perm, new Int32Array(n));
}
