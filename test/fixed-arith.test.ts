/**
 * The integer primitives: the TypeScript definition (ir/fixed-arith.ts) against a BigInt
 * oracle, and its C twin (targets/c/runtime/snnc_fixed.h) against the TypeScript, on seeded
 * random and edge-case inputs, compiled with UBSan.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { leak, narrow, saturate, shiftRound, wrap, type Leak, type Rounding } from '../ir/fixed-arith.js';
import { Rng } from './helpers/random-graphs.js';
import { ROOT } from './helpers/paths.js';

function bigSat(x: bigint, bits: number): bigint {
  const hi = (1n << BigInt(bits - 1)) - 1n;
  const lo = -hi - 1n;
  return x > hi ? hi : x < lo ? lo : x;
}
function bigWrap(x: bigint, bits: number): bigint {
  return BigInt.asIntN(bits, x);
}
function bigShift(x: bigint, k: number, mode: Rounding): bigint {
  const d = 1n << BigInt(k);
  const floor = (a: bigint) => (a >= 0n ? a / d : -((-a + d - 1n) / d));
  if (mode === 'floor') return floor(x);
  if (mode === 'trunc') return x / d; // BigInt division truncates
  return floor(x + d / 2n);
}

interface Case {
  x: number;
  bits: number;
  k: number;
  m: number;
}

function cases(n: number): Case[] {
  const r = new Rng(99);
  const out: Case[] = [];
  const edges = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 47, -(2 ** 47) - 5, 127, -128, 128, -129, 2 ** 52 - 1, -(2 ** 52)];
  for (const x of edges) for (const bits of [2, 8, 16, 24, 32, 48]) out.push({ x, bits, k: r.int(0, 20), m: r.int(0, 70000) });
  for (let i = 0; i < n; i++) {
    const mag = 2 ** r.int(0, 50);
    out.push({ x: Math.round((r.next() * 2 - 1) * mag), bits: r.int(2, 48), k: r.int(0, 30), m: r.int(0, 1 << 16) });
  }
  return out;
}

describe('fixed-point primitives', () => {
  const all = cases(20000);
  it('saturate, wrap and shiftRound match a BigInt oracle', () => {
    for (const c of all) {
      const x = BigInt(c.x);
      expect(BigInt(saturate(c.x, c.bits)), `sat ${c.x} ${c.bits}`).toBe(bigSat(x, c.bits));
      expect(BigInt(wrap(c.x, c.bits)), `wrap ${c.x} ${c.bits}`).toBe(bigWrap(x, c.bits));
      for (const mode of ['floor', 'trunc', 'half-up'] as const) expect(BigInt(shiftRound(c.x, c.k, mode)), `${mode} ${c.x} ${c.k}`).toBe(bigShift(x, c.k, mode));
    }
  });

  it('the C runtime computes the same values (UBSan, -Werror)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'snnc-arith-'));
    const sample = all.filter((c) => Math.abs(c.x) < 2 ** 31 && c.m < 2 ** 16).slice(0, 6000);
    writeFileSync(
      join(dir, 't.c'),
      `#include <stdio.h>
#include <stdlib.h>
#include "snnc_fixed.h"
int main(void) {
  long long x; int bits, k; long long m;
  while (scanf("%lld %d %d %lld", &x, &bits, &k, &m) == 4) {
    printf("%lld %lld", (long long)snnc_saturate(x, bits), (long long)snnc_wrap(x, bits));
    for (int mode = 0; mode < 3; mode++) printf(" %lld %lld %lld", (long long)snnc_shift_round(x, k, mode), (long long)snnc_leak_shift(x, k, mode), (long long)snnc_leak_mul(x, m, k, mode));
    printf("\\n");
  }
  return 0;
}
`,
    );
    const cc = spawnSync('cc', ['-std=c99', '-O1', '-Wall', '-Wextra', '-Werror', '-fsanitize=undefined', '-fno-sanitize-recover=all', `-I${join(ROOT, 'targets/c/runtime')}`, '-o', join(dir, 't'), join(dir, 't.c')], { encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    const run = spawnSync(join(dir, 't'), [], { input: sample.map((c) => `${c.x} ${c.bits} ${c.k} ${c.m}`).join('\n'), encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(run.stderr).toBe('');
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(sample.length);
    sample.forEach((c, i) => {
      const expected = [saturate(c.x, c.bits), wrap(c.x, c.bits)];
      for (const round of ['floor', 'trunc', 'half-up'] as const) {
        const l = (kind: Leak['kind']): number => leak(c.x, { kind, shift: c.k, mul: c.m, round });
        expected.push(shiftRound(c.x, c.k, round), l('shift'), l('mul'));
      }
      expect(lines[i], `case ${JSON.stringify(c)}`).toBe(expected.join(' '));
    });
  });

  it('narrow dispatches on the overflow mode', () => {
    expect(narrow(200, 8, 'saturate')).toBe(127);
    expect(narrow(200, 8, 'wrap')).toBe(-56);
    expect(narrow(-129, 8, 'wrap')).toBe(127);
  });
});
