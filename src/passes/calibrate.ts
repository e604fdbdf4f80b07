/**
 * calibrate: run the ANN on calibration samples and keep, for every activation that becomes a
 * neuron (relu / qcfs outputs, and the graph outputs for spike-count readouts), the positive
 * values per channel. Threshold rules (balance-thresholds.ts) are computed from these.
 */
import { SnncError } from '../../ir/diagnostics.js';
import type { Graph } from '../../ir/types.js';
import type { Images } from '../data/dataset.js';
import { mapChunks } from '../exec/pool.js';
import { chunks } from '../exec/run-ann.js';
import type { SamplesChunk } from '../exec/tasks.js';
import { isNeuronSource } from './activations.js';

export interface LayerActivations {
  readonly channels: number;
  /** Positive activations of each channel, over all calibration samples. */
  readonly values: Float32Array[];
}

export type ActivationStats = Map<string, LayerActivations>;

/** Ids of the values whose statistics a conversion needs. */
export function calibrationTargets(g: Graph): string[] {
  return [...g.nodes.filter(isNeuronSource).map((n) => n.id), ...g.outputs];
}

class Growable {
  private buf = new Float32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.buf.length) {
      const b = new Float32Array(this.buf.length * 2);
      b.set(this.buf);
      this.buf = b;
    }
    this.buf[this.length++] = v;
  }
  take(): Float32Array {
    return this.buf.slice(0, this.length);
  }
}

export async function collectActivations(g: Graph, images: Images, threads: number, onProgress?: (n: number) => void): Promise<ActivationStats> {
  if (images.count === 0) throw new SnncError('SNN0406', 'calibration set is empty');
  const ids = calibrationTargets(g);
  const parts = chunks(images);
  const outs = await mapChunks<{ graph: Graph; ids: string[] }, SamplesChunk, Record<string, Float32Array>>('ann-values', { graph: g, ids }, parts, threads, onProgress);
  const grow = new Map<string, Growable[]>();
  const shapes = new Map(g.nodes.map((n) => [n.id, n.type.shape]));
  for (const id of ids) {
    const shape = shapes.get(id)!;
    const C = shape.length >= 2 ? shape[1] : 1;
    const inner = shape.slice(2).reduce((a, b) => a * b, 1);
    const gs = Array.from({ length: C }, () => new Growable());
    grow.set(id, gs);
    for (const out of outs) {
      const d = out[id];
      for (let i = 0; i < d.length; i++) {
        const v = d[i];
        if (v > 0) gs[Math.floor(i / inner) % C].push(v);
      }
    }
  }
  return new Map([...grow].map(([id, gs]) => [id, { channels: gs.length, values: gs.map((x) => x.take()) }]));
}
