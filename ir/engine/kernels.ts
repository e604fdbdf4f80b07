/**
 * Event-driven kernels of the spiking engine (per sample, HWC storage, Float64Array values).
 * A projection touches only the fan-out of the nonzero entries of its input, so its cost scales
 * with the number of events, not with the number of neurons. Values are exact integers at
 * snn-fixed (|v| < 2^53, proven by the verifier) and doubles at snn-float.
 */
import type { Buf, PlanOp } from './plan.js';

/** Nonzero entries of a buffer this step: the producer's event list, or a scan. */
export function events(b: Buf): number {
  const s = b.store;
  if (s.sparse) return s.nev;
  const d = s.data;
  const ev = s.ev;
  let n = 0;
  for (let i = 0; i < d.length; i++) if (d[i] !== 0) ev[n++] = i;
  s.nev = n;
  return n;
}

/** y[a..a+n) += v x[b..b+n), unrolled by four (V8 does not unroll or vectorise). */
function axpy(y: Float64Array, a: number, v: number, x: Float64Array, b: number, n: number): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    y[a + k] += v * x[b + k];
    y[a + k + 1] += v * x[b + k + 1];
    y[a + k + 2] += v * x[b + k + 2];
    y[a + k + 3] += v * x[b + k + 3];
  }
  for (; k < n; k++) y[a + k] += v * x[b + k];
}

function initWithBias(out: Float64Array, bias: Float64Array | undefined, O: number): void {
  if (!bias) {
    out.fill(0);
    return;
  }
  for (let p = 0; p < out.length; p += O) out.set(bias, p);
}

export function conv(op: Extract<PlanOp, { kind: 'conv' }>): void {
  const out = op.out.store.data;
  initWithBias(out, op.bias, op.O);
  const n = events(op.in);
  if (op.O === op.Og) convSingleGroup(op, n);
  else convGrouped(op, n);
}

/**
 * group = 1, gathered by output position: the (weight row, value) pairs that reach each output
 * position are bucketed first (a counting sort over the events' fan-outs), then every output
 * row is accumulated eight channels at a time in locals. Same sums, fewer memory round trips
 * than scattering event by event.
 */
function convSingleGroup(op: Extract<PlanOp, { kind: 'conv' }>, n: number): void {
  const out = op.out.store.data;
  const { O, w } = op;
  const src = op.in.store.data;
  const ev = op.in.store.ev;
  const C = op.in.C;
  const kk = op.geom.kh * op.geom.kw;
  const { fanStart, fanOut, fanK } = op.geom;
  const P = op.geom.Ho * op.geom.Wo;
  const sc = op.scratch;
  const start = sc.start;
  start.fill(0);
  for (let e = 0; e < n; e++) {
    const p = (ev[e] / C) | 0;
    for (let f = fanStart[p], fe = fanStart[p + 1]; f < fe; f++) start[fanOut[f] + 1]++;
  }
  for (let q = 0; q < P; q++) start[q + 1] += start[q];
  const fill = sc.fill;
  fill.set(start.subarray(0, P));
  const rows = sc.rows;
  const vals = sc.vals;
  for (let e = 0; e < n; e++) {
    const i = ev[e];
    const v = src[i];
    const p = (i / C) | 0;
    const cw = (i - p * C) * kk;
    for (let f = fanStart[p], fe = fanStart[p + 1]; f < fe; f++) {
      const at = fill[fanOut[f]]++;
      rows[at] = (cw + fanK[f]) * O;
      vals[at] = v;
    }
  }
  const O8 = O & ~7;
  for (let q = 0; q < P; q++) {
    const b = start[q];
    const e = start[q + 1];
    if (b === e) continue;
    const base = q * O;
    for (let o = 0; o < O8; o += 8) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
      for (let j = b; j < e; j++) {
        const v = vals[j];
        const x = rows[j] + o;
        a0 += v * w[x];
        a1 += v * w[x + 1];
        a2 += v * w[x + 2];
        a3 += v * w[x + 3];
        a4 += v * w[x + 4];
        a5 += v * w[x + 5];
        a6 += v * w[x + 6];
        a7 += v * w[x + 7];
      }
      const y = base + o;
      out[y] += a0;
      out[y + 1] += a1;
      out[y + 2] += a2;
      out[y + 3] += a3;
      out[y + 4] += a4;
      out[y + 5] += a5;
      out[y + 6] += a6;
      out[y + 7] += a7;
    }
    for (let o = O8; o < O; o++) {
      let a = 0;
      for (let j = b; j < e; j++) a += vals[j] * w[rows[j] + o];
      out[base + o] += a;
    }
  }
}

