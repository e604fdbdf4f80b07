/**
 * The float executors' matrix kernel against its definition, bit for bit: C[i, j] is the float64
 * sum over k ascending of A[i, k] · B[j, k], rounded to float32 once. Sizes reach both the
 * JavaScript blocks and the WebAssembly ones (gemm-simd.ts), with edges, offsets and strides.
 */
import { describe, expect, it } from 'vitest';
import { gemmNT } from '../src/exec/gemm.js';
import { Rng } from './helpers/random-graphs.js';

function reference(M: number, N: number, K: number, A: Float32Array, aOff: number, lda: number, B: Float32Array, bOff: number, ldb: number): Float32Array {
  const C = new Float32Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += A[aOff + i * lda + k] * B[bOff + j * ldb + k];
      C[i * N + j] = s;
    }
  }
  return C;
}

/** Values over many magnitudes, with zeros of both signs, so that rounding and cancellation happen. */
function values(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => {
    const r = rng.int(0, 9);
    if (r === 0) return -0;
    if (r === 1) return 0;
    return (rng.next() - 0.5) * 2 ** rng.int(-20, 20);
  });
}

describe('gemmNT: C = A · Bᵀ, float64 sums rounded once', () => {
  // [M, N, K]: under and over the WebAssembly threshold (2^18 multiply-adds in whole blocks), with edges
  const cases: [number, number, number][] = [
    [4, 8, 3],
    [7, 9, 11],
    [64, 1000, 147],
    [66, 517, 80],
    [13, 2050, 33],
  ];
  for (const [M, N, K] of cases) {
    it(`${M} x ${N} x ${K}, with offsets and row strides`, () => {
      const rng = new Rng(M * 7919 + N * 31 + K);
      const lda = K + 3;
      const ldb = K + 1;
      const A = values(rng, 5 + M * lda);
      const B = values(rng, 2 + N * ldb);
      const want = reference(M, N, K, A, 5, lda, B, 2, ldb);
      const ldc = N + 2;
      const C = new Float32Array(1 + M * ldc).fill(Number.NaN);
      gemmNT(M, N, K, A, 5, lda, B, 2, ldb, C, 1, ldc);
      const got = new Float32Array(M * N);
      for (let i = 0; i < M; i++) got.set(C.subarray(1 + i * ldc, 1 + i * ldc + N), i * N);
      expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(want.buffer));
      // the padding between rows is untouched
      for (let i = 0; i + 1 < M; i++) expect(Number.isNaN(C[1 + i * ldc + N])).toBe(true);
    });
  }
});
