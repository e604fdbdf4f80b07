/**
 * What a run-time saturation changed (src/exec/saturation-effect.ts): the same network with
 * registers too wide to narrow (ir/wide-registers.ts), compared readout by readout. Hand-computed
 * on one driven neuron with an 8-bit membrane.
 */
import { describe, expect, it, vi } from 'vitest';
import { FixedInterpreter } from '../ir/interp-fixed.js';
import { parseGraph } from '../ir/text/parse.js';
import type { Graph } from '../ir/types.js';
import { verify } from '../ir/verify.js';
import { WIDE_BITS, withWideRegisters } from '../ir/wide-registers.js';
import { simulateFixed } from '../src/exec/run-fixed.js';
import { describeEffect, saturationEffect, sumEffects } from '../src/exec/saturation-effect.js';
import { warnOverflow } from '../src/cli/common.js';

/**
 * Neuron 0 is driven by the input frame (weight 1), θ = 60, 8-bit membrane; neuron 1 never fires.
 * The readout counts neuron 0's spikes ×6 against a constant 5 per step on the second class.
 */
function network(T: number): Graph {
  const g = parseGraph(`snnir 1
graph @drive stage=snn-fixed steps=${T} {
  %x = input() {scale=1, temporal=true} : u8[N,1]
  %d = dense(%x, @w) : i16[N,2]
  %n = if(%d) {accbits=16, overflow="saturate", reset="subtract", threshold=60, vbits=8} : u1[N,2]
  %k = mul(%n, @m) : i16[N,2]
  %r = readout(%k) {bias=@b, overflow="saturate", scale=1, sumbits=32} : i32[N,2]
  output %r
}
const @w : i8[2,1] = [1, 0]
const @m : i8[2] = [6, 0]
const @b : i16[1,2] = [0, 5]
`);
  expect(verify(g).filter((d) => d.severity === 'error')).toEqual([]);
  return g;
}

const samples = (frames: number[][]) => ({ count: frames.length, size: frames[0].length, data: Int32Array.from(frames.flat()) });

describe('the wide-register network', () => {
  it('widens every register and nothing else', () => {
    const g = network(6);
    const w = withWideRegisters(g);
    const byId = (x: Graph, id: string) => x.nodes.find((n) => n.id === id)!;
    expect(byId(w, 'n').attrs).toEqual({ ...byId(g, 'n').attrs, accbits: WIDE_BITS, vbits: WIDE_BITS });
    expect(byId(w, 'r').attrs).toEqual({ ...byId(g, 'r').attrs, sumbits: WIDE_BITS });
    expect(byId(w, 'd')).toBe(byId(g, 'd'));
    expect(w.consts).toBe(g.consts);
    expect(byId(g, 'n').attrs.vbits).toBe(8); // the original is untouched
  });

  it('keeps the charge the narrowed membrane loses', () => {
    // 127 per step for 3 steps, then nothing. Narrowed: v = 127 -> spike, 67; 194 -> 127 (saturated) -> spike, 67; again;
    // then 67 -> spike, 7; 7; 7: 4 spikes. Wide: 67, 134, 201 after the 3 driven steps, then 141, 81, 21: 6 spikes.
    const g = network(6);
    const spikes = (x: Graph): number => {
      const it = new FixedInterpreter(x);
      const r = it.run([127, 127, 127, 0, 0, 0]);
      return r[0] / 6;
    };
    expect(spikes(g)).toBe(4);
    expect(spikes(withWideRegisters(g))).toBe(6);
  });
});

