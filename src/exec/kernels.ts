/**
 * Float32 kernels of the ann stage (NCHW). Products go through `gemmNT`; everything else is a
 * direct loop. Every kernel writes a fresh Float32Array, so each op rounds to float32 once, as
 * ONNX Runtime does.
 */
import { broadcastShapes, strides as rowStrides, windowOut } from '../../ir/shape.js';
import { gemmNT } from './gemm.js';

export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export interface Conv2dParams {
  readonly strides: readonly number[];
  readonly pads: readonly number[];
  readonly dilations: readonly number[];
  readonly group: number;
}

/** y = conv2d(x, w) + b; x [N,C,H,W], w [O, C/G, kh, kw]. */
export function conv2d(x: Tensor, w: Tensor, b: Float32Array | undefined, p: Conv2dParams): Tensor {
  const [N, C, H, W] = x.shape.map((d) => d | 0);
  const [O, Cg, kh, kw] = w.shape.map((d) => d | 0);
  const [sh, sw] = p.strides.map((d) => d | 0);
  const [pt, pl, pb, pr] = p.pads.map((d) => d | 0);
  const [dh, dw] = p.dilations.map((d) => d | 0);
  const Ho = windowOut(H, kh, sh, pt, pb, dh);
  const Wo = windowOut(W, kw, sw, pl, pr, dw);
  // Integer parameters are forced to small integers (| 0): a division result reaching a hot
  // loop as a heap double makes V8 deoptimise it into slower double arithmetic.
  const G = p.group | 0;
  const Og = (O / G) | 0;
  const K = Cg * kh * kw;
  const P = Ho * Wo;
  const out = new Float32Array(N * O * P);
  const xd = x.data;
  if (Og < 4) {
    directConv(xd, w.data, out, N, C, H, W, O, Cg, kh, kw, Ho, Wo, sh, sw, pt, pl, dh, dw, G);
  } else {
    const patches = new Float32Array(P * K);
    const offsets = windowOffsets(Cg, H, W, kh, kw, dh, dw);
    for (let n = 0; n < N; n++) {
      for (let g = 0; g < G; g++) {
        im2row(xd, patches, (n * C + g * Cg) * H * W, Cg, H, W, kh, kw, Ho, Wo, sh, sw, pt, pl, dh, dw, offsets);
        gemmNT(Og, P, K, w.data, g * Og * K, K, patches, 0, K, out, (n * O + g * Og) * P, P);
      }
    }
  }
  if (b) {
    for (let n = 0; n < N; n++) {
      for (let o = 0; o < O; o++) {
        const base = (n * O + o) * P;
        const bo = b[o];
        for (let i = 0; i < P; i++) out[base + i] += bo;
      }
    }
  }
  return { shape: [N, O, Ho, Wo], data: out };
}

/**
 * One row per output position: the receptive field (c, u, v) in order, zero outside the input.
 * Windows entirely inside the input are gathered through precomputed offsets.
 */
function im2row(
  x: Float32Array,
  rows: Float32Array,
  xOff: number,
  Cg: number,
  H: number,
  W: number,
  kh: number,
  kw: number,
  Ho: number,
  Wo: number,
  sh: number,
  sw: number,
  pt: number,
  pl: number,
  dh: number,
  dw: number,
  offsets: Int32Array,
): void {
  const K = Cg * kh * kw;
  const HW = H * W;
  let r = 0;
  for (let oy = 0; oy < Ho; oy++) {
    const y0 = oy * sh - pt;
    const yInside = y0 >= 0 && y0 + (kh - 1) * dh < H;
    for (let ox = 0; ox < Wo; ox++) {
      const x0 = ox * sw - pl;
      if (yInside && x0 >= 0 && x0 + (kw - 1) * dw < W) {
        const base = xOff + y0 * W + x0;
        for (let k = 0; k < K; k++) rows[r + k] = x[base + offsets[k]];
        r += K;
        continue;
      }
      for (let c = 0; c < Cg; c++) {
        const xc = xOff + c * HW;
        for (let u = 0; u < kh; u++) {
          const iy = y0 + u * dh;
          if (iy < 0 || iy >= H) {
            for (let v = 0; v < kw; v++) rows[r++] = 0;
            continue;
          }
          const xr = xc + iy * W;
          for (let v = 0; v < kw; v++) {
            const ix = x0 + v * dw;
            rows[r++] = ix >= 0 && ix < W ? x[xr + ix] : 0;
          }
        }
      }
    }
  }
}