function convGrouped(op: Extract<PlanOp, { kind: 'conv' }>, n: number): void {
  const out = op.out.store.data;
  const { O, Og, Cg, w } = op;
  const src = op.in.store.data;
  const ev = op.in.store.ev;
  const C = op.in.C;
  const kk = op.geom.kh * op.geom.kw;
  const { fanStart, fanOut, fanK } = op.geom;
  for (let e = 0; e < n; e++) {
    const i = ev[e];
    const v = src[i];
    const p = (i / C) | 0;
    const c = i - p * C;
    const obase = ((c / Cg) | 0) * Og;
    const cw = c * kk;
    for (let f = fanStart[p], end = fanStart[p + 1]; f < end; f++) {
      const a = fanOut[f] * O + obase;
      axpy(out, a, v, w, (cw + fanK[f]) * Og, Og);
    }
  }
}

/** Four events at a time: one read-modify-write of the output vector per four weight rows. */
export function dense(op: Extract<PlanOp, { kind: 'dense' }>): void {
  const out = op.out.store.data;
  const M = op.M;
  if (op.bias) out.set(op.bias);
  else out.fill(0);
  const n = events(op.in);
  const src = op.in.store.data;
  const ev = op.in.store.ev;
  const wT = op.wT;
  let e = 0;
  for (; e + 4 <= n; e += 4) {
    const i0 = ev[e];
    const i1 = ev[e + 1];
    const i2 = ev[e + 2];
    const i3 = ev[e + 3];
    const v0 = src[i0];
    const v1 = src[i1];
    const v2 = src[i2];
    const v3 = src[i3];
    const b0 = i0 * M;
    const b1 = i1 * M;
    const b2 = i2 * M;
    const b3 = i3 * M;
    for (let m = 0; m < M; m++) out[m] += v0 * wT[b0 + m] + v1 * wT[b1 + m] + v2 * wT[b2 + m] + v3 * wT[b3 + m];
  }
  for (; e < n; e++) {
    const i = ev[e];
    axpy(out, 0, src[i], wT, i * M, M);
  }
}

export function add(op: Extract<PlanOp, { kind: 'add' }>): void {
  const a = op.a.store.data;
  const b = op.b.store.data;
  const out = op.out.store.data;
  for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i];
}

export function mul(op: Extract<PlanOp, { kind: 'mul' }>): void {
  const x = op.in.store.data;
  const out = op.out.store.data;
  const C = op.in.C;
  const s = op.scale;
  for (let p = 0; p < out.length; p += C) for (let c = 0; c < C; c++) out[p + c] = x[p + c] * s[c];
}

/** Collect the nonzero entries of a freshly written buffer as its event list. */
function markSparse(b: Buf): void {
  const s = b.store;
  const d = s.data;
  let n = 0;
  for (let i = 0; i < d.length; i++) if (d[i] !== 0) s.ev[n++] = i;
  s.nev = n;
  s.sparse = true;
}

