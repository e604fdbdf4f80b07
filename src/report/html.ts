/**
 * One self-contained HTML page per compiled folder: Vega-Lite charts rendered to SVG here, under
 * Node (no canvas, no browser, no network), inlined with the tables they summarise. Charts:
 * accuracy against T (per method, with the ANN), firing rate per layer, a spike raster of one
 * input, energy per layer and per kind, energy against T with the SNN/ANN ratio, and core
 * utilization on a core target. A chart whose data the folder lacks is replaced by a sentence
 * saying which option adds it.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { EnergyReport } from '../energy/energy-report.js';
import { overflowCounts } from '../../ir/interp-fixed.js';
import { describeEffect } from '../exec/saturation-effect.js';
import type { Raster } from './raster.js';

/** What `snnc eval --json` prints: one method, or several. */
export interface EvalJson {
  readonly ann: { readonly accuracy: number };
  readonly images: number;
  readonly method?: { readonly name: string };
  readonly snn?: { readonly T: number; readonly accuracy: number }[];
  readonly fixed?: { readonly T: number; readonly accuracy: number }[];
  readonly methods?: { readonly method: { readonly name: string }; readonly snn: { T: number; accuracy: number }[]; readonly fixed?: { T: number; accuracy: number }[] }[];
}

export interface UtilizationJson {
  readonly preset: string;
  readonly mesh: { readonly width: number; readonly height: number };
  readonly limits: { readonly neurons: number; readonly synapses: number; readonly fanIn: number };
  readonly meanHops: number;
  readonly cores: { readonly core: number; readonly x: number; readonly y: number; readonly neurons: number; readonly synapses: number; readonly fanIn: number; readonly units: string[] }[];
}

export interface ReportInput {
  readonly title: string;
  readonly target: string;
  readonly steps: number;
  readonly method: string;
  readonly energy?: EnergyReport;
  readonly annAccuracy?: number;
  readonly raster?: Raster;
  readonly evaluation?: EvalJson;
  readonly utilization?: UtilizationJson;
  /** Steps late a step-major network's output hears its input on a delay-1 target (compile's report.json; absent: none). */
  readonly arrivalDelay?: number;
}

export interface Chart {
  readonly id: string;
  readonly title: string;
  readonly svg?: string;
  /** Why there is no chart (the option that adds its data). */
  readonly missing?: string;
}

const WIDTH = 520;

async function render(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

function accuracyChart(r: ReportInput): TopLevelSpec | string {
  const rows: { T: number; accuracy: number; method: string }[] = [];
  const ev = r.evaluation;
  if (ev) {
    const methods = ev.methods ?? (ev.method && ev.snn ? [{ method: ev.method, snn: ev.snn, ...(ev.fixed ? { fixed: ev.fixed } : {}) }] : []);
    for (const m of methods) {
      for (const p of m.snn) rows.push({ T: p.T, accuracy: 100 * p.accuracy, method: `${m.method.name} (float)` });
      for (const p of m.fixed ?? []) rows.push({ T: p.T, accuracy: 100 * p.accuracy, method: `${m.method.name} (integer)` });
    }
  }
  for (const p of r.energy?.points ?? []) if (p.accuracy !== undefined) rows.push({ T: p.T, accuracy: 100 * p.accuracy, method: `compiled: ${r.method} (integer, ${r.target})` });
  if (rows.length === 0) return 'compile with --data and --labels (or pass --eval with the JSON of snnc eval) to see accuracy against T';
  const ann = ev?.ann.accuracy ?? r.annAccuracy;
  const line: TopLevelSpec = {
    width: WIDTH,
    height: 280,
    layer: [
      {
        data: { values: rows },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'T', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'time steps T' },
          y: { field: 'accuracy', type: 'quantitative', title: 'accuracy (%)', scale: { zero: false } },
          color: { field: 'method', type: 'nominal', legend: { orient: 'bottom', columns: 1, labelLimit: 0 } },
        },
      },
      ...(ann !== undefined
        ? [
            {
              data: { values: [{ ann: 100 * ann, label: `ANN ${(100 * ann).toFixed(2)} %` }] },
              layer: [
                { mark: { type: 'rule' as const, strokeDash: [4, 4], color: 'black' }, encoding: { y: { field: 'ann', type: 'quantitative' as const } } },
                { mark: { type: 'text' as const, align: 'left' as const, dx: 4, dy: -6, x: 0 }, encoding: { y: { field: 'ann', type: 'quantitative' as const }, text: { field: 'label', type: 'nominal' as const } } },
              ],
            },
          ]
        : []),
    ],
  };
  return line;
}

