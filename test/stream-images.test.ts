/**
 * Data read a chunk at a time (streamImages): the same samples, checks and statistics as the
 * whole-file reader, and calibration through lazily made chunks on the worker pool.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadImages, streamImages, type InputSpec } from '../src/data/dataset.js';
import { encodeNpy } from '../src/data/npy.js';
import { concatChunks } from '../src/exec/run-ann.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { computeThresholds } from '../src/passes/balance-thresholds.js';
import { collectActivations } from '../src/passes/calibrate.js';
import { calibrationBatch } from '../src/passes/layer-runs.js';
import { prepareAnn } from '../src/pipeline.js';
import { CALIB_IMAGES, modelPath } from './helpers/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'snnc-stream-'));

/** All samples of a stream, read in ranges of the given sizes (cycled). */
function readAll(s: { count: number; read(from: number, n: number): Float32Array }, sizes: number[]): Float32Array[] {
  const parts: Float32Array[] = [];
  for (let at = 0, k = 0; at < s.count; k++) {
    const n = Math.min(sizes[k % sizes.length], s.count - at);
    parts.push(s.read(at, n));
    at += n;
  }
  return parts;
}

describe('streamImages', () => {
  const mnist: InputSpec = { shape: [-1, 1, 28, 28] };

  it('reads the samples loadImages reads, in any ranges (uint8, scaled)', () => {
    const whole = loadImages(CALIB_IMAGES, mnist, 1 / 255, 100);
    const s = streamImages(CALIB_IMAGES, mnist, 1 / 255, 100);
    expect(s.count).toBe(100);
    expect(s.scale).toBe(1 / 255);
    expect(concatChunks(readAll(s, [1, 7, 33]), Float32Array)).toEqual(whole.data);
    s.close();
  });

  it('an NHWC float file is transposed to the graph layout as loadImages does', () => {
    const nhwc = Float32Array.from({ length: 5 * 4 * 3 * 2 }, (_, i) => i * 0.25 - 3);
    const path = join(dir, 'nhwc.npy');
    writeFileSync(path, encodeNpy([5, 4, 3, 2], nhwc));
    const spec: InputSpec = { shape: [-1, 2, 4, 3], perm: [0, 3, 1, 2] };
    const s = streamImages(path, spec, undefined);
    expect(concatChunks(readAll(s, [2, 1]), Float32Array)).toEqual(loadImages(path, spec, undefined).data);
    s.close();
  });

  it('refuses what loadImages refuses, with the same codes; a bad value names its sample', () => {
    const good = encodeNpy([3, 1, 28, 28], new Float32Array(3 * 784));
    const truncated = join(dir, 'truncated.npy');
    writeFileSync(truncated, good.subarray(0, good.length - 10));
    expect(() => streamImages(truncated, mnist, undefined)).toThrow(/truncated data/);
    const notNpy = join(dir, 'not.npy');
    writeFileSync(notNpy, 'hello, world');
    expect(() => streamImages(notNpy, mnist, undefined)).toThrow(/not a \.npy file/);
    const shortHeader = join(dir, 'short-header.npy');
    writeFileSync(shortHeader, good.subarray(0, 40));
    expect(() => streamImages(shortHeader, mnist, undefined)).toThrow(/truncated \.npy header/);
    expect(() => streamImages(join(dir, 'missing.npy'), mnist, undefined)).toThrow(/cannot read/);
    const wrong = join(dir, 'wrong.npy');
    writeFileSync(wrong, encodeNpy([3, 1, 27, 28], new Float32Array(3 * 27 * 28)));
    expect(() => streamImages(wrong, mnist, undefined)).toThrow(/expects \[count,1,28,28\]/);
    const nan = new Float32Array(3 * 784);
    nan[2 * 784 + 5] = Number.NaN;
    const bad = join(dir, 'nan.npy');
    writeFileSync(bad, encodeNpy([3, 1, 28, 28], nan));
    const s = streamImages(bad, mnist, undefined);
    expect(() => s.read(0, 2)).not.toThrow();
    expect(() => s.read(2, 1)).toThrow(/sample 2\b/);
    s.close();
  });

  it('calibration on a stream gives the thresholds of calibration on the loaded images (2 threads)', async () => {
    const g = prepareAnn(importOnnxFile(modelPath('fmnist-cnn-bn')));
    const whole = await collectActivations(g, loadImages(CALIB_IMAGES, mnist, 1 / 255, 150), 2);
    const s = streamImages(CALIB_IMAGES, mnist, 1 / 255, 150);
    const streamed = await collectActivations(g, s, 2);
    s.close();
    for (const rule of [{ kind: 'max' }, { kind: 'channel-percentile', p: 99.9 }] as const) {
      const a = computeThresholds(whole, rule, 8);
      const b = computeThresholds(streamed, rule, 8);
      for (const [id, t] of a) expect(Array.from(b.get(id)!)).toEqual(Array.from(t));
    }
  });

  it('calibration batches (SNN Calibration, FTBC) read from a stream are the in-memory batches, wrapping included', () => {
    const whole = loadImages(CALIB_IMAGES, mnist, 1 / 255, 100);
    const s = streamImages(CALIB_IMAGES, mnist, 1 / 255, 100);
    for (const [k, B] of [[0, 70], [1, 70], [2, 70], [0, 100], [3, 150]]) expect(calibrationBatch(s, k, B)).toEqual(calibrationBatch(whole, k, B));
    s.close();
  });
});