export function pool(op: Extract<PlanOp, { kind: 'pool' }>): void {
  const out = op.out.store.data;
  const src = op.in.store.data;
  const C = op.in.C;
  const { fanStart, fanOut, Ho, Wo, kh, kw, sh, sw, pt, pl, dh, dw } = op.geom;
  if (op.mode === 'max') {
    // Dense: padding never wins, and inputs may be negative at a static (analog) pool.
    const H = op.in.H;
    const W = op.in.W;
    for (let oy = 0; oy < Ho; oy++) {
      for (let ox = 0; ox < Wo; ox++) {
        const o = (oy * Wo + ox) * C;
        for (let c = 0; c < C; c++) {
          let m = -Infinity;
          for (let ky = 0; ky < kh; ky++) {
            const iy = oy * sh + ky * dh - pt;
            if (iy < 0 || iy >= H) continue;
            for (let kx = 0; kx < kw; kx++) {
              const ix = ox * sw + kx * dw - pl;
              if (ix >= 0 && ix < W) {
                const v = src[(iy * W + ix) * C + c];
                if (v > m) m = v;
              }
            }
          }
          out[o + c] = m;
        }
      }
    }
  } else {
    out.fill(0);
    const n = events(op.in);
    const ev = op.in.store.ev;
    const div = op.divisor;
    for (let e = 0; e < n; e++) {
      const i = ev[e];
      const v = src[i];
      const p = (i / C) | 0;
      const c = i - p * C;
      for (let f = fanStart[p], end = fanStart[p + 1]; f < end; f++) {
        const q = fanOut[f];
        out[q * C + c] += div ? v / div[q] : v;
      }
    }
  }
  markSparse(op.out);
}

export function gpool(op: Extract<PlanOp, { kind: 'gpool' }>): void {
  const out = op.out.store.data;
  const src = op.in.store.data;
  const C = op.in.C;
  out.fill(0);
  const n = events(op.in);
  const ev = op.in.store.ev;
  for (let e = 0; e < n; e++) {
    const i = ev[e];
    out[i % C] += src[i];
  }
  if (op.mode === 'avg') {
    const hw = op.in.H * op.in.W;
    for (let c = 0; c < C; c++) out[c] /= hw;
  }
  markSparse(op.out);
}

/**
 * Gated spiking max pool: spike counts accumulate per input (this step included); in every
 * window the input with the largest count (first in row-major window order on ties) passes its
 * current value.
 */
export function spikeMaxPool(op: Extract<PlanOp, { kind: 'spikemaxpool' }>): void {
  const src = op.in.store.data;
  const counts = op.counts;
  const n = events(op.in);
  const ev = op.in.store.ev;
  for (let e = 0; e < n; e++) counts[ev[e]] += 1;
  const out = op.out.store.data;
  const C = op.in.C;
  const H = op.in.H;
  const W = op.in.W;
  const { Ho, Wo, kh, kw, sh, sw, pt, pl } = op.geom;
  for (let oy = 0; oy < Ho; oy++) {
    for (let ox = 0; ox < Wo; ox++) {
      const o = (oy * Wo + ox) * C;
      for (let c = 0; c < C; c++) {
        let best = -1;
        let bestCount = -1;
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh + ky - pt;
          if (iy < 0 || iy >= H) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw + kx - pl;
            if (ix < 0 || ix >= W) continue;
            const i = (iy * W + ix) * C + c;
            if (counts[i] > bestCount) {
              bestCount = counts[i];
              best = i;
            }
          }
        }
        out[o + c] = best >= 0 ? src[best] : 0;
      }
    }
  }
  markSparse(op.out);
}

export function concat(op: Extract<PlanOp, { kind: 'concat' }>): void {
  const out = op.out.store.data;
  const Cout = op.out.C;
  const P = op.out.H * op.out.W;
  let c0 = 0;
  for (const b of op.ins) {
    const src = b.store.data;
    const C = b.C;
    for (let p = 0; p < P; p++) for (let c = 0; c < C; c++) out[p * Cout + c0 + c] = src[p * C + c];
    c0 += C;
  }
  if (op.ins.every((b) => b.store.sparse)) markSparse(op.out);
  else op.out.store.sparse = false;
}
