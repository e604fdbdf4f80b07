/**
 * The one matrix kernel of the float executors:
 *
 *   C[i, j] = sum_k A[i, k] * B[j, k]      (i < M, j < N; A is M x K, B is N x K, both row-major)
 *
 * Both operands are read along k, so every stream is sequential. The loop is blocked 4 x 4 so
 * that 16 accumulators live in registers; sums are accumulated in double precision and rounded
 * to float32 once when stored. Dense layers call it with (x, W); convolutions with (W, patches).
 * Large products run the same blocks as WebAssembly (gemm-simd.ts), with the same bits.
 */
import { blocks4x4Simd } from './gemm-simd.js';
/** Products of at least this many multiply-adds run as WebAssembly (gemm-simd.ts; the same bits): below it, packing costs more than it saves. */
const SIMD_FROM = 1 << 18;

export function gemmNT(
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  aOff: number,
  lda: number,
  B: Float32Array,
  bOff: number,
  ldb: number,
  C: Float32Array,
  cOff: number,
  ldc: number,
): void {
  // The edges live in their own functions: code paths first reached late would otherwise
  // deoptimise the hot 4 x 4 loop again and again.
  const M4 = M & ~3;
  const N4 = N & ~3;
  if (M4 > 0 && N4 > 0) {
    if (M4 * N4 * K >= SIMD_FROM) blocks4x4Simd(M4, N4, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc);
    else blocks4x4(M4, N4, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc);
  }
  if (M4 > 0 && N4 < N) edgeColumns(M4, N4, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc);
  if (M4 < M) edgeRows(M4, M, N, K, A, aOff, lda, B, bOff, ldb, C, cOff, ldc);
}

function blocks4x4(
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  aOff: number,
  lda: number,
  B: Float32Array,
  bOff: number,
  ldb: number,
  C: Float32Array,
  cOff: number,
  ldc: number,
): void {
  for (let i = 0; i < M; i += 4) {
    const a0 = aOff + i * lda;
    const a1 = a0 + lda;
    const a2 = a1 + lda;
    const a3 = a2 + lda;
    const c0 = cOff + i * ldc;
    for (let j = 0; j < N; j += 4) {
      const b0 = bOff + j * ldb;
      const b1 = b0 + ldb;
      const b2 = b1 + ldb;
      const b3 = b2 + ldb;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0;
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0;
      let s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k];
        const x1 = A[a1 + k];
        const x2 = A[a2 + k];
        const x3 = A[a3 + k];
        const y0 = B[b0 + k];
        const y1 = B[b1 + k];
        const y2 = B[b2 + k];
        const y3 = B[b3 + k];
        s00 += x0 * y0; s01 += x0 * y1; s02 += x0 * y2; s03 += x0 * y3;
        s10 += x1 * y0; s11 += x1 * y1; s12 += x1 * y2; s13 += x1 * y3;
        s20 += x2 * y0; s21 += x2 * y1; s22 += x2 * y2; s23 += x2 * y3;
        s30 += x3 * y0; s31 += x3 * y1; s32 += x3 * y2; s33 += x3 * y3;
      }
      const c = c0 + j;
      C[c] = s00; C[c + 1] = s01; C[c + 2] = s02; C[c + 3] = s03;
      C[c + ldc] = s10; C[c + ldc + 1] = s11; C[c + ldc + 2] = s12; C[c + ldc + 3] = s13;
      C[c + 2 * ldc] = s20; C[c + 2 * ldc + 1] = s21; C[c + 2 * ldc + 2] = s22; C[c + 2 * ldc + 3] = s23;
      C[c + 3 * ldc] = s30; C[c + 3 * ldc + 1] = s31; C[c + 3 * ldc + 2] = s32; C[c + 3 * ldc + 3] = s33;
    }
  }
}

/** Columns N4..N-1 of rows 0..M4-1. */
function edgeColumns(
  M4: number,
  N4: number,
  N: number,
  K: number,
  A: Float32Array,
  aOff: number,
  lda: number,
  B: Float32Array,
  bOff: number,
  ldb: number,
  C: Float32Array,
  cOff: number,
  ldc: number,
): void {
  for (let i = 0; i < M4; i += 4) {
    const a0 = aOff + i * lda;
    const c0 = cOff + i * ldc;
    for (let j = N4; j < N; j++) {
      const b0 = bOff + j * ldb;
      let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (let k = 0; k < K; k++) {
        const y = B[b0 + k];
        s0 += A[a0 + k] * y;
        s1 += A[a0 + lda + k] * y;
        s2 += A[a0 + 2 * lda + k] * y;
        s3 += A[a0 + 3 * lda + k] * y;
      }
      C[c0 + j] = s0;
      C[c0 + ldc + j] = s1;
      C[c0 + 2 * ldc + j] = s2;
      C[c0 + 3 * ldc + j] = s3;
    }
  }
}

/** Rows M4..M-1, all columns. */
function edgeRows(
  M4: number,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  aOff: number,
  lda: number,
  B: Float32Array,
  bOff: number,
  ldb: number,
  C: Float32Array,
  cOff: number,
  ldc: number,
): void {
  for (let i = M4; i < M; i++) {
    const a0 = aOff + i * lda;
    const c0 = cOff + i * ldc;
    for (let j = 0; j < N; j++) {
      const b0 = bOff + j * ldb;
      let s = 0;
      for (let k = 0; k < K; k++) s += A[a0 + k] * B[b0 + k];
      C[c0 + j] = s;
    }
  }
}
