/**
 * A seeded slice of the fuzzing campaign (bench/fuzz.ts runs the long one): mutated ONNX models,
 * generated and mutated IR text, and forged .npy headers are either accepted or refused with a
 * coded error — never an internal error. Inputs the campaign found are kept as regressions.
 */
import { describe, expect, it } from 'vitest';
import { makeTargets, outcome } from '../bench/fuzz/targets.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeNpy } from '../src/data/npy.js';
import { decodeModel, onnx } from '../src/frontend/onnx/decode.js';
import { importModel } from '../src/frontend/onnx/import.js';
import { ONNX_FIXTURES } from './helpers/paths.js';

const SEED = 7;
const PER_TARGET = 1500;

describe('fuzz slice', () => {
  const targets = makeTargets();
  for (const t of targets) {
    it(`${t.name}: ${PER_TARGET} inputs, coded errors only`, () => {
      const codes = new Map<string, number>();
      const internal: string[] = [];
      let accepted = 0;
      for (let i = 0; i < PER_TARGET; i++) {
        const o = outcome(() => t.run(t.input(SEED, i)));
        if (o.kind === 'ok') accepted++;
        else if (o.kind === 'coded') codes.set(o.code, (codes.get(o.code) ?? 0) + 1);
        else internal.push(`input ${i}: ${o.error.message}`);
      }
      expect(internal).toEqual([]);
      // the mutations reach both outcomes, and several distinct diagnostics
      expect(accepted).toBeGreaterThan(0);
      expect(codes.size).toBeGreaterThan(1);
    });
  }

  it('the inputs are a function of (seed, index): a finding replays', () => {
    for (const t of targets) expect(t.input(SEED, 123)).toEqual(t.input(SEED, 123));
  });
});

describe('fuzz findings, kept as regressions', () => {
  it('npy: a version-2 header cut before its 4-byte length is refused, not read out of bounds', () => {
    const bytes = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0, 0x10, 0);
    expect(() => decodeNpy(bytes, 'short.npy')).toThrow(/SNN0401|truncated .npy header/);
    try {
      decodeNpy(bytes, 'short.npy');
    } catch (e) {
      expect((e as { code?: string }).code).toBe('SNN0401');
    }
  });

  it('onnx: a graph that declares no outputs is refused as a model error (SNN0305), not a failed import', () => {
    const model = onnx.ModelProto.decode(readFileSync(join(ONNX_FIXTURES, 'matmul-add.onnx')));
    model.graph!.output = [];
    const o = outcome(() => importModel(decodeModel(onnx.ModelProto.encode(model).finish(), 'no-outputs.onnx'), { modelDir: ONNX_FIXTURES }));
    expect(o).toEqual({ kind: 'coded', code: 'SNN0305' });
  });

  it('npy: an unknown format version is refused', () => {
    const bytes = Uint8Array.of(0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 9, 0, 0, 0, 0, 0);
    expect(() => decodeNpy(bytes, 'v9.npy')).toThrow(/version 9.0 is not supported/);
  });
});
