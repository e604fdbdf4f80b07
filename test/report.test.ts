/**
 * `snnc energy`, `snnc compile --data` and `snnc report`: the energy JSON is consistent with
 * itself and with the counts; the HTML report opens in a real headless Chromium with every chart
 * drawn, nothing fetched, no console error, and a screenshot that is not blank.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer from 'puppeteer-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { snnc } from './helpers/cli.js';
import { chromiumPath } from './helpers/chromium.js';
import { CALIB_IMAGES, modelPath, TEST_IMAGES, TEST_LABELS } from './helpers/paths.js';

const DATA = ['--calib', CALIB_IMAGES, '--calib-limit', '64', '--input-scale', '1/255', '--data', TEST_IMAGES, '--labels', TEST_LABELS, '--limit', '24'];

describe('snnc energy', () => {
  it('reports counts and energy per T whose parts add up, and SNN/ANN ratios', () => {
    const r = snnc(['energy', modelPath('fmnist-cnn-bn'), ...DATA, '-T', '2,4,8', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.points.map((p: { T: number }) => p.T)).toEqual([2, 4, 8]);
    expect(j.overflow).toEqual([]); // nothing saturated, nothing said
    expect(j.saturationEffect).toEqual({ samples: 24, readouts: 0, classes: 0 });
    expect(j.profile.name).toBe('45nm-int8');
    for (const k of ['perMacJ', 'perSopJ', 'perNeuronUpdateJ', 'perWeightReadJ']) expect(j.profile.figures[k].source.length).toBeGreaterThan(10);
    let prev = 0;
    for (const p of j.points) {
      const e = p.snn.joules;
      expect(e.total).toBeCloseTo(e.compute + e.memory + e.routing + e.static, 15);
      const layers = p.snn.layers as { counts: { sops: number; spikes: number }; joules: { total: number } }[];
      expect(layers.reduce((a, l) => a + l.joules.total, 0)).toBeCloseTo(e.total, 15);
      expect(layers.reduce((a, l) => a + l.counts.sops, 0)).toBeCloseTo(p.snn.counts.sops, 6);
      expect(p.ratio.total).toBeCloseTo(e.total / j.ann.joules.total, 12);
      expect(p.snn.counts.sops).toBeGreaterThan(prev); // more steps, more work
      prev = p.snn.counts.sops;
      expect(p.accuracy).toBeGreaterThan(0.5);
    }
    // the analog first layer is MACs, the same at every T (it runs once per inference)
    expect(new Set(j.points.map((p: { snn: { counts: { macs: number } } }) => p.snn.counts.macs)).size).toBe(1);
    expect(j.points[0].snn.counts.macs).toBe(j.ann.layers[0].macs);
    // per step at the largest T: the steps' SOPs add up to that T's total
    const steps = j.perStep as { sops?: number[]; spikes?: number[] }[];
    expect(steps.every((l) => (l.sops ?? l.spikes)!.length === 8)).toBe(true);
    expect(steps.reduce((a, l) => a + (l.sops ?? []).reduce((x, y) => x + y, 0), 0)).toBeCloseTo(j.points[2].snn.counts.sops, 6);
  });

  it('on a core target prices the simulator: hops, static power over the simulated latency', () => {
    const r = snnc(['energy', modelPath('fmnist-mlp'), ...DATA, '-T', '4', '--target', 'core:generic', '--json']);
    // the mlp's first layer saturates where a neuron fires at every step anyway (docs/semantics.md): said, and nothing else
    // (the same network with registers too wide to saturate gives the same readouts)
    expect(r.stderr).toMatch(/^snnc: warning SNN0206: the integer network saturated or wrapped at run time on 24 samples: %v2_Relu \(membrane \d+\); the same network with registers too wide to saturate gives the same readout on all 24 samples: no result changed\n$/);
    const j = JSON.parse(r.stdout);
    expect(j.saturationEffect).toEqual({ samples: 24, readouts: 0, classes: 0 });
    const p = j.points[0];
    expect(j.profile.name).toBe('core:generic');
    expect(p.snn.counts.hops).toBeGreaterThan(0);
    expect(p.snn.latency.seconds).toBeGreaterThan(0);
    expect(p.snn.joules.static).toBeCloseTo(j.profile.figures.staticW.value * p.snn.latency.seconds, 15);
    expect(p.snn.joules.routing).toBeCloseTo(p.snn.counts.hops * j.profile.figures.perHopJ.value, 15);
    expect(p.snn.joules.memory).toBe(0);
  });

  it('reports run-time saturation (SNN0206 on stderr, counts per population in the JSON), summed over its runs', () => {
    // 14-bit weights: the TPP stem's 24-bit membrane saturates where a neuron's accumulated current
    // exceeds (T + 1)θ, a count clipped at T either way; a TPP network is compiled and run once per T
    const r = snnc(['energy', modelPath('fmnist-cnn-bn'), ...DATA, '-T', '4,8', '--method', 'chp99.9-subtract-half+tpp-round', '--weight-bits', '14', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning SNN0206: the integer network saturated or wrapped at run time in 2 runs of 24 samples \(one per T; counts summed\): %v2_Relu \(membrane \d+\)/);
    const j = JSON.parse(r.stdout);
    expect(j.runs).toBe(2);
    expect(j.saturationEffect).toEqual({ samples: 48, readouts: 0, classes: 0 });
    expect(j.overflow.find((u: { id: string }) => u.id === 'v2_Relu').v).toBeGreaterThan(0);
  });

  it('refuses T beyond a compiled folder, and a model without --calib', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'snnc-energy-')), 'out');
    expect(snnc(['compile', modelPath('fmnist-mlp'), '--calib', CALIB_IMAGES, '--calib-limit', '64', '--input-scale', '1/255', '-T', '4', '-o', out]).code).toBe(0);
    const beyond = snnc(['energy', out, '--data', TEST_IMAGES, '--input-scale', '1/255', '--limit', '4', '-T', '8']);
    expect(beyond.code).not.toBe(0);
    expect(beyond.stderr).toContain('compiled for T=4');
    const within = snnc(['energy', out, '--data', TEST_IMAGES, '--input-scale', '1/255', '--limit', '4', '-T', '2,4', '--json']);
    expect(within.code).toBe(0);
    expect(JSON.parse(within.stdout).points).toHaveLength(2);
    // a network calibrated for T = 4 (bias calibration depends on T) answers T = 4 only
    const calibrated = `${out}-calibrated`;
    expect(snnc(['compile', modelPath('fmnist-mlp'), '--calib', CALIB_IMAGES, '--calib-limit', '64', '--input-scale', '1/255', '-T', '4', '--calibration', 'light', '-o', calibrated]).code).toBe(0);
    const dependent = snnc(['energy', calibrated, '--data', TEST_IMAGES, '--input-scale', '1/255', '--limit', '4', '-T', '2']);
    expect(dependent.code).not.toBe(0);
    expect(dependent.stderr).toContain('depends on T');
    const noCalib = snnc(['energy', modelPath('fmnist-mlp'), '--data', TEST_IMAGES, '--input-scale', '1/255', '-T', '4']);
    expect(noCalib.code).not.toBe(0);
    expect(noCalib.stderr).toContain('--calib');
  });
});

describe('snnc report in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'snnc-report-'));
  const html = join(dir, 'report.html');
  beforeAll(() => {
    const out = join(dir, 'out');
    const c = snnc(['compile', modelPath('fmnist-mlp'), ...DATA, '-T', '8', '--target', 'core:generic', '-o', out]);
    expect(c.code).toBe(0); // (it may warn about headroom: SNN0204)
    const ev = snnc(['eval', modelPath('fmnist-mlp'), ...DATA, '-T', '1,2,4,8', '--methods', 'max-subtract,chp99.9-subtract-half', '--json']);
    expect(ev.code).toBe(0);
    writeFileSync(join(dir, 'eval.json'), ev.stdout);
    const r = snnc(['report', out, '-o', html, '--eval', join(dir, 'eval.json')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  }, 300_000);

  it('says where the integer network saturated on its inputs (the first layer of the mlp)', () => {
    expect(readFileSync(html, 'utf8')).toMatch(/<b>Saturated or wrapped<\/b> on these 24 inputs \(counts over the run\): %v2_Relu: membrane \d+\. The same network with registers too wide to saturate gives the same readout on all 24 samples: no result changed\./);
  });

  it('is self-contained: no script, no external reference', () => {
    const text = readFileSync(html, 'utf8');
    expect(text).not.toMatch(/<script|<link|<img|src=|@import/i);
    expect(text).not.toMatch(/https?:\/\/(?!www\.w3\.org\/)/);
  });

  it('renders every chart, fetches nothing, logs no error, and is not blank', async () => {
    const browser = await puppeteer.launch({ executablePath: chromiumPath(), args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warn') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.setRequestInterception(true);
      page.on('request', (req) => {
        if (!req.url().startsWith('file://')) requests.push(req.url());
        void req.continue();
      });
      await page.setViewport({ width: 1200, height: 900 });
      await page.goto(`file://${html}`, { waitUntil: 'load' });
      // page scripts as text: the test is compiled without the DOM's types
      const charts = (await page.evaluate(`[...document.querySelectorAll('section')].map((s) => {
        const svg = s.querySelector('svg');
        const box = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
        return { id: s.id, marks: svg ? svg.querySelectorAll('path, rect, line, circle, text').length : 0, w: box.width, h: box.height, missing: s.querySelector('.missing') ? s.querySelector('.missing').textContent : null };
      })`)) as { id: string; marks: number; w: number; h: number; missing: string | null }[];
      const drawn = charts.filter((c) => c.id !== 'energy-table');
      expect(drawn.map((c) => c.id)).toEqual(['accuracy', 'firing', 'raster', 'energy-layer', 'energy-t', 'utilization']);
      for (const c of drawn) {
        expect(c.missing, c.id).toBeNull();
        expect(c.marks, c.id).toBeGreaterThan(10);
        expect(c.w, c.id).toBeGreaterThan(200);
        expect(c.h, c.id).toBeGreaterThan(40);
      }
      const shot = (await page.screenshot({ fullPage: true, encoding: 'base64' })) as string;
      // decode the screenshot in a second page and count the pixels that are not background
      const check = await browser.newPage();
      await check.setContent('<canvas></canvas>');
      const inked = (await check.evaluate(`(async () => {
        const img = new Image();
        img.src = 'data:image/png;base64,${shot}';
        await img.decode();
        const c = document.querySelector('canvas');
        c.width = img.width;
        c.height = img.height;
        const ctx = c.getContext('2d');
        ctx.drawImage(img, 0, 0);
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) if (d[i] < 230 || d[i + 1] < 230 || d[i + 2] < 230) n++;
        return { n, total: d.length / 4 };
      })()`)) as { n: number; total: number };
      expect(inked.n / inked.total).toBeGreaterThan(0.02);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
