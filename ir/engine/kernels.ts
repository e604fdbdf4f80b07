/**
 * Event-driven kernels of the spiking engine (per sample, HWC storage; float32 values at
 * snn-float, exact float64 integers at snn-fixed).
 * A projection touches only the fan-out of the nonzero entries of its input, so its cost scales
 * with the number of events, not with the number of neurons; projections run as WebAssembly. Values are exact integers at
 * snn-fixed (|v| < 2^53, proven by the verifier) and doubles at snn-float.
 */
import type { Buf, PlanOp } from './plan.js';
import type { KernelExports } from './wasm/kernels.js';

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

/** A projection's output starts as its bias (or 0); returns the number of input events to scatter. */
function startProjection(op: Extract<PlanOp, { kind: 'conv' | 'dense' }>): number {
  const out = op.out.store.data;
  if (op.bias) out.set(op.bias);
  else out.fill(0);
  return events(op.in);
}

/**
 * Scatter the events of the input through the fan-out tables (WebAssembly, wasm/kernels.ts); a
 * convolution of one group takes the events of one input position together (convpos).
 */
export function conv(op: Extract<PlanOp, { kind: 'conv' }>, wasm: KernelExports): void {
  const n = startProjection(op);
  if (n === 0) return;
  const out = op.out.store.data;
  const seg = op.seg;
  const s = op.in.store;
  const f32 = out instanceof Float32Array;
  if (op.scratch) {
    const cstride = op.kk * op.Og * (f32 ? 4 : 8);
    (f32 ? wasm.convpos_f32 : wasm.convpos_f64)(out.byteOffset, s.ev.byteOffset, n, s.data.byteOffset, op.in.C, seg.start.byteOffset, seg.out.byteOffset, seg.w.byteOffset, seg.len.byteOffset, op.w.byteOffset, cstride, op.scratch.byteOffset);
    return;
  }
  (f32 ? wasm.conv_f32 : wasm.conv_f64)(out.byteOffset, s.ev.byteOffset, n, s.data.byteOffset, op.in.C, seg.start.byteOffset, seg.out.byteOffset, seg.w.byteOffset, seg.len.byteOffset, op.w.byteOffset, op.Og, op.Cg, op.kk);
}

export function dense(op: Extract<PlanOp, { kind: 'dense' }>, wasm: KernelExports): void {
  const n = startProjection(op);
  if (n === 0) return;
  const out = op.out.store.data;
  const s = op.in.store;
  (out instanceof Float32Array ? wasm.dense_f32 : wasm.dense_f64)(out.byteOffset, s.ev.byteOffset, n, s.data.byteOffset, op.wT.byteOffset, op.M);
}

/** Elementwise sum (WebAssembly; an f32 add rounds like the float64 add of the same operands rounded to f32). */
export function add(op: Extract<PlanOp, { kind: 'add' }>, wasm: KernelExports): void {
  const a = op.a.store.data;
  const b = op.b.store.data;
  const out = op.out.store.data;
  (out instanceof Float32Array ? wasm.add_f32 : wasm.add_f64)(out.byteOffset, a.byteOffset, b.byteOffset, out.length);
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
 * window the input with the largest count (first in row-major window order on ties, i.e. the
 * smallest index) passes its current value. Counts only grow, so a window's choice can change
 * only to an input that spiked this step: each event is compared with the current choice of
 * the windows it belongs to, and the work is the events' fan-out, not the whole map.
 */
export function spikeMaxPool(op: Extract<PlanOp, { kind: 'spikemaxpool' }>): void {
  const src = op.in.store.data;
  const { counts, best } = op;
  const n = events(op.in);
  const ev = op.in.store.ev;
  for (let e = 0; e < n; e++) counts[ev[e]] += 1;
  const C = op.in.C;
  const { fanStart, fanOut } = op.geom;
  for (let e = 0; e < n; e++) {
    const i = ev[e];
    const p = (i / C) | 0;
    const c = i - p * C;
    const ci = counts[i];
    for (let f = fanStart[p], end = fanStart[p + 1]; f < end; f++) {
      const o = fanOut[f] * C + c;
      const b = best[o];
      if (ci > counts[b] || (ci === counts[b] && i < b)) best[o] = i;
    }
  }
  const out = op.out.store;
  const data = out.data;
  let m = 0;
  for (let o = 0; o < data.length; o++) {
    const b = best[o];
    const v = b >= 0 ? src[b] : 0;
    data[o] = v;
    if (v !== 0) out.ev[m++] = o;
  }
  out.nev = m;
  out.sparse = true;
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

/** Synaptic delay: out = the input of the previous step (0 at the first), then remember this step's input. */
export function delay(op: Extract<PlanOp, { kind: 'delay' }>, t: number): void {
  const out = op.out.store.data;
  const x = op.in.store.data;
  if (op.back) {
    // a recurrent edge: the input still holds step t-1 (its producer runs later in the step)
    for (let i = 0; i < out.length; i++) out[i] = t === 1 ? 0 : x[i];
  } else {
    const prev = op.prev;
    for (let i = 0; i < out.length; i++) {
      out[i] = prev[i];
      prev[i] = x[i];
    }
  }
  markSparse(op.out);
}
