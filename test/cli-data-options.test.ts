/**
 * One meaning per option: --input-scale maps uint8 pixels to the model's input; --input-step is
 * the real value of one step of the integer input. Float data are never scaled again, ambiguous
 * combinations are refused with what to pass, and data sets whose ranges differ are flagged.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeNpy } from '../src/data/npy.js';
import { readNpy } from '../src/data/npy.js';
import { snnc } from './helpers/cli.js';
import { CALIB_IMAGES, modelPath, TEST_IMAGES, TEST_LABELS } from './helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'snnc-options-'));
const floatCalib = join(tmp, 'calib-f32.npy');
const floatTest = join(tmp, 'test-f32.npy');
const rawFloatTest = join(tmp, 'test-f32-0-255.npy');

function asFloat(src: string, dst: string, n: number, scale: number): void {
  const a = readNpy(src);
  const per = a.shape.slice(1).reduce((x, y) => x * y, 1);
  writeFileSync(dst, encodeNpy([n, ...a.shape.slice(1)], Float32Array.from(a.data.subarray(0, n * per), (v) => v * scale)));
}

describe('data options', () => {
  beforeAll(() => {
    asFloat(CALIB_IMAGES, floatCalib, 256, 1 / 255);
    asFloat(TEST_IMAGES, floatTest, 200, 1 / 255);
    asFloat(TEST_IMAGES, rawFloatTest, 200, 1);
  });

  it('float data with --input-scale are refused (they would be scaled twice), naming --input-step; nothing is written', () => {
    const out = join(tmp, 'twice');
    const r = snnc(['compile', modelPath('fmnist-mlp'), '--calib', floatCalib, '--input-scale', '1/255', '-T', '8', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SNN0407: .*calib-f32.npy holds float values, which are the model's input as they are; --input-scale maps uint8 pixels only .*--input-step/);
    expect(existsSync(out)).toBe(false);
  });

  it('float calibration data without --input-step: refused, saying what to pass', () => {
    const r = snnc(['compile', modelPath('fmnist-mlp'), '--calib', floatCalib, '-T', '8', '-o', join(tmp, 'nostep')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/SNN0407: .*pass --input-step, the real value of one step of the integer input/);
  });

  it('float data with --input-step compile to the same network as uint8 data with --input-scale, and verify bit-exact', () => {
    const a = join(tmp, 'from-float');
    const b = join(tmp, 'from-u8');
    const cf = snnc(['compile', modelPath('fmnist-mlp'), '--calib', floatCalib, '--input-step', '1/255', '-T', '8', '-o', a, '--json']);
    expect(cf.stderr).not.toMatch(/error/);
    expect(cf.code).toBe(0);
    const cu = snnc(['compile', modelPath('fmnist-mlp'), '--calib', CALIB_IMAGES, '--calib-limit', '256', '--input-scale', '1/255', '-T', '8', '-o', b, '--json']);
    expect(cu.code).toBe(0);
    expect(JSON.parse(cf.stdout).layers).toEqual(JSON.parse(cu.stdout).layers);
    const v = snnc(['verify', a, '--data', floatTest, '--labels', TEST_LABELS, '-n', '100', '--json']);
    // the first layer's most driven neurons saturate their membrane (SNN0206; compile warned SNN0204)
    expect(v.stderr).not.toMatch(/error/);
    // ... harmlessly: those neurons fire at every step either way, so no readout changes
    expect(v.stderr).toMatch(/SNN0206: [^\n]*gives the same readout on all 100 samples: no result changed\n$/);
    expect(v.code).toBe(0);
    const j = JSON.parse(v.stdout);
    expect(j.bitExact).toBe(true);
    expect(j.accuracy.fixed).toBeGreaterThan(0.8);
    // the same integers as the uint8 path: same accuracy, same saturation counts
    const u = snnc(['verify', b, '--data', TEST_IMAGES, '--input-scale', '1/255', '--labels', TEST_LABELS, '-n', '100', '--json']);
    expect(u.stderr).toBe(v.stderr);
    const vu = JSON.parse(u.stdout);
    expect(j.accuracy).toEqual(vu.accuracy);
    expect(j.overflow).toEqual(vu.overflow);
  });

  it('verify warns when its data have another range than the calibration data', () => {
    const v = snnc(['verify', join(tmp, 'from-float'), '--data', rawFloatTest, '-n', '1', '--json']);
    // 0..255 floats do not fit the u8 input at step 1/255 (they would be 255x too large): refused ...
    expect(v.code).toBe(5);
    // ... after the warning that names both ranges
    expect(v.stderr).toMatch(/warning SNN0410: .*the calibration data spans \[0, 1\] but .*test-f32-0-255.npy spans \[0, 255\]/);
  });

  it('eval warns when calibration and test data have clearly different ranges', () => {
    const r = snnc(['eval', modelPath('fmnist-mlp'), '--calib', CALIB_IMAGES, '--calib-limit', '64', '--input-scale', '1/255', '--data', TEST_IMAGES, '--labels', TEST_LABELS, '--limit', '50', '-T', '4', '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/SNN0410/);
    const w = snnc(['eval', modelPath('fmnist-mlp'), '--calib', floatCalib, '--data', rawFloatTest, '--labels', TEST_LABELS, '--limit', '50', '-T', '4', '--json']);
    expect(w.code).toBe(0);
    expect(w.stderr).toMatch(/warning SNN0410: .*spans \[0, 1\] but .*spans \[0, 255\]/);
  });
});
