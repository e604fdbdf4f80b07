/** `snnc eval` and `snnc convert` through the built CLI: JSON shape and bad calibration / data input. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeNpy } from '../src/data/npy.js';
import { snnc } from './helpers/cli.js';
import { CALIB_IMAGES, modelPath, TEST_IMAGES, TEST_LABELS } from './helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'snnc-eval-'));
const model = modelPath('fmnist-cnn-bn');
const npy = (name: string, shape: number[], data: Float32Array | Uint8Array): string => {
  const p = join(tmp, name);
  writeFileSync(p, encodeNpy(shape, data));
  return p;
};

describe('snnc eval', () => {
  it('prints ANN and SNN accuracy per T with per-layer spike rates', () => {
    const r = snnc(['eval', model, '--calib', CALIB_IMAGES, '--calib-limit', '128', '--data', TEST_IMAGES, '--labels', TEST_LABELS, '--input-scale', '1/255', '--limit', '200', '-T', '1,16', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ann.accuracy).toBeGreaterThan(0.85);
    expect(j.snn.map((p: { T: number }) => p.T)).toEqual([1, 16]);
    for (const p of j.snn) {
      expect(p.accuracy).toBeGreaterThan(0.1);
      expect(p.spikeRate).toHaveLength(3);
      for (const s of p.spikeRate) expect(s).toBeGreaterThan(0);
    }
    expect(j.snn[1].accuracy).toBeGreaterThan(j.snn[0].accuracy);
  });

  it('--methods compares presets and --markdown writes a table', () => {
    const md = join(tmp, 'table.md');
    const r = snnc(['eval', model, '--calib', CALIB_IMAGES, '--calib-limit', '64', '--data', TEST_IMAGES, '--labels', TEST_LABELS, '--input-scale', '1/255', '--limit', '64', '-T', '2,8', '--methods', 'max-zero,max-subtract-shift', '--markdown', md, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).methods.map((m: { method: { name: string } }) => m.method.name)).toEqual(['max-zero', 'max-subtract-shift']);
    const text = readFileSync(md, 'utf8');
    expect(text).toMatch(/\| max-zero \|/);
    expect(text).toMatch(/T=2 \| T=8/);
  });

  it('--maxpool and --readout apply to every named method', () => {
    const md = join(tmp, 'avg.md');
    const r = snnc(['eval', model, '--calib', CALIB_IMAGES, '--calib-limit', '32', '--data', TEST_IMAGES, '--labels', TEST_LABELS, '--input-scale', '1/255', '--limit', '16', '-T', '2', '--methods', 'max-zero,max-subtract', '--maxpool', 'avg', '--readout', 'count', '--markdown', md, '--json']);
    expect(r.code).toBe(0);
    for (const m of JSON.parse(r.stdout).methods) expect(m.method.description).toContain('readout=count, maxpool=avg');
    expect(readFileSync(md, 'utf8').match(/readout=count, maxpool=avg/g)).toHaveLength(2);
  });

  it('on a QCFS network every method says that its QCFS activations take θ = λ, and only there; --qcfs-threshold rule reaches every named method', () => {
    const describe = (name: string, extra: string[] = []) => {
      const r = snnc(['eval', modelPath(name), '--calib', CALIB_IMAGES, '--calib-limit', '16', '--data', TEST_IMAGES, '--labels', TEST_LABELS, '--input-scale', '1/255', '--limit', '8', '-T', '2', '--methods', 'qcfs,chmmse-subtract-shift', '--json', ...extra]);
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout).methods.map((m: { method: { description: string } }) => m.method.description);
    };
    expect(describe('fmnist-qcfs')).toEqual([expect.stringMatching(/^θ=p99\.9 \(QCFS activations: λ, v0=0\.5θ\), /), expect.stringMatching(/^θ=channel MMSE \(QCFS activations: λ, v0=0\.5θ\), /)]);
    for (const d of describe('fmnist-mlp')) expect(d).not.toContain('QCFS');
    for (const d of describe('fmnist-qcfs', ['--qcfs-threshold', 'rule'])) expect(d).toMatch(/^θ=[^(]+ \(QCFS activations: this rule, λ unused\), /);
  });

  const run = (o: { calib?: string; labels?: string; T?: string; extra?: string[] }): string[] => [
    'eval', model, '--calib', o.calib ?? CALIB_IMAGES, '--calib-limit', '32', '--data', TEST_IMAGES, '--labels', o.labels ?? TEST_LABELS,
    '--input-scale', '1/255', '--limit', '16', '-T', o.T ?? '2', ...(o.extra ?? []),
  ];
  const bad: [string, () => string[], string, number][] = [
    ['calibration of the wrong shape', () => run({ calib: npy('c1.npy', [8, 1, 28, 27], new Float32Array(8 * 28 * 27)) }), 'SNN0403', 5],
    ['calibration with NaN', () => run({ calib: npy('c2.npy', [2, 1, 28, 28], new Float32Array(2 * 784).fill(NaN)) }), 'SNN0405', 5],
    ['empty calibration', () => run({ calib: npy('c3.npy', [0, 1, 28, 28], new Float32Array(0)) }), 'SNN0406', 5],
    ['labels that do not match the images', () => run({ labels: npy('l.npy', [3], Uint8Array.of(1, 2, 3)) }), 'SNN0404', 5],
    ['a bad T list', () => run({ T: '4,x' }), 'SNN0407', 2],
    ['an unknown preset', () => run({ extra: ['--methods', 'magic'] }), 'SNN0407', 2],
    // a named method is whole: an option that would change it is refused, not ignored
    ['--methods with --ftbc', () => run({ extra: ['--methods', 'chp99.9-subtract-half', '--ftbc'] }), 'SNN0407', 2],
    ['--methods with --threshold', () => run({ extra: ['--methods', 'max-zero,qcfs', '--threshold', 'max'] }), 'SNN0407', 2],
    ['an FTBC setting without --ftbc', () => run({ extra: ['--ftbc-update', 'step'] }), 'SNN0407', 2],
  ];
  for (const [what, args, code, exit] of bad) {
    it(`${what}: ${code}, exit ${exit}`, () => {
      const r = snnc(args());
      expect(r.code).toBe(exit);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(code);
    });
  }
});

describe('snnc eval --target: saturation at run time', () => {
  const run = (bits: string, T = '8') => snnc(['eval', model, '--calib', CALIB_IMAGES, '--calib-limit', '64', '--data', TEST_IMAGES, '--labels', TEST_LABELS, '--input-scale', '1/255', '--limit', '20', '-T', T, '--methods', 'chp99.9-subtract-half+tpp-round', '--target', 'c', '--weight-bits', bits, '--json']);

  it('is reported (SNN0206 on stderr, counts per population in the JSON), not left silent', () => {
    // 14-bit weights: the TPP stem's 24-bit membrane saturates where a neuron's accumulated current
    // exceeds (T + 1)θ — a count clipped at T either way (quantize keeps (T + 1)θ inside it)
    const r = run('14', '4,8');
    expect(r.code).toBe(0);
    // a TPP network is run once per T: the counts are those of both runs
    expect(r.stderr).toMatch(/warning SNN0206: chp99\.9-subtract-half\+tpp-round: the integer network saturated or wrapped at run time in 2 runs of 20 samples \(one per T; counts summed\): %v2_Relu \(membrane \d+\)/);
    // and what it changed, over the 40 sample runs: nothing, against the same network with registers too wide to saturate
    expect(r.stderr).toMatch(/the same network with registers too wide to saturate gives the same readout on all 40 sample runs \(2 runs\): no result changed\n$/);
    const j = JSON.parse(r.stdout);
    const over = j.overflow as { id: string; acc: number; v: number }[];
    expect(over.find((u) => u.id === 'v2_Relu')!.v).toBeGreaterThan(0);
    expect(j.saturationEffect).toEqual({ samples: 40, readouts: 0, classes: 0 });
  });

  it('an integer network that never narrows says nothing and reports none', () => {
    const r = run('8');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toMatchObject({ overflow: [], saturationEffect: { samples: 20, readouts: 0, classes: 0 } });
  });
});

describe('snnc convert', () => {
  it('writes a verified snn-float graph and nothing on error', () => {
    const out = join(tmp, 'cnn.snnir');
    const r = snnc(['convert', model, '--calib', CALIB_IMAGES, '--calib-limit', '64', '--input-scale', '1/255', '-T', '16', '-o', out]);
    expect(r.code).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(/stage=snn-float steps=16/);
    expect(text).toMatch(/= if\(/);
    expect(snnc(['inspect', out, '--json']).code).toBe(0);
    const bad = join(tmp, 'bad.snnir');
    const e = snnc(['convert', model, '--calib', npy('c4.npy', [1, 1, 28, 28], new Float32Array(784).fill(NaN)), '-T', '16', '-o', bad]);
    expect(e.code).toBe(5);
    expect(existsSync(bad)).toBe(false);
  });
});
