/**
 * The temporal-misalignment experiment (src/exec/permute.ts): shuffling keeps every neuron's
 * spike count, so a network whose only population feeds the readout directly gives the
 * unshuffled readout; with two populations the second hears a reordered train and differs; it is
 * the same for any thread count and seed-determined.
 */
import { describe, expect, it } from 'vitest';
import { parseGraph } from '../ir/text/parse.js';
import type { Images } from '../src/data/dataset.js';
import { simulatePermuted } from '../src/exec/permute.js';
import { simulateFloat } from '../src/exec/run-snn.js';
import { Rng } from '../src/util/rng.js';

const net = (hidden: number): string => `snnir 1
graph @p stage=snn-float steps=6 {
  %x = input() : f32[N,4]
  %d = dense(%x, @w) : f32[N,4]
  %a = if(%d) {reset="subtract", threshold=1, vinit=0.5} : f32[N,4]
${hidden === 2 ? '  %e = dense(%a, @w) : f32[N,4]\n  %b = if(%e) {reset="zero", threshold=1.5} : f32[N,4]\n  %o = dense(%b, @w) : f32[N,4]' : '  %o = dense(%a, @w) : f32[N,4]'}
  %r = readout(%o) : f32[N,4]
  output %r
}
const @w : f32[4,4] = [0.9,0.1,0,0.2, 0.3,0.6,0.2,0, 0,0.4,0.5,0.3, 0.1,0,0.3,0.7]
`;

function samples(n: number): Images {
  const rng = new Rng(7);
  return { count: n, sampleShape: [4], data: Float32Array.from({ length: n * 4 }, () => rng.next()) };
}

describe('spike trains shuffled in time', () => {
  it('one population: the readout sums are the unshuffled ones (counts are kept)', async () => {
    const g = parseGraph(net(1));
    const data = samples(40);
    const plain = await simulateFloat(g, data, [6], 1);
    const shuffled = await simulatePermuted(g, data, { seed: 3, granularity: 'neuron', steps: 6 }, 1);
    const mean = plain.outputs[0];
    shuffled.forEach((v, i) => expect(v / 6).toBeCloseTo(mean[i], 5));
  });

  it('two populations: the second hears reordered trains; same bits for 1 and 2 threads; the seed decides', async () => {
    const g = parseGraph(net(2));
    const data = samples(200);
    const plain = await simulateFloat(g, data, [6], 1);
    for (const granularity of ['neuron', 'layer'] as const) {
      const one = await simulatePermuted(g, data, { seed: 3, granularity, steps: 6 }, 1);
      const two = await simulatePermuted(g, data, { seed: 3, granularity, steps: 6 }, 2);
      expect(Array.from(two)).toEqual(Array.from(one));
      const differs = Array.from(one).some((v, i) => Math.abs(v / 6 - plain.outputs[0][i]) > 1e-4);
      expect(differs).toBe(true);
      const other = await simulatePermuted(g, data, { seed: 4, granularity, steps: 6 }, 1);
      expect(Array.from(other)).not.toEqual(Array.from(one));
    }
  });
});
