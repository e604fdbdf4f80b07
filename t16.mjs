const M = 128, K = 1568;
const wT = new Float64Array(K * M).map(() => Math.random());
const src = new Float64Array(K).map(() => Math.random() < 0.2 ? Math.random() : 0);
const out = new Float64Array(M);
const ev = new Int32Array(K);
let n = 0; for (let i = 0; i < K; i++) if (src[i] !== 0) ev[n++] = i;
function dense(out, wT, src, ev, n, M) {
  out.fill(0);
  for (let e = 0; e < n; e++) {
    const i = ev[e]; const v = src[i]; const base = i * M;
    for (let m = 0; m < M; m++) out[m] += v * wT[base + m];
  }
}
function dense4(out, wT, src, ev, n, M) {
  out.fill(0);
  for (let e = 0; e < n; e++) {
    const i = ev[e]; const v = src[i]; let b = i * M;
    for (let m = 0; m < M; m += 4, b += 4) {
      out[m] += v * wT[b]; out[m+1] += v * wT[b+1]; out[m+2] += v * wT[b+2]; out[m+3] += v * wT[b+3];
    }
  }
}
for (const [name, f] of [['plain', dense], ['unroll4', dense4]]) for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  for (let k = 0; k < 5000; k++) f(out, wT, src, ev, n, M);
  const dt = performance.now() - t0;
  console.log(name, (dt * 1e6 / (5000 * n * M)).toFixed(3), 'ns/MAC', n);
}
function denseE4(out, wT, src, ev, n, M) {
  out.fill(0);
  let e = 0;
  for (; e + 4 <= n; e += 4) {
    const i0 = ev[e], i1 = ev[e+1], i2 = ev[e+2], i3 = ev[e+3];
    const v0 = src[i0], v1 = src[i1], v2 = src[i2], v3 = src[i3];
    const b0 = i0 * M, b1 = i1 * M, b2 = i2 * M, b3 = i3 * M;
    for (let m = 0; m < M; m++) out[m] += v0 * wT[b0 + m] + v1 * wT[b1 + m] + v2 * wT[b2 + m] + v3 * wT[b3 + m];
  }
  for (; e < n; e++) { const i = ev[e]; const v = src[i]; const b = i * M; for (let m = 0; m < M; m++) out[m] += v * wT[b + m]; }
}
function denseE4U2(out, wT, src, ev, n, M) {
  out.fill(0);
  let e = 0;
  for (; e + 4 <= n; e += 4) {
    const i0 = ev[e], i1 = ev[e+1], i2 = ev[e+2], i3 = ev[e+3];
    const v0 = src[i0], v1 = src[i1], v2 = src[i2], v3 = src[i3];
    let b0 = i0 * M, b1 = i1 * M, b2 = i2 * M, b3 = i3 * M;
    for (let m = 0; m < M; m += 2, b0 += 2, b1 += 2, b2 += 2, b3 += 2) {
      out[m] += v0 * wT[b0] + v1 * wT[b1] + v2 * wT[b2] + v3 * wT[b3];
      out[m+1] += v0 * wT[b0+1] + v1 * wT[b1+1] + v2 * wT[b2+1] + v3 * wT[b3+1];
    }
  }
  for (; e < n; e++) { const i = ev[e]; const v = src[i]; const b = i * M; for (let m = 0; m < M; m++) out[m] += v * wT[b + m]; }
}
for (const [name, f] of [['events4', denseE4], ['events4u2', denseE4U2]]) for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  for (let k = 0; k < 5000; k++) f(out, wT, src, ev, n, M);
  const dt = performance.now() - t0;
  console.log(name, (dt * 1e6 / (5000 * n * M)).toFixed(3), 'ns/MAC', n);
}