/** Offsets of the receptive field (c, u, v) from the window origin, for im2row. */
function windowOffsets(Cg: number, H: number, W: number, kh: number, kw: number, dh: number, dw: number): Int32Array {
  const off = new Int32Array(Cg * kh * kw);
  let k = 0;
  for (let c = 0; c < Cg; c++) for (let u = 0; u < kh; u++) for (let v = 0; v < kw; v++) off[k++] = c * H * W + u * dh * W + v * dw;
  return off;
}

/** Direct convolution for few outputs per group (depthwise and friends). */
function directConv(
  x: Float32Array,
  w: Float32Array,
  out: Float32Array,
  N: number,
  C: number,
  H: number,
  W: number,
  O: number,
  Cg: number,
  kh: number,
  kw: number,
  Ho: number,
  Wo: number,
  sh: number,
  sw: number,
  pt: number,
  pl: number,
  dh: number,
  dw: number,
  G: number,
): void {
  const Og = (O / G) | 0;
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const g = (o / Og) | 0;
      const ob = (n * O + o) * Ho * Wo;
      for (let oy = 0; oy < Ho; oy++) {
        for (let ox = 0; ox < Wo; ox++) {
          let s = 0;
          for (let c = 0; c < Cg; c++) {
            const xc = (n * C + g * Cg + c) * H * W;
            const wc = (o * Cg + c) * kh * kw;
            for (let u = 0; u < kh; u++) {
              const iy = oy * sh + u * dh - pt;
              if (iy < 0 || iy >= H) continue;
              for (let v = 0; v < kw; v++) {
                const ix = ox * sw + v * dw - pl;
                if (ix >= 0 && ix < W) s += w[wc + u * kw + v] * x[xc + iy * W + ix];
              }
            }
          }
          out[ob + oy * Wo + ox] = s;
        }
      }
    }
  }
}

/** y[..., m] = b[m] + sum_k w[m, k] x[..., k]. */
export function dense(x: Tensor, w: Tensor, b: Float32Array | undefined): Tensor {
  const [M, K] = w.shape;
  const rows = (size(x.shape) / K) | 0;
  const out = new Float32Array(rows * M);
  gemmNT(rows, M, K, x.data, 0, K, w.data, 0, K, out, 0, M);
  if (b) for (let r = 0; r < rows; r++) for (let m = 0; m < M; m++) out[r * M + m] += b[m];
  return { shape: [...x.shape.slice(0, -1), M], data: out };
}

/** numpy matmul with broadcasting of the leading axes. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  const as = a.shape.length === 1 ? [1, a.shape[0]] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0], 1] : b.shape;
  const M = as[as.length - 2];
  const K = as[as.length - 1];
  const N = bs[bs.length - 1];
  const lead = broadcastShapes(as.slice(0, -2), bs.slice(0, -2))!;
  const batches = size(lead);
  const out = new Float32Array(batches * M * N);
  const bt = new Float32Array(N * K);
  const aStr = broadcastIndex(as.slice(0, -2), lead);
  const bStr = broadcastIndex(bs.slice(0, -2), lead);
  for (let i = 0; i < batches; i++) {
    const bo = bStr(i) * K * N;
    for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) bt[n * K + k] = b.data[bo + k * N + n];
    gemmNT(M, N, K, a.data, aStr(i) * M * K, K, bt, 0, K, out, i * M * N, N);
  }
  const shape = [...lead];
  if (a.shape.length > 1) shape.push(M);
  if (b.shape.length > 1) shape.push(N);
  return { shape, data: out };
}

/** Y = alpha op(A) op(B) + beta C. */
export function gemm(a: Tensor, b: Tensor, c: Tensor | undefined, alpha: number, beta: number, transA: boolean, transB: boolean): Tensor {
  const M = transA ? a.shape[1] : a.shape[0];
  const K = transA ? a.shape[0] : a.shape[1];
  const N = transB ? b.shape[0] : b.shape[1];
  const at = transA ? transpose2d(a) : a.data;
  const bt = transB ? b.data : transpose2d(b);
  const out = new Float32Array(M * N);
  gemmNT(M, N, K, at, 0, K, bt, 0, K, out, 0, N);
  for (let i = 0; i < out.length; i++) out[i] *= alpha;
  if (c) {
    const cb = broadcastTo(c, [M, N]);
    for (let i = 0; i < out.length; i++) out[i] += beta * cb[i];
  }
  return { shape: [M, N], data: out };
}

function transpose2d(t: Tensor): Float32Array {
  const [r, c] = t.shape;
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
  return out;
}

