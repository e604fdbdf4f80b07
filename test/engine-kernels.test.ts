/**
 * The engine's WebAssembly kernels against their plain definitions: the four-lane population
 * update against the scalar one (same bits), the vector add against JavaScript adds, and the
 * convolution scatter for event lists in any order (its position walk restarts when an event
 * list goes back).
 */
import { describe, expect, it } from 'vitest';
import { Arena } from '../ir/engine/arena.js';
import { conv } from '../ir/engine/kernels.js';
import { buildPlan } from '../ir/engine/plan.js';
import { instantiateKernels } from '../ir/engine/wasm/kernels.js';
import { parseGraph } from '../ir/text/parse.js';
import { Rng } from './helpers/random-graphs.js';

function memory(pages = 16): { arena: Arena; wasm: ReturnType<typeof instantiateKernels> } {
  const mem = new WebAssembly.Memory({ initial: pages });
  return { arena: new Arena(mem), wasm: instantiateKernels(mem) };
}

/** A float32 value drawn to hit ties with θ, zeros of both signs and negatives. */
function value(rng: Rng, theta: number): number {
  const r = rng.int(0, 9);
  if (r === 0) return theta;
  if (r === 1) return -0;
  if (r === 2) return 0;
  return (rng.next() - 0.35) * 2 * theta;
}

describe('population update: neuronFloatX4 = neuronFloat bit for bit', () => {
  for (const [C, HW] of [[4, 1], [8, 5], [12, 7], [16, 9], [64, 3]]) {
    for (const [subtract, strict] of [[1, 0], [0, 0], [0, 1]]) {
      for (const leakValue of [1, 0.875]) {
        it(`C=${C}, ${HW} positions, ${subtract ? 'subtract' : 'zero'} reset, fire ${strict ? 'v > θ' : 'v >= θ'}, leak ${leakValue}`, () => {
          const rng = new Rng(C * 1000 + HW * 10 + subtract * 2 + strict * 4 + (leakValue === 1 ? 1 : 0));
          const size = C * HW;
          const { arena, wasm } = memory();
          const theta = arena.f32(C);
          const amp = arena.f32(C);
          const add = arena.f32(C);
          // the kernels' leak is one factor per neuron (HWC), varied here around the population's
          const leak = arena.f32(size);
          for (let i = 0; i < size; i++) leak[i] = leakValue === 1 ? 1 : leakValue - 0.1 * rng.next();
          for (let c = 0; c < C; c++) {
            theta[c] = 0.25 + rng.next() * 2;
            amp[c] = rng.int(0, 1) ? theta[c] : 0.5 + rng.next();
            add[c] = rng.int(0, 3) === 0 ? 0 : (rng.next() - 0.5) * theta[c];
          }
          const x = arena.f32(size);
          const lanes = [wasm.neuronFloat, wasm.neuronFloatX4].map((kernel) => ({ kernel, v: arena.f32(size), o: arena.f32(size), ev: arena.i32(size), n: 0 }));
          for (let i = 0; i < size; i++) {
            const v0 = value(rng, theta[i % C]);
            for (const l of lanes) l.v[i] = v0;
          }
          let spikes = 0;
          for (let t = 0; t < 12; t++) {
            for (let i = 0; i < size; i++) x[i] = value(rng, theta[i % C]);
            for (const l of lanes) l.n = l.kernel(x.byteOffset, l.v.byteOffset, l.o.byteOffset, l.ev.byteOffset, l.n, size, C, theta.byteOffset, amp.byteOffset, add.byteOffset, leak.byteOffset, subtract, strict);
            const [s, v] = lanes;
            expect(v.n).toBe(s.n);
            expect(Array.from(v.ev.subarray(0, v.n))).toEqual(Array.from(s.ev.subarray(0, s.n)));
            expect(new Uint32Array(v.v.buffer, v.v.byteOffset, size)).toEqual(new Uint32Array(s.v.buffer, s.v.byteOffset, size));
            expect(new Uint32Array(v.o.buffer, v.o.byteOffset, size)).toEqual(new Uint32Array(s.o.buffer, s.o.byteOffset, size));
            spikes += s.n;
          }
          expect(spikes).toBeGreaterThan(0); // the comparison saw spikes
        });
      }
    }
  }
});

