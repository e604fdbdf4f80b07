function make(N, C) {
  return { v: new Float64Array(N), x: new Float64Array(N).map(() => Math.random() * 0.5), o: new Float64Array(N), ev: new Int32Array(N), th: new Float64Array(C).fill(1), add: new Float64Array(C), N, C };
}
function step(s, leak) {
  const { v, x, o, ev, th, add, N, C } = s;
  let n = 0;
  for (let p = 0; p < N; p += C) {
    for (let c = 0; c < C; c++) {
      const i = p + c;
      const u = v[i] * leak + x[i] + add[c];
      if (u >= th[c]) { o[i] = th[c]; ev[n++] = i; v[i] = u - th[c]; }
      else { o[i] = 0; v[i] = u; }
    }
  }
  return n;
}
function stepFlat(s, leak) {
  const { v, x, o, ev, th, add, N, C } = s;
  let n = 0;
  let c = 0;
  for (let i = 0; i < N; i++) {
    const t = th[c];
    const u = v[i] * leak + x[i] + add[c];
    if (u >= t) { o[i] = t; ev[n++] = i; v[i] = u - t; }
    else { o[i] = 0; v[i] = u; }
    if (++c === C) c = 0;
  }
  return n;
}
for (const [name, f] of [['nested', step], ['flat', stepFlat]]) {
  const s = make(12544, 16);
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    let k2 = 0;
    for (let k = 0; k < 2000; k++) k2 += f(s, 1);
    console.log(name, ((performance.now() - t0) * 1e6 / (2000 * 12544)).toFixed(2), 'ns/neuron');
  }
}
// low firing rate
const s = make(12544, 16); s.x.fill(0.01);
const t0 = performance.now(); for (let k = 0; k < 2000; k++) step(s, 1); console.log('low rate', ((performance.now() - t0) * 1e6 / (2000 * 12544)).toFixed(2));
