/** `snnc compile` and `snnc verify` through the built CLI. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { snnc } from './helpers/cli.js';
import { CALIB_IMAGES, modelPath, ROOT, TEST_IMAGES, TEST_LABELS } from './helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'snnc-compile-'));
const out = join(tmp, 'cnn');

describe('snnc compile / verify', () => {
  let compiled: { code: number; stdout: string; stderr: string };
  beforeAll(() => {
    compiled = snnc(['compile', modelPath('fmnist-cnn-bn'), '--calib', CALIB_IMAGES, '--calib-limit', '256', '--input-scale', '1/255', '-T', '16', '-o', out, '--json']);
  });

  it('writes C sources, the IR (integer and float) and a report', () => {
    expect(compiled.stderr).toBe('');
    expect(compiled.code).toBe(0);
    const j = JSON.parse(compiled.stdout);
    expect(j.layers.length).toBe(4);
    for (const f of ['model.c', 'model.h', 'models.c', 'snnc_fixed.h', 'snnc_model.h', 'snnc_host.c', 'Makefile', 'model.snnir', 'model.snnir.bin', 'model.float.snnir', 'report.json', 'report.txt']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    expect(readFileSync(join(out, 'report.txt'), 'utf8')).toMatch(/w err %/);
    expect(readFileSync(join(out, 'model.c'), 'utf8')).not.toMatch(/float|double/);
  });

  it('verify: bit-exact, with integer and float accuracy, and no scratch build left behind', () => {
    const scratch = mkdtempSync(join(tmpdir(), 'snnc-verify-scratch-'));
    const r = snnc(['verify', out, '--data', TEST_IMAGES, '--labels', TEST_LABELS, '--input-scale', '1/255', '-n', '40', '--json'], { env: { TMPDIR: scratch } });
    expect(r.code).toBe(0);
    expect(readdirSync(scratch)).toEqual([]);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ bitExact: true, samples: 40, mismatches: 0 });
    expect(j.accuracy.fixed).toBeGreaterThan(0.7);
    expect(j.accuracy.float).toBeGreaterThan(0.7);
  });

  it('verify: a tampered build is caught, exit 7, with the first differing neuron', () => {
    const bad = join(tmp, 'bad');
    cpSync(out, bad, { recursive: true });
    const c = readFileSync(join(bad, 'model.c'), 'utf8');
    const at = c.indexOf('static const int32_t model_th');
    const start = c.indexOf('{', at) + 1;
    const first = /-?\d+/.exec(c.slice(start))!;
    writeFileSync(join(bad, 'model.c'), c.slice(0, start) + c.slice(start).replace(first[0], String(Number(first[0]) + 1000)));
    const scratch = mkdtempSync(join(tmpdir(), 'snnc-verify-scratch-'));
    const r = snnc(['verify', bad, '--data', TEST_IMAGES, '--input-scale', '1/255', '-n', '5', '--json'], { env: { TMPDIR: scratch } });
    expect(r.code).toBe(7);
    expect(readdirSync(scratch)).toEqual([]);
    const j = JSON.parse(r.stdout);
    expect(j.bitExact).toBe(false);
    expect(j.mismatches).toBeGreaterThan(0);
    expect(j.firstMismatch).toMatchObject({ sample: expect.any(Number), step: expect.any(Number), population: expect.any(String), neuron: expect.any(Number) });
    expect(j.firstMismatch.c).not.toBe(j.firstMismatch.interpreter);
  });

  it('--weight-rounding gptq --neuron-rounding running: named in the report, bit-exact on every executor (C, core simulator)', () => {
    const g = join(tmp, 'gptq');
    const r = snnc(['compile', modelPath('fmnist-cnn-bn'), '--calib', CALIB_IMAGES, '--calib-limit', '64', '--input-scale', '1/255', '-T', '16', '-o', g, '--weight-rounding', 'gptq', '--neuron-rounding', 'running', '--shift', '--target', 'core', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(join(g, 'report.json'), 'utf8'))).toMatchObject({ weightRounding: 'gptq', neuronRounding: 'running' });
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'))).toMatchObject({ weightRounding: 'nearest', neuronRounding: 'step' });
    // the running sums of bias and shift make a per-step table of every population: T = 16 rows
    const tables = (dir: string): string[] => [...readFileSync(join(dir, 'model.snnir'), 'utf8').matchAll(/^const @v\d+_Relu\.bias : i\d+\[(\d+),/gm)].map((m) => m[1]);
    expect(tables(g)).toEqual(['16', '16', '16']);
    const v = snnc(['verify', g, '--data', TEST_IMAGES, '--input-scale', '1/255', '-n', '8', '--json']);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ bitExact: true, mismatches: 0 });
  });

  it('simulate and verify report run-time saturation (SNN0206), each executor counting it alike; none when there is none', () => {
    // 14-bit weights: the TPP stem's 24-bit membrane saturates where a neuron's accumulated current
    // exceeds (T + 1)θ — a count clipped at T either way (quantize keeps (T + 1)θ inside it)
    const sat = join(tmp, 'saturating');
    const c = snnc(['compile', modelPath('fmnist-cnn-bn'), '--calib', CALIB_IMAGES, '--calib-limit', '64', '--input-scale', '1/255', '-T', '8', '--method', 'chp99.9-subtract-half+tpp-round', '--weight-bits', '14', '--target', 'core', '-o', sat]);
    expect(c.code).toBe(0);
    const runs = (['interp', 'core', 'c'] as const).map((executor) => {
      const r = snnc(['simulate', sat, '--executor', executor, '--data', TEST_IMAGES, '--input-scale', '1/255', '-n', '6', '--json']);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/warning SNN0206: the (interpreter|core simulator|C) saturated or wrapped at run time on 6 samples: %v2_Relu \(membrane \d+\); the same network with registers too wide to saturate gives the same readout on all 6 samples: no result changed\n$/);
      const j = JSON.parse(r.stdout);
      return { overflow: j.overflow as { id: string; acc: number; v: number }[], effect: j.saturationEffect };
    });
    expect(runs[0].overflow.find((u) => u.id === 'v2_Relu')!.v).toBeGreaterThan(0);
    expect(runs[0].effect).toEqual({ samples: 6, readouts: 0, classes: 0 });
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[2]).toEqual(runs[0]);
    const v = snnc(['verify', sat, '--data', TEST_IMAGES, '--input-scale', '1/255', '-n', '6', '--json']);
    expect(v.code).toBe(0);
    expect(v.stderr).toMatch(/warning SNN0206: the integer network saturated or wrapped at run time on 6 samples: %v2_Relu \(membrane \d+\)/);
    expect(JSON.parse(v.stdout)).toMatchObject({ bitExact: true, saturationEffect: runs[0].effect });
    const clean = snnc(['simulate', out, '--executor', 'c', '--data', TEST_IMAGES, '--input-scale', '1/255', '-n', '6', '--json']);
    expect(clean.code).toBe(0);
    expect(clean.stderr).toBe('');
    expect(JSON.parse(clean.stdout)).toMatchObject({ overflow: [], saturationEffect: { samples: 6, readouts: 0, classes: 0 } });
  });

  it('--weight-rounding gptq without calibration data (a spiking model from NIR) is refused, nothing written', () => {
    const none = join(tmp, 'nir-gptq');
    const r = snnc(['compile', join(ROOT, 'test/fixtures/nir/lif_norse.nir'), '-T', '8', '-o', none, '--weight-rounding', 'gptq']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/SNN0504.*calibration data/);
    expect(existsSync(none)).toBe(false);
  });

  it('bad options fail cleanly and write nothing', () => {
    const none = join(tmp, 'none');
    const r = snnc(['compile', modelPath('fmnist-cnn-bn'), '--calib', CALIB_IMAGES, '--input-scale', '1/255', '-T', '16', '-o', none, '--weight-bits', '20']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SNN0201');
    expect(existsSync(none)).toBe(false);
    const m = snnc(['verify', join(tmp, 'missing'), '--data', TEST_IMAGES, '--input-scale', '1/255']);
    expect(m.code).toBe(8);
  });

  it('--method takes one named composition, its name and steps in the report; two are refused', () => {
    const dir = join(tmp, 'mlp-tpp');
    const r = snnc(['compile', modelPath('fmnist-mlp'), '--calib', CALIB_IMAGES, '--calib-limit', '64', '--input-scale', '1/255', '-T', '4', '--method', 'chp99.9-subtract-half+tpp', '-o', dir]);
    // a TPP membrane sums a whole window: the worst-case headroom warning (SNN0204) is expected here
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(report.method.name).toBe('chp99.9-subtract-half+tpp');
    expect(report.method.description).toMatch(/TPP neurons \(rule A/);
    expect(report.latencySteps).toBe(12); // two populations and the readout: (2 + 1) windows of T
    expect(readFileSync(join(dir, 'model.float.snnir'), 'utf8')).toMatch(/meta "passes" = ".*,convert,tpp"/);
    const two = snnc(['compile', modelPath('fmnist-mlp'), '--calib', CALIB_IMAGES, '--input-scale', '1/255', '-T', '4', '--method', 'qcfs,qcfs+ftbc', '-o', join(tmp, 'two')]);
    expect(two.code).not.toBe(0);
    expect(two.stderr).toMatch(/SNN0407: --method takes one method, found 2/);
    expect(existsSync(join(tmp, 'two'))).toBe(false);
    const clash = snnc(['compile', modelPath('fmnist-mlp'), '--calib', CALIB_IMAGES, '--input-scale', '1/255', '-T', '4', '--method', 'qcfs', '--ftbc', '--reset', 'zero', '-o', join(tmp, 'clash')]);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toMatch(/SNN0407: --method qcfs names the whole method; drop --reset, --ftbc/);
    expect(existsSync(join(tmp, 'clash'))).toBe(false);
  });

  it('float data outside the integer input range is an error, not clipped', () => {
    const big = join(tmp, 'big.npy');
    const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 28, 28), }`.padEnd(117) + '\n';
    writeFileSync(big, Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 118, 0]), Buffer.from(header, 'latin1'), Buffer.from(new Float32Array(784).fill(2).buffer)]));
    const r = snnc(['verify', out, '--data', big, '-n', '1']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain('SNN0409');
  });
});
