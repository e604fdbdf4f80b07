/**
 * The NIR paper's single-LIF experiment (test/fixtures/nir): snnc's output spikes and membrane
 * next to the eight platforms' traces, float and integer (8- and 16-bit weights).
 *
 *   npm run build && node dist/bench/nir-platforms.js
 *
 * Columns: spike steps (1-based), and the largest |Δv| against the analytic solution
 * (lif_exact.csv, column 2) and against Norse's trace over the 1,000 steps, in units of
 * v_threshold = 0.1 (platforms that scale their membrane, Loihi's fixed point, snnTorch and
 * SpiNNaker2, are far off in these units: compare their spike steps).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../ir/engine/engine.js';
import { floatSemantics } from '../ir/engine/neuron-float.js';
import { FixedInterpreter } from '../ir/interp-fixed.js';
import { cTarget } from '../targets/c/index.js';
import { readNirFile } from '../src/frontend/nir/file.js';
import { toFixed } from '../src/pipeline.js';
import { ROOT } from './fixture-network.js';

const DIR = join(ROOT, 'test/fixtures/nir');
const rows = (f: string): number[][] =>
  readFileSync(join(DIR, f), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(',').map(Number));
const input = rows('lif_norse.csv').map((r) => r[0]);
const exact = rows('lif_exact.csv').map((r) => r[1]);
const norse = rows('lif_norse.csv').map((r) => r[1]);
const T = input.length;
const VTH = 0.1;
const worstAgainst = (ref: readonly number[], v: readonly number[]): number => Math.max(...v.map((x, t) => Math.abs(x - ref[t]))) / VTH;
const worst = (v: readonly number[]): [number, number] => [worstAgainst(exact, v), worstAgainst(norse, v)];

const table: [string, number[], [number, number]][] = [];
for (const f of readdirSync(DIR).filter((x) => x.endsWith('.csv')).sort()) {
  const r = rows(f);
  table.push([f.replace(/^lif_|\.csv$/g, ''), r.flatMap((x, t) => (x[2] !== 0 ? [t + 1] : [])), worst(r.map((x) => x[1]))]);
}

const g = await readNirFile(join(DIR, 'lif_norse.nir'), { steps: T });
const e = new Engine(g, floatSemantics);
const pop = e.populations[0];
const spikes: number[] = [];
const v: number[] = [];
e.begin();
for (let t = 1; t <= T; t++) {
  e.loadInput([input[t - 1]]);
  e.step(t);
  if (e.read(pop.id)[0] !== 0) spikes.push(t);
  v.push((pop.unit as unknown as { v: Float32Array }).v[0] * VTH);
}
table.push(['snnc float32', spikes, worst(v)]);

for (const bits of [8, 16]) {
  const fixed = toFixed(g, cTarget(), { inputScale: 1, weightBits: bits });
  const it = new FixedInterpreter(fixed);
  const popId = it.engine.populations[0].id;
  const theta = Number(fixed.nodes.find((n) => n.id === popId)!.attrs.threshold);
  const unit = it.engine.populations[0].unit as unknown as { v: Float64Array };
  const s: number[] = [];
  const vi: number[] = [];
  // the integer threshold is θ_q + 1 (fire = gt): one LSB of v is v_threshold / (θ_int − 1)
  it.run(input, 0, (t) => {
    if (it.engine.read(popId)[0] !== 0) s.push(t);
    vi.push((unit.v[0] * VTH) / (theta - 1));
  });
  table.push([`snnc int, ${bits}-bit weights`, s, worst(vi)]);
}

process.stdout.write(`${'platform'.padEnd(26)}${'spike steps'.padEnd(22)}${'max |v − v_exact| / v_th'.padEnd(26)}max |v − v_norse| / v_th\n`);
for (const [name, s, [we, wn]] of table) process.stdout.write(`${name.padEnd(26)}${s.join(' ').padEnd(22)}${we.toExponential(2).padEnd(26)}${wn.toExponential(2)}\n`);
