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
    for (const subtract of [1, 0]) {
      for (const leak of [1, 0.875]) {
        it(`C=${C}, ${HW} positions, ${subtract ? 'subtract' : 'zero'} reset, leak ${leak}`, () => {
          const rng = new Rng(C * 1000 + HW * 10 + subtract * 2 + (leak === 1 ? 1 : 0));
          const size = C * HW;
          const { arena, wasm } = memory();
          const theta = arena.f32(C);
          const add = arena.f32(C);
          for (let c = 0; c < C; c++) {
            theta[c] = 0.25 + rng.next() * 2;
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
            for (const l of lanes) l.n = l.kernel(x.byteOffset, l.v.byteOffset, l.o.byteOffset, l.ev.byteOffset, l.n, size, C, theta.byteOffset, add.byteOffset, leak, subtract);
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