function firingChart(r: ReportInput): TopLevelSpec | string {
  const last = r.energy?.points.at(-1);
  if (!last) return 'compile with --data to see firing rates';
  return {
    width: WIDTH,
    height: { step: 18 },
    data: { values: last.firingRates.map((f, k) => ({ layer: `${k + 1}. ${f.id}`, rate: f.rate })) },
    mark: 'bar',
    encoding: {
      y: { field: 'layer', type: 'nominal', sort: null, title: null, axis: { labelLimit: 240 } },
      x: { field: 'rate', type: 'quantitative', title: `spikes per neuron per step (T=${last.T}, mean over ${r.energy!.images} inputs)` },
    },
  };
}

function rasterChart(r: ReportInput): TopLevelSpec | string {
  const ras = r.raster;
  if (!ras) return 'compile with --data to see a spike raster';
  const rows: { step: number; row: number; layer: string }[] = [];
  let base = 0;
  const ticks: number[] = [];
  for (const l of ras.layers) {
    for (const [t, row] of l.spikes) rows.push({ step: t, row: base + row, layer: l.id });
    ticks.push(base);
    base += l.shown.length + 4;
  }
  if (rows.length === 0) return `input ${ras.sample} made no spike in ${ras.steps} steps`;
  return {
    width: WIDTH,
    height: Math.min(900, Math.max(200, base * 1.5)),
    data: { values: rows },
    mark: { type: 'tick', orient: 'horizontal', thickness: 1.5 },
    encoding: {
      x: { field: 'step', type: 'quantitative', scale: { domain: [0.5, ras.steps + 0.5] }, title: `step (input ${ras.sample}; up to 64 neurons per layer, spread evenly)` },
      y: { field: 'row', type: 'quantitative', scale: { reverse: true, domain: [0, base] }, axis: { values: ticks, labels: false, ticks: true, grid: true }, title: 'neuron (layers top to bottom)' },
      color: { field: 'layer', type: 'nominal', sort: null, legend: { orient: 'bottom', columns: 2, labelLimit: 260 } },
    },
  };
}

function energyLayerChart(r: ReportInput): TopLevelSpec | string {
  const last = r.energy?.points.at(-1);
  if (!last?.snn.layers) return 'compile with --data to see energy per layer';
  const rows = last.snn.layers.flatMap((l, k) =>
    (['compute', 'memory', 'routing'] as const).map((kind) => ({ layer: `${k + 1}. ${l.id}`, kind, uj: l.joules[kind] * 1e6 })),
  );
  return {
    width: WIDTH,
    height: { step: 18 },
    data: { values: rows },
    mark: 'bar',
    encoding: {
      y: { field: 'layer', type: 'nominal', sort: null, title: null, axis: { labelLimit: 240 } },
      x: { field: 'uj', type: 'quantitative', stack: 'zero', title: `µJ per inference at T=${last.T} (${r.energy!.profile.name})` },
      color: { field: 'kind', type: 'nominal', scale: { domain: ['compute', 'memory', 'routing'] }, legend: { orient: 'bottom' } },
    },
  };
}

