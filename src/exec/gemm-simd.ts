/**
 * The 4 x 4 blocks of `gemmNT` as WebAssembly with 128-bit SIMD, for large products (the first
 * convolution of a 224×224 network: 64 × 12,544 × 147). The same arithmetic as the JavaScript
 * loop, element by element: every product of two float32 is exact in float64, the sum runs over
 * k ascending from 0 in float64, and the result is rounded to float32 once (f32.demote_f64 rounds
 * to nearest even, as a Float32Array store does). So the bits are the JavaScript kernel's; only
 * the speed differs (test/gemm.test.ts compares them).
 *
 * Both operands are packed first, in float64 panels of four rows, k-major: panel p holds rows
 * 4p..4p+3 as [k][4]. The kernel walks column panels outside and row panels inside, so a column
 * panel (K · 32 bytes) stays in L1 while the rows' panels (M · K · 8 bytes) stay in L2. Per k, two
 * vector loads of the column panel, four splatted loads of the row panel and 8 + 8 f64x2
 * multiply-adds update the 4 x 4 block.
 */
import { assemble, Fn, I32, V128 } from '../../ir/engine/wasm/asm.js';

function blocksKernel(): Fn {
  const f = new Fn('blocks4x4', [['ap', I32], ['bp', I32], ['c', I32], ['mb', I32], ['nb', I32], ['K', I32]]);
  // c: float32 output, M4 x N4 row-major (ldc = 4·nb)
  f.locals(I32, 'ib', 'jb', 'a', 'b', 'k', 'panel', 'row');
  const acc = [0, 1, 2, 3].flatMap((r) => [`s${r}0`, `s${r}1`]);
  f.locals(V128, 'b01', 'b23', 'x', ...acc);
  f.get('K').i32(5).shl().set('panel'); // bytes of one panel: K · 4 · 8
  f.forRange('jb', (g) => g.i32(0), 'nb', 1, (cols) => {
    cols.forRange('ib', (g) => g.i32(0), 'mb', 1, (rows) => {
      for (const s of acc) rows.f64(0).f64x2Splat().set(s);
      rows.get('ap').get('ib').get('panel').mul().add().set('a');
      rows.get('bp').get('jb').get('panel').mul().add().set('b');
      rows.forRange('k', (g) => g.i32(0), 'K', 1, (q) => {
        q.get('b').loadV128().set('b01');
        q.get('b').loadV128(16).set('b23');
        for (let r = 0; r < 4; r++) {
          q.get('a').load64Splat(8 * r).set('x');
          q.get(`s${r}0`).get('x').get('b01').f64x2Mul().f64x2Add().set(`s${r}0`);
          q.get(`s${r}1`).get('x').get('b23').f64x2Mul().f64x2Add().set(`s${r}1`);
        }
        q.get('a').i32(32).add().set('a');
        q.get('b').i32(32).add().set('b');
      });
      // C[4ib + r][4jb + l] = f32(s_r[l])
      for (let r = 0; r < 4; r++) {
        rows.get('ib').i32(2).shl().i32(r).add().get('nb').mul().get('jb').add().i32(4).shl().get('c').add().set('row');
        for (let l = 0; l < 4; l++) {
          rows.get('row').get(`s${r}${l >> 1}`).f64x2ExtractLane(l & 1).f32DemoteF64().storeF32(4 * l);
        }
      }
    });
  });
  return f;
}

let module: WebAssembly.Module | undefined;
let instance: { memory: WebAssembly.Memory; blocks4x4: (ap: number, bp: number, c: number, mb: number, nb: number, K: number) => void } | undefined;

/** The kernel with a memory of at least `bytes` (one memory per thread, grown as needed). */
function kernel(bytes: number): NonNullable<typeof instance> {
  const pages = Math.ceil(bytes / 65536);
  if (!instance) {
    module ??= new WebAssembly.Module(assemble([blocksKernel()], 1));
    const memory = new WebAssembly.Memory({ initial: Math.max(1, pages) });
    const exports = new WebAssembly.Instance(module, { env: { mem: memory } }).exports as unknown as { blocks4x4: NonNullable<typeof instance>['blocks4x4'] };
    instance = { memory, blocks4x4: exports.blocks4x4 };
  } else if (instance.memory.buffer.byteLength < bytes) instance.memory.grow(pages - instance.memory.buffer.byteLength / 65536);
  return instance;
}

/** Rows r0.. r0+4·panels of X (row stride ld, from off) as float64 panels [panel][k][4] at `dst`. */
function pack(dst: Float64Array, X: Float32Array, off: number, ld: number, panels: number, K: number): void {
  for (let p = 0; p < panels; p++) {
    const base = p * K * 4;
    for (let r = 0; r < 4; r++) {
      const x = off + (4 * p + r) * ld;
      for (let k = 0; k < K; k++) dst[base + 4 * k + r] = X[x + k];
    }
  }
}

/** C[i, j] (i < M4, j < N4; both multiples of 4) = sum_k A[i, k] · B[j, k], as the JavaScript blocks4x4. */
export function blocks4x4Simd(M4: number, N4: number, K: number, A: Float32Array, aOff: number, lda: number, B: Float32Array, bOff: number, ldb: number, C: Float32Array, cOff: number, ldc: number): void {
  const aBytes = M4 * K * 8;
  const bBytes = N4 * K * 8;
  const k = kernel(aBytes + bBytes + M4 * N4 * 4);
  const buf = k.memory.buffer;
  pack(new Float64Array(buf, 0, M4 * K), A, aOff, lda, M4 / 4, K);
  pack(new Float64Array(buf, aBytes, N4 * K), B, bOff, ldb, N4 / 4, K);
  k.blocks4x4(0, aBytes, aBytes + bBytes, M4 / 4, N4 / 4, K);
  const c = new Float32Array(buf, aBytes + bBytes, M4 * N4);
  for (let i = 0; i < M4; i++) C.set(c.subarray(i * N4, (i + 1) * N4), cOff + i * ldc);
}
