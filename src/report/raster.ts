/**
 * A spike raster of one input: for each population, up to `perLayer` neurons spread evenly over
 * it (NCHW indices), and the steps at which each fired, from the reference interpreter.
 */
import { FixedInterpreter } from '../../ir/interp-fixed.js';
import type { Graph } from '../../ir/types.js';

export interface RasterLayer {
  readonly id: string;
  readonly neurons: number;
  /** NCHW indices of the neurons shown, ascending. */
  readonly shown: number[];
  /** [step, row] pairs: the neuron shown in row `row` fired at `step`. */
  readonly spikes: [number, number][];
}

export interface Raster {
  readonly steps: number;
  readonly sample: number;
  readonly layers: RasterLayer[];
}

export function recordRaster(fixed: Graph, input: ArrayLike<number>, offset: number, sample: number, perLayer = 64): Raster {
  const interp = new FixedInterpreter(fixed);
  const pops = interp.engine.populations.map((p) => {
    const n = p.size;
    const k = Math.min(perLayer, n);
    const shown = Array.from({ length: k }, (_, r) => Math.floor((r * n) / k));
    return { id: p.id, n, shown, spikes: [] as [number, number][], values: new Float64Array(n) };
  });
  interp.run(input, offset, (t) => {
    for (const p of pops) {
      interp.engine.read(p.id, p.values);
      p.shown.forEach((i, row) => {
        if (p.values[i] !== 0) p.spikes.push([t, row]);
      });
    }
  });
  return { steps: fixed.steps!, sample, layers: pops.map(({ id, n, shown, spikes }) => ({ id, neurons: n, shown, spikes })) };
}
