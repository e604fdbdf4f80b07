/**
 * The core simulator against the reference interpreter, in lock step: both run the same sample,
 * and after every step every population's spikes and membranes are compared neuron by neuron
 * (storage order, the order both keep); the readout sums at the end; the overflow counters of
 * every unit after the last sample. The first difference names sample, step, population and
 * neuron (NCHW) with both values. The simulator's cycle counts are summed on the way.
 */
import { SnncError } from '../ir/diagnostics.js';
import { FixedInterpreter, membraneOf } from '../ir/interp-fixed.js';
import type { Graph } from '../ir/types.js';
import { CoreSimulator, CycleTally, decodeImage, type CoreTiming } from '../targets/core/index.js';

export type { CoreTiming };
import type { IntSamples } from './data/integer.js';
import { readFileOrFail } from './util/fs.js';
import type { Agreement, Mismatch } from './verify-c.js';

export interface CoreVerifyResult extends Agreement {
  readonly timing: CoreTiming;
  readonly seconds: number;
}

export function loadImageFile(path: string): CoreSimulator {
  return new CoreSimulator(decodeImage(readFileOrFail(path), path));
}

/** NCHW index of storage (HWC) index i of a [C, HW] map. */
function nchw(i: number, C: number, HW: number): number {
  const p = Math.floor(i / C);
  return (i - p * C) * HW + p;
}

export function verifyCore(graph: Graph, sim: CoreSimulator, samples: IntSamples, onSample?: () => void): CoreVerifyResult {
  const interp = new FixedInterpreter(graph);
  const pops = interp.engine.populations.map((p) => ({ id: p.id, buf: interp.engine.plan.bufs.get(p.id)!, v: membraneOf(interp.engine.units().find((u) => u.id === p.id)!.unit)! }));
  const simPops = sim.populations();
  if (simPops.length !== pops.length) throw new SnncError('SNN0601', `the image holds ${simPops.length} populations, the graph ${pops.length}: it was not compiled from this graph`);
  const outSize = interp.engine.plan.outputs[0].size;
  const outputs = new Float64Array(samples.count * outSize);
  let mismatches = 0;
  let first: Mismatch | undefined;
  const tally = new CycleTally();
  const t0 = performance.now();
  for (let s = 0; s < samples.count; s++) {
    let bad = false;
    tally.addLoad(sim.load(samples.data, s * samples.size));
    const out = interp.run(samples.data, s * samples.size, (t) => {
      tally.addStep(t, sim.step(t));
      if (bad) return;
      pops.forEach((p, k) => {
        if (bad) return;
        const spikes = p.buf.store.data;
        const v = p.v;
        const sp = simPops[k];
        for (let i = 0; i < v.length; i++) {
          const field = (spikes[i] !== 0 ? 1 : 0) !== sp.spikes[i] ? 'spike' : v[i] !== sp.v[i] ? 'membrane' : undefined;
          if (field) {
            bad = true;
            first ??= { sample: s, step: t, population: p.id, neuron: nchw(i, p.buf.C, p.buf.H * p.buf.W), field, c: field === 'spike' ? sp.spikes[i] : sp.v[i], interpreter: field === 'spike' ? (spikes[i] !== 0 ? 1 : 0) : v[i] };
            return;
          }
        }
      });
    });
    outputs.set(out, s * outSize);
    const so = sim.output();
    for (let k = 0; k < outSize; k++) {
      if (so[k] !== out[k]) {
        if (!bad) first ??= { sample: s, step: graph.steps!, population: graph.outputs[0], neuron: k, field: 'output', c: so[k], interpreter: out[k] };
        bad = true;
      }
    }
    if (bad) mismatches++;
    onSample?.();
  }
  const io = interp.overflow();
  const so = sim.overflow();
  io.forEach((u, k) => {
    if (so[k][0] !== u.acc || so[k][1] !== u.v) {
      first ??= { sample: -1, step: -1, population: u.id, neuron: -1, field: 'overflow', c: so[k][0] + so[k][1], interpreter: u.acc + u.v };
      if (mismatches === 0) mismatches = 1;
    }
  });
  return {
    bitExact: mismatches === 0,
    samples: samples.count,
    mismatches,
    ...(first ? { first } : {}),
    outputs,
    overflow: io,
    seconds: (performance.now() - t0) / 1000,
    timing: tally.summary(sim),
  };
}
