import { randomGraph, randomSamples } from './test/helpers/random-graphs.ts';
import { verify } from './ir/verify.ts';
import { emitC, emitModelTable } from './targets/c/emit.ts';
import { runtimeFiles } from './targets/c/index.ts';
import { buildProgram, verifyProgram } from './src/verify-c.ts';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
const N = Number(process.argv[2] ?? 50), start = Number(process.argv[3] ?? 0);
const dir = '/tmp/rg'; rmSync(dir, { recursive: true, force: true }); mkdirSync(dir, { recursive: true });
const graphs = [];
for (let i = start; i < start + N; i++) {
  const { graph } = randomGraph(i);
  const errs = verify(graph).filter((d) => d.severity === 'error');
  if (errs.length) { console.log('seed', i, 'invalid:', errs[0].code, errs[0].where, errs[0].message); continue; }
  graphs.push({ i, graph });
  for (const f of emitC(graph, { prefix: `g${i}` })) writeFileSync(`${dir}/${f.path}`, f.contents);
}
for (const f of [...runtimeFiles(), emitModelTable(graphs.map((g) => `g${g.i}`))]) writeFileSync(`${dir}/${f.path}`, f.contents);
const t0 = performance.now();
const exe = buildProgram(dir, graphs.map((g) => `g${g.i}`), { cc: 'cc', cflags: ['-std=c99', '-O0', '-g', '-Wall', '-Wextra', '-Werror', '-fsanitize=undefined,address', '-fno-sanitize-recover=all'] });
console.log('build s', ((performance.now() - t0) / 1000).toFixed(1));
let bad = 0, sat = 0;
graphs.forEach((g, k) => {
  const r = verifyProgram(g.graph, exe, dir, randomSamples(g.graph, 3, g.i), k);
  if (r.overflow.some((u) => u.acc || u.v)) sat++;
  if (!r.bitExact) { bad++; console.log('seed', g.i, 'MISMATCH', JSON.stringify(r.first)); }
});
console.log(`${graphs.length} graphs, ${bad} mismatches, ${sat} with saturation/wrap, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