describe('saturationEffect', () => {
  it('a harmless saturation (the neuron fires at every step either way) changes no readout', async () => {
    const g = network(4);
    const s = samples([[127, 127, 127, 127]]);
    const run = await simulateFixed(g, s, [4], 1);
    expect(run.overflow.find((u) => u.id === 'n')!.v).toBe(3);
    const e = await saturationEffect(g, s, run, 1);
    expect(e).toEqual({ samples: 1, readouts: 0, classes: 0 });
    expect(describeEffect(e)).toMatch(/same readout on all 1 samples: no result changed/);
  });

  it('a harmful one: the readout and the class change, counted per sample', async () => {
    const g = network(6);
    // sample 0 saturates (4 spikes: 24 < 30, class 1; wide: 36, class 0); sample 1 never does; sample 2 saturates
    // harmlessly for the class (127 at every step: 6 spikes either way)
    const s = samples([
      [127, 127, 127, 0, 0, 0],
      [30, 30, 30, 30, 30, 30],
      [127, 127, 127, 127, 127, 127],
    ]);
    const run = await simulateFixed(g, s, [6], 1);
    expect(Array.from(run.predictions[0])).toEqual([1, 1, 0]);
    const e = await saturationEffect(g, s, run, 1);
    expect(e).toEqual({ samples: 3, readouts: 1, classes: 1 });
    expect(describeEffect(e)).toBe('against the same network with registers too wide to saturate, the readout differs on 1 and the predicted class on 1 of 3 samples');
    // every checkpoint is compared: at T = 3 the two networks still agree on sample 0
    const early = await simulateFixed(g, s, [3, 6], 1);
    expect(await saturationEffect(g, s, early, 1)).toEqual({ samples: 3, readouts: 1, classes: 1 });
  });

  it('without a saturation there is no second run and no effect', async () => {
    const g = network(6);
    const s = samples([[30, 30, 30, 30, 30, 30]]);
    const run = await simulateFixed(g, s, [6], 1);
    // readouts that could never come from g: had a second run been made, they would differ
    const e = await saturationEffect(g, s, { ...run, readouts: [Float64Array.from([-1, -1])] }, 1);
    expect(e).toEqual({ samples: 1, readouts: 0, classes: 0 });
  });

  it('sums over runs; unknown if any run is', () => {
    expect(sumEffects([{ samples: 3, readouts: 1, classes: 0 }, { samples: 3, readouts: 2, classes: 1 }])).toEqual({ samples: 6, readouts: 3, classes: 1 });
    expect(sumEffects([{ samples: 3, readouts: 1, classes: 0 }, undefined])).toBeUndefined();
    expect(describeEffect(undefined)).toMatch(/not known/);
    expect(describeEffect({ samples: 6, readouts: 3, classes: 1 }, 2)).toMatch(/of 6 sample runs \(2 runs\)$/);
  });
});

describe('the SNN0206 warning', () => {
  const warned = (effect: Parameters<typeof warnOverflow>[1]['effect'], runs = 1): string => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      warnOverflow('the integer network', { overflow: [{ id: 'n', acc: 2, v: 5 }, { id: 'r', acc: 0, v: 0 }], samples: 3, runs, effect });
      return write.mock.calls.map((c) => String(c[0])).join('');
    } finally {
      write.mockRestore();
    }
  };

  it('names the units that saturated and what that changed', () => {
    expect(warned({ samples: 3, readouts: 1, classes: 1 })).toBe(
      'snnc: warning SNN0206: the integer network saturated or wrapped at run time on 3 samples: %n (accumulator 2, membrane 5); against the same network with registers too wide to saturate, the readout differs on 1 and the predicted class on 1 of 3 samples; its results are those of the narrowed network (fewer weight bits, or a wider target, avoid it)\n',
    );
  });

  it('says when nothing changed, and leaves out the advice', () => {
    expect(warned({ samples: 6, readouts: 0, classes: 0 }, 2)).toBe(
      'snnc: warning SNN0206: the integer network saturated or wrapped at run time in 2 runs of 3 samples (one per T; counts summed): %n (accumulator 2, membrane 5); the same network with registers too wide to saturate gives the same readout on all 6 sample runs (2 runs): no result changed\n',
    );
  });

  it('an unknown effect keeps the advice', () => {
    expect(warned(undefined)).toMatch(/not known \(the same network with 53-bit registers overflowed too\); its results are those of the narrowed network/);
  });
});
