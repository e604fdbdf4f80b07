/** `snnc compile` and `snnc verify` through the built CLI. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { snnc } from './helpers/cli.js';
import { CALIB_IMAGES, modelPath, TEST_IMAGES, TEST_LABELS } from './helpers/paths.js';

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
