/**
 * The verifier's types are a proof: on random snn-fixed graphs, every value the reference
 * interpreter computes, at every step, is an integer inside its declared dtype and inside the
 * interval the verifier's range analysis derived. And a graph the verifier accepts, the
 * executors run (ir/spiking-rules.ts).
 */
import { describe, expect, it } from 'vitest';
import { computeRanges } from '../ir/fixed-ranges.js';
import { FixedInterpreter } from '../ir/interp-fixed.js';
import { GraphBuilder } from '../ir/builder.js';
import { BATCH, intRange, type Graph } from '../ir/types.js';
import { verify } from '../ir/verify.js';
import { randomGraph, randomSamples } from './helpers/random-graphs.js';

/** Every value at every step against its declared dtype and its proven interval; the first few offences. */
function observeRanges(g: Graph, samples: { count: number; size: number; data: Int32Array }): string[] {
  const interp = new FixedInterpreter(g);
  const proven = computeRanges(g);
  const bad: string[] = [];
  const check = (t: number): void => {
    for (const n of g.nodes) {
      const v = interp.engine.read(n.id);
      const { min, max } = intRange(n.type.dtype);
      const r = proven.get(n.id)!;
      for (let i = 0; i < v.length && bad.length < 5; i++) {
        const x = v[i];
        if (!Number.isInteger(x) || x < min || x > max) bad.push(`step ${t}: %${n.id}[${i}] = ${x} is not a ${n.type.dtype}`);
        else if (x < r.min || x > r.max) bad.push(`step ${t}: %${n.id}[${i}] = ${x} is outside the proven [${r.min}, ${r.max}]`);
      }
    }
  };
  for (let s = 0; s < samples.count; s++) interp.run(samples.data, s * samples.size, check);
  return bad;
}

describe('verifier soundness on random snn-fixed graphs', () => {
  const COUNT = 500;
  it(`on ${COUNT} graphs, every observed value fits its declared type and proven range`, () => {
    let values = 0;
    for (let seed = 0; seed < COUNT; seed++) {
      const { graph } = randomGraph(seed);
      expect(verify(graph).filter((d) => d.severity === 'error'), `seed ${seed}`).toEqual([]);
      expect(observeRanges(graph, randomSamples(graph, 3, seed)), `seed ${seed}`).toEqual([]);
      values += graph.nodes.length;
    }
    expect(values).toBeGreaterThan(COUNT * 4);
  });

  it('the check fails on the old spikemaxpool, which passed its operand through as u1', () => {
    // spikemaxpool over an 8-bit input: typed u1 [0, 1], it forwards the winner's value (up to 255)
    const b = new GraphBuilder('old_spikemaxpool', 'snn-fixed', 3);
    const x = b.node('x', 'input', [], { scale: 1 }, { dtype: 'u8', shape: [BATCH, 1, 2, 2] });
    const m = b.node('m', 'spikemaxpool', [{ kind: 'value', id: x.id }], { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] }, { dtype: 'u1', shape: [BATCH, 1, 1, 1] });
    const f = b.node('f', 'flatten', [{ kind: 'value', id: m.id }], { axis: 1 }, { dtype: 'u1', shape: [BATCH, 1] });
    const w = b.constant('w', { dtype: 'i8', shape: [1, 1] }, Int32Array.of(1));
    const d = b.node('d', 'dense', [{ kind: 'value', id: f.id }, { kind: 'const', id: w }], {}, { dtype: 'i9', shape: [BATCH, 1] });
    const o = b.node('o', 'readout', [{ kind: 'value', id: d.id }], { sumbits: 16, overflow: 'saturate', scale: 1 }, { dtype: 'i16', shape: [BATCH, 1] });
    b.outputs = [o.id];
    const g = b.build();
    // today's verifier refuses it ...
    expect(verify(g).filter((d) => d.severity === 'error').map((d) => d.code)).toContain('SNN0108');
    // ... and the observation would have caught the old one: the engine runs it and %m holds 200
    expect(observeRanges(g, { count: 1, size: 4, data: Int32Array.of(7, 200, 3, 0) })).toContainEqual(expect.stringMatching(/%m\[0\] = (200|7|3) is not a u1/));
  });

  it('verified means executable: the rules the engine needs are verifier errors (SNN0113)', () => {
    const b = new GraphBuilder('flat_out', 'snn-fixed', 2);
    const x = b.node('x', 'input', [], { scale: 1 }, { dtype: 'u8', shape: [BATCH, 2, 2, 2] });
    const f = b.node('f', 'flatten', [{ kind: 'value', id: x.id }], { axis: 1 }, { dtype: 'u8', shape: [BATCH, 8] });
    const k = b.constant('k', { dtype: 'i8', shape: [8] }, Int32Array.from({ length: 8 }, (_, i) => i));
    const m = b.node('m', 'mul', [{ kind: 'value', id: f.id }, { kind: 'const', id: k }], {}, { dtype: 'i16', shape: [BATCH, 8] });
    const o = b.node('o', 'readout', [{ kind: 'value', id: m.id }], { sumbits: 24, overflow: 'saturate', scale: 1 }, { dtype: 'i24', shape: [BATCH, 8] });
    b.outputs = [o.id];
    const diags = verify(b.build()).filter((d) => d.severity === 'error');
    expect(diags.map((d) => d.code)).toEqual(['SNN0113']);
    expect(diags[0].message).toMatch(/'mul' reads %f, a flattened feature map/);
    expect(() => new FixedInterpreter(b.build())).toThrow(/SNN0113|flattened feature map/);
  });
});
