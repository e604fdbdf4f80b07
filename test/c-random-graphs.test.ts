/**
 * The C back end is bit-exact to the reference interpreter on 500 seeded random graphs: every
 * population's spikes and membranes at every step, the readout sums and the overflow counters,
 * with the C built under AddressSanitizer and the integer checks of UBSan (helpers/c-build.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verify } from '../ir/verify.js';
import { verifyProgram } from '../src/verify-c.js';
import { buildProgram, SANITIZE, withoutLeakScan, writeProgram } from './helpers/c-build.js';
import { randomGraph, randomSamples } from './helpers/random-graphs.js';

describe('C back end vs reference interpreter on 400 random graphs', () => {
  const COUNT = 400; // longer campaigns: bench/fuzz.ts
  const BATCHES = 4;
  const graphs = Array.from({ length: COUNT }, (_, i) => ({ prefix: `g${i}`, seed: i, graph: randomGraph(i).graph }));
  const root = mkdtempSync(join(tmpdir(), 'snnc-random-'));
  const exes: string[] = [];

  beforeAll(async () => {
    const batches = Array.from({ length: BATCHES }, (_, b) => graphs.filter((_, i) => i % BATCHES === b));
    // two compilers at a time (CI has two cores)
    for (let b = 0; b < BATCHES; b += 2) {
      const built = await Promise.all(
        batches.slice(b, b + 2).map((batch, j) => {
          const dir = join(root, `batch${b + j}`);
          writeProgram(dir, batch);
          return buildProgram(dir, batch.map((g) => g.prefix), SANITIZE);
        }),
      );
      exes.push(...built);
    }
  }, 600_000);

  it('every generated graph verifies', () => {
    for (const g of graphs) expect(verify(g.graph).filter((d) => d.severity === 'error'), `seed ${g.seed}`).toEqual([]);
  });

  it('covers the ops and integer modes it is meant to exercise', () => {
    const seen = new Set<string>();
    for (const { graph } of graphs) {
      for (const n of graph.nodes) {
        seen.add(n.op);
        if (n.op === 'input') seen.add(n.attrs.temporal === true ? 'input:temporal' : 'input:static');
        if (n.op === 'if') {
          seen.add(`overflow:${n.attrs.overflow}`);
          seen.add(`reset:${n.attrs.reset}`);
          seen.add(`leak:${n.attrs.leak ?? 'none'}`);
          if (typeof n.attrs.leakmul === 'object') seen.add('leak:per-channel-or-neuron');
          if (n.attrs.round) seen.add(`round:${n.attrs.round}`);
          if (n.attrs.bias) seen.add(`bias-rows:${graph.consts.get((n.attrs.bias as { const: string }).const)!.type.shape[0] > 2 ? 'T' : graph.consts.get((n.attrs.bias as { const: string }).const)!.type.shape[0]}`);
        }
        if (n.op === 'conv2d') {
          if ((n.attrs.group as number) > 1) seen.add('conv:grouped');
          if ((n.attrs.dilations as number[]).some((d) => d > 1)) seen.add('conv:dilated');
          if ((n.attrs.strides as number[]).some((d) => d > 1)) seen.add('conv:strided');
        }
      }
    }
    for (const f of ['conv2d', 'dense', 'add', 'mul', 'sumpool2d', 'maxpool2d', 'spikemaxpool', 'globalsumpool', 'concat', 'flatten', 'if', 'readout', 'overflow:saturate', 'overflow:wrap', 'reset:zero', 'reset:subtract', 'leak:shift', 'leak:mul', 'round:floor', 'round:trunc', 'round:half-up', 'bias-rows:1', 'bias-rows:2', 'bias-rows:T', 'conv:grouped', 'conv:dilated', 'conv:strided', 'input:static', 'input:temporal', 'leak:per-channel-or-neuron']) {
      expect(seen.has(f), f).toBe(true);
    }
  });

  it('bit-exact on every graph (3 samples each); saturation and wrap-around happen and are counted alike', () => {
    let saturating = 0;
    graphs.forEach((g, i) => {
      const b = i % BATCHES;
      const index = Math.floor(i / BATCHES);
      const run = () => verifyProgram(g.graph, exes[b], join(root, `batch${b}`), randomSamples(g.graph, 3, g.seed), index);
      // the first model of each program runs with LeakSanitizer's exit scan (the host's allocations are the same for all)
      const r = index === 0 ? run() : withoutLeakScan(run);
      if (!r.bitExact) throw new Error(`seed ${g.seed}: ${JSON.stringify(r.first)}`);
      if (r.overflow.some((u) => u.acc > 0 || u.v > 0)) saturating++;
    });
    expect(saturating).toBeGreaterThan(COUNT / 4);
  });
});

