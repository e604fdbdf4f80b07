const N = 12544, C = 16;
const v = new Float64Array(N), x = new Float64Array(N).map(() => Math.random() * 0.5), o = new Float64Array(N), ev = new Int32Array(N);
const th = new Float64Array(C).fill(1), add = new Float64Array(C);
function step(leak: number, subtract: boolean): number {
  let n = 0;
  for (let p = 0; p < N; p += C) {
    for (let c = 0; c < C; c++) {
      const i = p + c;
      const u = v[i] * leak + x[i] + add[c];
      if (u >= th[c]) { o[i] = th[c]; ev[n++] = i; v[i] = subtract ? u - th[c] : 0; }
      else { o[i] = 0; v[i] = u; }
    }
  }
  return n;
}
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  let s = 0;
  for (let k = 0; k < 2000; k++) s += step(1, true);
  const dt = performance.now() - t0;
  console.log((dt * 1e6 / (2000 * N)).toFixed(2), 'ns/neuron', s);
}
function stepB(leak: number): number {
  let n = 0;
  for (let p = 0; p < N; p += C) {
    for (let c = 0; c < C; c++) {
      const i = p + c;
      const t = th[c];
      const u = v[i] * leak + x[i] + add[c];
      const s = (u >= t ? 1 : 0);
      const st = s * t;
      o[i] = st;
      v[i] = u - st;
      ev[n] = i;
      n += s;
    }
  }
  return n;
}
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  let s = 0;
  for (let k = 0; k < 2000; k++) s += stepB(1);
  const dt = performance.now() - t0;
  console.log('branchless', (dt * 1e6 / (2000 * N)).toFixed(2), 'ns/neuron', s);
}