/** Maps a flat index over `outShape` to the flat index of a tensor of `shape` broadcast to it. */
function broadcastIndex(shape: readonly number[], outShape: readonly number[]): (i: number) => number {
  const off = outShape.length - shape.length;
  const inStr = rowStrides(shape);
  const outStr = rowStrides(outShape);
  return (i: number) => {
    let r = i;
    let idx = 0;
    for (let d = 0; d < outShape.length; d++) {
      const q = Math.floor(r / outStr[d]);
      r -= q * outStr[d];
      if (d >= off && shape[d - off] !== 1) idx += q * inStr[d - off];
    }
    return idx;
  };
}

function broadcastTo(t: Tensor, shape: readonly number[]): Float32Array {
  const n = size(shape);
  const out = new Float32Array(n);
  const map = broadcastIndex(t.shape, shape);
  for (let i = 0; i < n; i++) out[i] = t.data[map(i)];
  return out;
}

/** Binary elementwise op with numpy broadcasting; fast paths for equal shapes and scalars. */
export function binary(op: 'add' | 'sub' | 'mul' | 'div', a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes(a.shape, b.shape)!;
  const n = size(shape);
  const out = new Float32Array(n);
  const ad = a.data;
  const bd = b.data;
  const f = op === 'add' ? (x: number, y: number) => x + y : op === 'sub' ? (x: number, y: number) => x - y : op === 'mul' ? (x: number, y: number) => x * y : (x: number, y: number) => x / y;
  if (ad.length === n && bd.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(ad[i], bd[i]);
  } else if (bd.length === 1 && ad.length === n) {
    const y = bd[0];
    for (let i = 0; i < n; i++) out[i] = f(ad[i], y);
  } else if (ad.length === 1 && bd.length === n) {
    const x = ad[0];
    for (let i = 0; i < n; i++) out[i] = f(x, bd[i]);
  } else {
    // Inner loop over the last axis, which both operands either span or broadcast.
    const last = shape[shape.length - 1] ?? 1;
    const ma = broadcastIndex(a.shape, shape);
    const mb = broadcastIndex(b.shape, shape);
    const aStep = (a.shape[a.shape.length - 1] ?? 1) === 1 ? 0 : 1;
    const bStep = (b.shape[b.shape.length - 1] ?? 1) === 1 ? 0 : 1;
    for (let base = 0; base < n; base += last) {
      let ia = ma(base);
      let ib = mb(base);
      for (let j = 0; j < last; j++, ia += aStep, ib += bStep) out[base + j] = f(ad[ia], bd[ib]);
    }
  }
  return { shape, data: out };
}

export function unaryMap(x: Tensor, f: (v: number) => number): Tensor {
  const out = new Float32Array(x.data.length);
  const d = x.data;
  for (let i = 0; i < d.length; i++) out[i] = f(d[i]);
  return { shape: x.shape, data: out };
}

export function relu(x: Tensor): Tensor {
  const out = new Float32Array(x.data.length);
  const d = x.data;
  for (let i = 0; i < d.length; i++) out[i] = d[i] > 0 ? d[i] : 0;
  return { shape: x.shape, data: out };
}

/** y = scale (x - mean) / sqrt(var + eps) + bias over channel axis 1. */
export function batchnorm(x: Tensor, scale: Float32Array, bias: Float32Array, mean: Float32Array, variance: Float32Array, eps: number): Tensor {
  const N = x.shape[0];
  const C = x.shape[1];
  const inner = size(x.shape.slice(2));
  const out = new Float32Array(x.data.length);
  for (let c = 0; c < C; c++) {
    const k = Math.fround(scale[c] / Math.sqrt(variance[c] + eps));
    const m = mean[c];
    const b = bias[c];
    for (let n = 0; n < N; n++) {
      const base = (n * C + c) * inner;
      for (let i = 0; i < inner; i++) out[base + i] = (x.data[base + i] - m) * k + b;
    }
  }
  return { shape: x.shape, data: out };
}

export interface PoolParams {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly pads: readonly number[];
  readonly dilations?: readonly number[];
  readonly ceilMode: boolean;
}

function poolGeometry(x: Tensor, p: PoolParams): number[] {
  const [, , H, W] = x.shape;
  const [dh, dw] = p.dilations ?? [1, 1];
  return [
    windowOut(H, p.kernel[0], p.strides[0], p.pads[0], p.pads[2], dh, p.ceilMode),
    windowOut(W, p.kernel[1], p.strides[1], p.pads[1], p.pads[3], dw, p.ceilMode),
  ];
}