describe('vector add', () => {
  for (const tag of ['f32', 'f64'] as const) {
    it(`add_${tag} equals elementwise JavaScript adds rounded to ${tag}, every length 0..37`, () => {
      const rng = new Rng(tag === 'f32' ? 7 : 8);
      const { arena, wasm } = memory();
      const make = (n: number): Float32Array | Float64Array => (tag === 'f32' ? arena.f32(n) : arena.f64(n));
      for (let n = 0; n <= 37; n++) {
        const a = make(n);
        const b = make(n);
        const out = make(n + 4);
        out.fill(42);
        for (let i = 0; i < n; i++) {
          a[i] = (rng.next() - 0.5) * 1e3;
          b[i] = (rng.next() - 0.5) * 1e-3;
        }
        wasm[`add_${tag}`](out.byteOffset, a.byteOffset, b.byteOffset, n);
        const want = tag === 'f32' ? new Float32Array(n) : new Float64Array(n);
        for (let i = 0; i < n; i++) want[i] = a[i] + b[i];
        expect(Array.from(out.subarray(0, n))).toEqual(Array.from(want));
        expect(Array.from(out.subarray(n))).toEqual([42, 42, 42, 42]); // nothing written past the end
      }
    });
  }
});

describe('convolution scatter', () => {
  // Integer inputs and weights: sums are exact in float64, so any event order gives the same output.
  const cases: [string, number, number, number][] = [
    ['ordinary', 3, 4, 1],
    ['grouped', 4, 6, 2],
    ['depthwise', 5, 5, 5],
  ];
  for (const [name, C, O, G] of cases) {
    it(`${name} (C=${C}, O=${O}, group=${G}): ascending, descending and shuffled event lists agree with a direct convolution`, () => {
      const rng = new Rng(C * 31 + O);
      const H = 5;
      const W = 6;
      const Cg = C / G;
      const w = Array.from({ length: O * Cg * 9 }, () => rng.int(-4, 4));
      const text = [
        'snnir 1',
        'graph @g stage=ann {',
        `  %x = input() : f32[N,${C},${H},${W}]`,
        `  %c = conv2d(%x, @w) {dilations=[1,1], group=${G}, pads=[1,1,1,1], strides=[1,1]} : f32[N,${O},${H},${W}]`,
        '  output %c',
        '}',
        `const @w : f32[${O},${Cg},3,3] = [${w.join(',')}]`,
      ].join('\n');
      const g = parseGraph(text);
      const { arena, wasm } = memory();
      const plan = buildPlan(g, arena);
      const op = plan.staticOps.find((o) => o.kind === 'conv')!;
      if (op.kind !== 'conv') throw new Error('no conv');
      // input (HWC): sparse integer events
      const src = op.in.store;
      const x = new Float64Array(C * H * W); // NCHW
      for (let i = 0; i < x.length; i++) x[i] = rng.int(0, 3) === 0 ? rng.int(-3, 3) : 0;
      for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++) src.data[p * C + c] = x[c * H * W + p];
      const nz: number[] = [];
      for (let i = 0; i < src.data.length; i++) if (src.data[i] !== 0) nz.push(i);
      // direct convolution, NCHW
      const want = new Float64Array(O * H * W);
      for (let o = 0; o < O; o++) {
        const grp = Math.floor(o / (O / G));
        for (let y = 0; y < H; y++) {
          for (let xx = 0; xx < W; xx++) {
            let s = 0;
            for (let ci = 0; ci < Cg; ci++) {
              for (let ky = 0; ky < 3; ky++) {
                for (let kx = 0; kx < 3; kx++) {
                  const iy = y + ky - 1;
                  const ix = xx + kx - 1;
                  if (iy >= 0 && iy < H && ix >= 0 && ix < W) s += w[((o * Cg + ci) * 3 + ky) * 3 + kx] * x[(grp * Cg + ci) * H * W + iy * W + ix];
                }
              }
            }
            want[o * H * W + y * W + xx] = s;
          }
        }
      }
      const shuffled = [...nz];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      for (const order of [nz, [...nz].reverse(), shuffled]) {
        src.ev.set(order);
        src.nev = order.length;
        src.sparse = true;
        conv(op, wasm);
        const got = new Float64Array(O * H * W);
        for (let o = 0; o < O; o++) for (let p = 0; p < H * W; p++) got[o * H * W + p] = op.out.store.data[p * O + o];
        expect(Array.from(got)).toEqual(Array.from(want));
      }
    });
  }
});

