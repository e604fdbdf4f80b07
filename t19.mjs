function make(N, C, rate) {
  return { v: new Float64Array(N), x: new Float64Array(N).map(() => Math.random() * rate * 2), o: new Float64Array(N), ev: new Int32Array(N), th: new Float64Array(C).fill(1), add: new Float64Array(C), N, C };
}
function branchy(s) {
  const { v, x, o, ev, th, add, N, C } = s; let n = 0;
  for (let p = 0; p < N; p += C) for (let c = 0; c < C; c++) { const i = p + c; const u = v[i] + x[i] + add[c]; if (u >= th[c]) { o[i] = th[c]; ev[n++] = i; v[i] = u - th[c]; } else { o[i] = 0; v[i] = u; } }
  return n;
}
function plusBool(s) {
  const { v, x, o, ev, th, add, N, C } = s; let n = 0;
  for (let p = 0; p < N; p += C) for (let c = 0; c < C; c++) { const i = p + c; const t = th[c]; const u = v[i] + x[i] + add[c]; const f = +(u >= t); const st = f * t; o[i] = st; v[i] = u - st; ev[n] = i; n += f; }
  return n;
}
function signTrick(s) {
  const { v, x, o, ev, th, add, N, C } = s; let n = 0;
  for (let p = 0; p < N; p += C) for (let c = 0; c < C; c++) { const i = p + c; const t = th[c]; const u = v[i] + x[i] + add[c]; const f = 1 - ((Math.sign(t - u) + 1) >> 1); const st = f * t; o[i] = st; v[i] = u - st; ev[n] = i; n += f; }
  return n;
}
function floorTrick(s) { // valid for 0 <= u < 2t ... not general; just to see the cost
  const { v, x, o, ev, th, add, N, C } = s; let n = 0;
  for (let p = 0; p < N; p += C) for (let c = 0; c < C; c++) { const i = p + c; const t = th[c]; const u = v[i] + x[i] + add[c]; const f = Math.min(1, Math.max(0, Math.floor(u / t) )); const st = f * t; o[i] = st; v[i] = u - st; ev[n] = i; n += f; }
  return n;
}
for (const rate of [0.02, 0.1, 0.25]) for (const [name, f] of [['branchy', branchy], ['plusBool', plusBool], ['sign', signTrick], ['minmaxfloor', floorTrick]]) {
  const s = make(12544, 16, rate);
  for (let k = 0; k < 300; k++) f(s);
  const t0 = performance.now(); let tot = 0;
  for (let k = 0; k < 2000; k++) tot += f(s);
  console.log(rate, name.padEnd(12), ((performance.now() - t0) * 1e6 / (2000 * 12544)).toFixed(2), 'ns/neuron', (tot / 2000 / 12544).toFixed(3));
}