/** Max over each window; padding positions never win. */
export function maxpool2d(x: Tensor, p: PoolParams): Tensor {
  const [N, C, H, W] = x.shape;
  const [Ho, Wo] = poolGeometry(x, p);
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [dh, dw] = p.dilations ?? [1, 1];
  const [pt, pl] = p.pads;
  const out = new Float32Array(N * C * Ho * Wo);
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        let m = -Infinity;
        for (let u = 0; u < kh; u++) {
          const iy = oy * sh + u * dh - pt;
          if (iy < 0 || iy >= H) continue;
          for (let v = 0; v < kw; v++) {
            const ix = ox * sw + v * dw - pl;
            if (ix >= 0 && ix < W) {
              const val = x.data[base + iy * W + ix];
              if (val > m || Number.isNaN(val)) m = val;
            }
          }
        }
        out[o++] = m;
      }
    }
  }
  return { shape: [N, C, Ho, Wo], data: out };
}

/**
 * Mean over each window. The divisor counts input positions, plus padding positions inside the
 * padded input when countIncludePad (ONNX Runtime's rule; windows reaching past the padded input
 * in ceil mode are clipped).
 */
export function avgpool2d(x: Tensor, p: PoolParams & { readonly countIncludePad: boolean }): Tensor {
  const [N, C, H, W] = x.shape;
  const [Ho, Wo] = poolGeometry(x, p);
  const [kh, kw] = p.kernel;
  const [sh, sw] = p.strides;
  const [pt, pl, pb, pr] = p.pads;
  const out = new Float32Array(N * C * Ho * Wo);
  let o = 0;
  for (let nc = 0; nc < N * C; nc++) {
    const base = nc * H * W;
    for (let oy = 0; oy < Ho; oy++) {
      const y0 = oy * sh - pt;
      const y1 = Math.min(y0 + kh, H + pb);
      const ys = Math.max(y0, 0);
      const ye = Math.min(y1, H);
      for (let ox = 0; ox < Wo; ox++) {
        const x0 = ox * sw - pl;
        const x1 = Math.min(x0 + kw, W + pr);
        const xs = Math.max(x0, 0);
        const xe = Math.min(x1, W);
        let s = 0;
        for (let iy = ys; iy < ye; iy++) for (let ix = xs; ix < xe; ix++) s += x.data[base + iy * W + ix];
        const count = p.countIncludePad ? (y1 - y0) * (x1 - x0) : (ye - ys) * (xe - xs);
        out[o++] = s / count;
      }
    }
  }
  return { shape: [N, C, Ho, Wo], data: out };
}

export function globalavgpool(x: Tensor): Tensor {
  const [N, C, H, W] = x.shape;
  const hw = H * W;
  const out = new Float32Array(N * C);
  for (let nc = 0; nc < N * C; nc++) {
    let s = 0;
    for (let i = 0; i < hw; i++) s += x.data[nc * hw + i];
    out[nc] = s / hw;
  }
  return { shape: [N, C, 1, 1], data: out };
}

/** Constant padding; negative pads crop. pads = [begin..., end...]. */
export function pad(x: Tensor, pads: readonly number[], value: number): Tensor {
  const r = x.shape.length;
  const shape = x.shape.map((d, i) => d + pads[i] + pads[i + r]);
  const n = size(shape);
  const out = new Float32Array(n).fill(value);
  const inStr = rowStrides(x.shape);
  const outStr = rowStrides(shape);
  const total = x.data.length;
  for (let i = 0; i < total; i++) {
    let rem = i;
    let o = 0;
    let inside = true;
    for (let d = 0; d < r; d++) {
      const q = Math.floor(rem / inStr[d]);
      rem -= q * inStr[d];
      const t = q + pads[d];
      if (t < 0 || t >= shape[d]) {
        inside = false;
        break;
      }
      o += t * outStr[d];
    }
    if (inside) out[o] = x.data[i];
  }
  return { shape, data: out };
}

export function concat(xs: readonly Tensor[], axis: number): Tensor {
  const shape = [...xs[0].shape];
  shape[axis] = xs.reduce((s, t) => s + t.shape[axis], 0);
  const outer = size(shape.slice(0, axis));
  const out = new Float32Array(size(shape));
  let o = 0;
  for (let p = 0; p < outer; p++) {
    for (const t of xs) {
      const chunk = size(t.shape.slice(axis));
      out.set(t.data.subarray(p * chunk, (p + 1) * chunk), o);
      o += chunk;
    }
  }
  return { shape, data: out };
}