function energyTChart(r: ReportInput): TopLevelSpec | string {
  const e = r.energy;
  if (!e) return 'compile with --data to see energy against T';
  const rows = e.points.flatMap((p) => (['compute', 'memory', 'routing', 'static'] as const).map((kind) => ({ T: String(p.T), kind, uj: p.snn.joules[kind] * 1e6 })));
  const ratio = e.points.map((p) => ({ T: String(p.T), ratio: p.ratio.total, label: `${p.ratio.total.toFixed(2)}× ANN` }));
  return {
    width: WIDTH,
    height: 260,
    layer: [
      {
        data: { values: rows },
        mark: 'bar',
        encoding: {
          x: { field: 'T', type: 'ordinal', sort: null, title: 'time steps T' },
          y: { field: 'uj', type: 'quantitative', stack: 'zero', title: 'SNN µJ per inference' },
          color: { field: 'kind', type: 'nominal', scale: { domain: ['compute', 'memory', 'routing', 'static'] }, legend: { orient: 'bottom' } },
        },
      },
      {
        data: { values: [{ ann: e.ann.joules.total * 1e6, label: `ANN ${(e.ann.joules.total * 1e6).toFixed(3)} µJ (${e.annProfile.name})` }] },
        layer: [
          { mark: { type: 'rule', strokeDash: [4, 4], color: 'black' }, encoding: { y: { field: 'ann', type: 'quantitative' } } },
          { mark: { type: 'text', align: 'right', dx: -4, dy: -6, x: WIDTH }, encoding: { y: { field: 'ann', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } } },
        ],
      },
      {
        data: { values: ratio.map((x, k) => ({ ...x, top: e.points[k].snn.joules.total * 1e6 })) },
        mark: { type: 'text', dy: -8, fontSize: 10 },
        encoding: { x: { field: 'T', type: 'ordinal', sort: null }, y: { field: 'top', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
      },
    ],
  };
}

function utilizationChart(r: ReportInput): TopLevelSpec | string {
  const u = r.utilization;
  if (!u) return r.target.startsWith('core') ? 'utilization.json is missing from the folder' : 'compile for a core target (--target core:…) to see core utilization';
  const rows = u.cores.flatMap((c) => [
    { core: c.core, what: 'neurons', pct: (100 * c.neurons) / u.limits.neurons },
    { core: c.core, what: 'synapses', pct: (100 * c.synapses) / u.limits.synapses },
    { core: c.core, what: 'fan-in', pct: (100 * c.fanIn) / u.limits.fanIn },
  ]);
  return {
    width: WIDTH,
    height: 220,
    data: { values: rows },
    mark: 'bar',
    encoding: {
      x: { field: 'core', type: 'ordinal', title: `core (${u.cores.length} of ${u.mesh.width * u.mesh.height} on the ${u.preset} mesh; mean ${u.meanHops.toFixed(2)} hops per packet)` },
      xOffset: { field: 'what', type: 'nominal' },
      y: { field: 'pct', type: 'quantitative', title: '% of the per-core limit', scale: { domain: [0, 100] } },
      color: { field: 'what', type: 'nominal', legend: { orient: 'bottom' } },
    },
  };
}

export async function renderCharts(r: ReportInput): Promise<Chart[]> {
  const specs: [string, string, TopLevelSpec | string][] = [
    ['accuracy', 'Accuracy against time steps', accuracyChart(r)],
    ['firing', 'Firing rate per layer', firingChart(r)],
    ['raster', 'Spike raster of one input', rasterChart(r)],
    ['energy-layer', 'Energy per layer and per kind', energyLayerChart(r)],
    ['energy-t', 'Energy against time steps', energyTChart(r)],
    ['utilization', 'Core utilization', utilizationChart(r)],
  ];
  const out: Chart[] = [];
  for (const [id, title, spec] of specs) out.push(typeof spec === 'string' ? { id, title, missing: spec } : { id, title, svg: await render(spec) });
  return out;
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Where the integer network saturated or wrapped on the report's inputs (older report.json files do not say). */
function saturation(e: EnergyReport | undefined): string {
  if (!e?.overflow) return '';
  if (!e.overflow.length) return `<p>No value saturated or wrapped on these ${e.images} inputs.</p>`;
  const where = e.overflow.map((u) => `%${escape(u.id)}: ${overflowCounts(u)}`).join('; ');
  // older report.json files have no effect: say what a saturation can do instead
  const effect = e.saturationEffect === undefined ? 'A neuron that fires at every step loses nothing to it; elsewhere the integer network departs from the float one (docs/semantics.md)' : describeEffect(e.saturationEffect ?? undefined, e.runs);
  return `<p class="saturation"><b>Saturated or wrapped</b> on these ${e.images} inputs (counts over ${e.runs > 1 ? `${e.runs} runs` : 'the run'}): ${where}. ${escape(effect.charAt(0).toUpperCase() + effect.slice(1))}.</p>`;
}

/** On a delay-1 target, what the delays cost a step-major network (SNN0208). */
function delayNote(r: ReportInput): string {
  if (!r.arrivalDelay) return '';
  return `<p class="saturation"><b>Synaptic delay</b>: on ${escape(r.target)} a spike reaches the next layer one step after it fires, so this network's output hears its input ${r.arrivalDelay} steps late: of its T = ${r.steps} steps the readout sums ${Math.max(0, r.steps - r.arrivalDelay)} that carry signal. Its results are not the delay-free network's; a layer-major method (+tpp, +tpp-round) waits for its inputs (docs/core.md).</p>`;
}

function energyTable(e: EnergyReport): string {
  const uj = (j: number): string => (j * 1e6).toFixed(3);
  const head = ['T', 'accuracy %', 'spikes', 'SOPs', 'MACs', 'hops', 'compute µJ', 'memory µJ', 'routing µJ', 'static µJ', 'total µJ', 'SNN / ANN'];
  const rows = e.points.map((p) => [p.T, p.accuracy !== undefined ? (100 * p.accuracy).toFixed(2) : '–', p.snn.counts.spikes.toFixed(0), p.snn.counts.sops.toFixed(0), p.snn.counts.macs.toFixed(0), p.snn.counts.hops.toFixed(0), uj(p.snn.joules.compute), uj(p.snn.joules.memory), uj(p.snn.joules.routing), uj(p.snn.joules.static), uj(p.snn.joules.total), p.ratio.total.toFixed(3)]);
  const figures = Object.entries(e.profile.figures)
    .map(([k, f]) => `<tr><td>${escape(k)}</td><td>${f.value}</td><td>${escape(f.source)}</td></tr>`)
    .join('');
  return (
    `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((x) => `<td>${x}</td>`).join('')}</tr>`).join('')}</tbody></table>` +
    `<p>ANN: ${e.ann.macs.toFixed(0)} MACs, ${uj(e.ann.joules.total)} µJ per inference (${escape(e.annProfile.name)}).</p>` +
    `<p class="assumptions">${escape(e.assumptions)}</p>` +
    `<details><summary>Energy figures of ${escape(e.profile.name)} and their sources</summary><table><tbody>${figures}</tbody></table></details>`
  );
}

export async function reportHtml(r: ReportInput): Promise<string> {
  const charts = await renderCharts(r);
  const sections = charts
    .map((c) => `<section id="${c.id}"><h2>${escape(c.title)}</h2>${c.svg ? `<div class="chart">${c.svg}</div>` : `<p class="missing">${escape(c.missing!)}</p>`}</section>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(r.title)} — snnc report</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1180px; color: #222; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(560px, 1fr)); gap: 1.5em; }
section { border: 1px solid #ddd; border-radius: 6px; padding: 0.5em 1em 1em; }
h2 { font-size: 1.05em; } table { border-collapse: collapse; font-size: 12px; } td, th { padding: 2px 8px; text-align: right; border-bottom: 1px solid #eee; }
td:last-child { text-align: left; } .missing { color: #888; font-style: italic; } .assumptions { color: #444; font-size: 12.5px; }
.saturation { border-left: 4px solid #c80; padding-left: 0.6em; }
</style></head><body>
<h1>${escape(r.title)}</h1>
<p>Target <b>${escape(r.target)}</b>, T = ${r.steps}, ${escape(r.method)}.${r.energy ? ` Means over ${r.energy.images} inputs.` : ''}</p>
${saturation(r.energy)}
${delayNote(r)}
<main>
${sections}
</main>
${r.energy ? `<section id="energy-table"><h2>Energy and counts per inference</h2>${energyTable(r.energy)}</section>` : ''}
<footer><p>Written by snnc. Charts drawn with Vega-Lite; everything is inline, nothing is fetched.</p></footer>
</body></html>
`;
}
