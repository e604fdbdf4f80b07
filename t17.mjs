// gather-by-output-position conv vs scatter; synthetic 16->32, 14x14, 3x3 pad 1, density 16%
const C = 16, H = 14, W = 14, O = 32, kk = 9;
const w = new Float64Array(C * kk * O).map(() => Math.random());
const src = new Float64Array(H * W * C).map(() => Math.random() < 0.16 ? 0.25 * (1 + Math.floor(Math.random() * 4)) : 0);
const ev = new Int32Array(src.length); let n = 0; for (let i = 0; i < src.length; i++) if (src[i] !== 0) ev[n++] = i;
// fan
const start = new Int32Array(H * W + 1), fo = [], fk = [];
for (let iy = 0; iy < H; iy++) for (let ix = 0; ix < W; ix++) { start[iy * W + ix] = fo.length; for (let ky = 0; ky < 3; ky++) { const oy = iy + 1 - ky; if (oy < 0 || oy >= H) continue; for (let kx = 0; kx < 3; kx++) { const ox = ix + 1 - kx; if (ox < 0 || ox >= W) continue; fo.push(oy * W + ox); fk.push(ky * 3 + kx); } } }
start[H * W] = fo.length; const fanOut = Int32Array.from(fo), fanK = Int32Array.from(fk);
const out = new Float64Array(H * W * O);
const P = H * W;
const cnt = new Int32Array(P + 1), lw = new Int32Array(n * 9 + 16), lv = new Float64Array(n * 9 + 16);
function gather() {
  cnt.fill(0);
  for (let e = 0; e < n; e++) { const p = (ev[e] / C) | 0; for (let f = start[p]; f < start[p + 1]; f++) cnt[fanOut[f] + 1]++; }
  for (let q = 0; q < P; q++) cnt[q + 1] += cnt[q];
  const pos = cnt.slice(0, P);
  for (let e = 0; e < n; e++) { const i = ev[e]; const p = (i / C) | 0; const c = i - p * C; const v = src[i]; for (let f = start[p]; f < start[p + 1]; f++) { const q = fanOut[f]; const at = pos[q]++; lw[at] = (c * kk + fanK[f]) * O; lv[at] = v; } }
  for (let q = 0; q < P; q++) {
    const b = cnt[q], e2 = cnt[q + 1];
    const ob = q * O;
    for (let o = 0; o < O; o += 8) {
      let a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
      for (let j = b; j < e2; j++) { const v = lv[j]; const x = lw[j] + o; a0 += v * w[x]; a1 += v * w[x + 1]; a2 += v * w[x + 2]; a3 += v * w[x + 3]; a4 += v * w[x + 4]; a5 += v * w[x + 5]; a6 += v * w[x + 6]; a7 += v * w[x + 7]; }
      out[ob + o] = a0; out[ob + o + 1] = a1; out[ob + o + 2] = a2; out[ob + o + 3] = a3; out[ob + o + 4] = a4; out[ob + o + 5] = a5; out[ob + o + 6] = a6; out[ob + o + 7] = a7;
    }
  }
}
function scatter() {
  out.fill(0);
  for (let e = 0; e < n; e++) { const i = ev[e]; const v = src[i]; const p = (i / C) | 0; const c = i - p * C;
    for (let f = start[p]; f < start[p + 1]; f++) { const a = fanOut[f] * O; const b = (c * kk + fanK[f]) * O; for (let o = 0; o < O; o += 4) { out[a + o] += v * w[b + o]; out[a + o + 1] += v * w[b + o + 1]; out[a + o + 2] += v * w[b + o + 2]; out[a + o + 3] += v * w[b + o + 3]; } } }
}
const macs = (() => { let m = 0; for (let e = 0; e < n; e++) { const p = (ev[e] / C) | 0; m += (start[p + 1] - start[p]) * O; } return m; })();
for (const [name, f] of [['scatter', scatter], ['gather', gather]]) for (let r = 0; r < 3; r++) {
  const t0 = performance.now(); for (let k = 0; k < 3000; k++) f(); const dt = performance.now() - t0;
  console.log(name, (dt * 1e6 / (3000 * macs)).toFixed(3), 'ns/MAC', (dt * 1000 / 3000).toFixed(1), 'µs', n, 'events');
}