describe('convolution by position: convpos = conv bit for bit (float32 and float64)', () => {
  // O spans the tile remainders (16 lanes, then 4, then scalars); stride 2 leaves segments unmerged.
  const cases: [number, number, number][] = [
    [3, 1, 1],
    [5, 3, 1],
    [8, 17, 1],
    [16, 36, 2],
    [24, 64, 1],
    [7, 20, 2],
    [4, 40, 1],
  ];
  for (const [C, O, stride] of cases) {
    it(`C=${C}, O=${O}, stride ${stride}: ascending, descending and shuffled event lists`, () => {
      const rng = new Rng(C * 131 + O * 7 + stride);
      const H = 6;
      const W = 7;
      const Ho = Math.floor((H + 2 - 3) / stride) + 1;
      const Wo = Math.floor((W + 2 - 3) / stride) + 1;
      const w = Array.from({ length: O * C * 9 }, () => (rng.next() - 0.5).toPrecision(6));
      const text = [
        'snnir 1',
        'graph @g stage=ann {',
        `  %x = input() : f32[N,${C},${H},${W}]`,
        `  %c = conv2d(%x, @w) {dilations=[1,1], group=1, pads=[1,1,1,1], strides=[${stride},${stride}]} : f32[N,${O},${Ho},${Wo}]`,
        '  output %c',
        '}',
        `const @w : f32[${O},${C},3,3] = [${w.join(',')}]`,
      ].join('\n');
      for (const f32 of [true, false]) {
        const g = { ...parseGraph(text), stage: f32 ? ('snn-float' as const) : ('snn-fixed' as const) };
        const { arena, wasm } = memory(64);
        const plan = buildPlan({ ...g, stage: 'ann' }, arena);
        const op = plan.staticOps.find((o) => o.kind === 'conv')!;
        if (op.kind !== 'conv' || !op.scratch) throw new Error('no conv of one group');
        const bytes = f32 ? 4 : 8;
        const src = f32 ? arena.f32(C * H * W) : arena.f64(C * H * W);
        const wt = f32 ? Float32Array.from(op.w) : Float64Array.from(op.w);
        const wCopy = f32 ? arena.f32(wt.length) : arena.f64(wt.length);
        wCopy.set(wt);
        const ev = arena.i32(C * H * W);
        const outs = [0, 1].map(() => (f32 ? arena.f32(O * Ho * Wo) : arena.f64(O * Ho * Wo)));
        const nz: number[] = [];
        for (let i = 0; i < src.length; i++) {
          src[i] = rng.int(0, 2) === 0 ? rng.next() * 3 - 1 : 0;
          if (src[i] !== 0) nz.push(i);
        }
        const shuffled = [...nz];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = rng.int(0, i);
          [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
        }
        for (const order of [nz, [...nz].reverse(), shuffled]) {
          ev.set(order);
          const bias = Array.from({ length: O * Ho * Wo }, () => rng.next());
          for (const o of outs) o.set(bias);
          const seg = op.seg;
          const common = [ev.byteOffset, order.length, src.byteOffset, C, seg.start.byteOffset, seg.out.byteOffset, seg.w.byteOffset, seg.len.byteOffset, wCopy.byteOffset] as const;
          (f32 ? wasm.conv_f32 : wasm.conv_f64)(outs[0].byteOffset, ...common, O, C, 9);
          (f32 ? wasm.convpos_f32 : wasm.convpos_f64)(outs[1].byteOffset, ...common, 9 * O * bytes, op.scratch.byteOffset);
          const bits = (a: Float32Array | Float64Array): string[] => Array.from(f32 ? new Uint32Array(a.buffer, a.byteOffset, a.length) : new BigUint64Array(a.buffer, a.byteOffset, a.length), String);
          expect(bits(outs[1])).toEqual(bits(outs[0]));
          expect(outs[0].some((v, i) => v !== bias[i])).toBe(true);
        }
      }
    });
  }
});
