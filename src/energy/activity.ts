/**
 * What an integer spiking network does, counted per node and per step while the reference
 * interpreter runs it (the counts of the portable C target, which executes the same plan).
 *
 *   spikes_P(t)   = |{ i : s_i^P(t) = 1 }|                                     (population P)
 *   events_L(t)   = |{ j : x_j(t) ≠ 0 }|   for x the input of a projection L   (spikes or graded)
 *   SOPs_L(t)     = Σ_{j : x_j(t) ≠ 0} fanout_L(j)
 *   updates_P(t)  = |P|                    at every step the unit is active: every step of a
 *                                          step-major graph; on the
 *                                          layer-major (TPP) schedule a population until its
 *                                          firing window ends (t ≤ o + 2T), a readout in its window
 *   biasAdds_P(t) = |{ i : B_i(k) ≠ 0 }|   the folded additive term of local step k = t − o
 *                                          (o = the unit's window, 0 on a step-major graph)
 *   merges_A(t)   = |A|                    an elementwise add of two currents (residual joins)
 *   MACs_L        = the ANN's count, once per sample, for a layer that reads the analog input
 *
 * fanout_L(j) is the number of outputs that input j actually reaches: for a convolution the
 * output positions whose window holds j (fewer at padded borders, fewer with strides) times the
 * output channels of j's group; |out| for a dense layer; the windows holding j for a pool; 1
 * for a global pool or a per-channel scale. A projection is "weighted" (conv, dense, mul) when
 * each SOP reads one weight. The analog part (the ops that depend only on the input) runs once
 * per sample: its convolutions and dense layers are MACs; its other ops are not counted.
 * Nothing here reads the engine's own spike counters: every count comes from the stores. The
 * per-step arrays span one inference's global steps (ir/tpp.ts runSteps): T, or (depth + 1)·T on
 * the layer-major schedule.
 */
import { SnncError } from '../../ir/diagnostics.js';
import type { Engine } from '../../ir/engine/engine.js';
import { stepTerms } from '../../ir/engine/neuron-fixed.js';
import type { Buf, PlanOp } from '../../ir/engine/plan.js';
import type { Graph } from '../../ir/types.js';
import { localStep, runSteps, tppOf } from '../../ir/tpp.js';
import { attrInt } from '../../ir/ops.js';
import { nodeMacs } from '../report/summary.js';

export type NodeRole = 'population' | 'readout' | 'projection' | 'merge' | 'analog';

/** Counts of one node summed over the samples run; per-step arrays have one entry per step. */
export interface NodeActivity {
  readonly id: string;
  readonly op: string;
  readonly role: NodeRole;
  /** Output elements per sample (neurons of a population). */
  readonly size: number;
  /** A projection whose every SOP reads a weight (conv, dense, mul). */
  readonly weighted: boolean;
  readonly spikes: Float64Array;
  readonly events: Float64Array;
  readonly sops: Float64Array;
  readonly updates: Float64Array;
  readonly biasAdds: Float64Array;
  readonly merges: Float64Array;
  /** Analog layers: MACs per sample times the samples run. */
  macs: number;
}

export interface Activity {
  /** Global steps of one inference (the length of every per-step array). */
  readonly steps: number;
  samples: number;
  readonly nodes: NodeActivity[];
}

interface Counted {
  readonly a: NodeActivity;
  readonly count: (t: number) => void;
}

/**
 * Nonzero entries of a store this step: the producer's event list when it keeps one (then
 * `store.ev` holds them), else a scan into `scratch`. The store is left as it is.
 */
function eventCount(b: Buf, scratch: Int32Array): number {
  const s = b.store;
  if (s.sparse) return s.nev;
  let n = 0;
  const d = s.data;
  for (let i = 0; i < d.length; i++) if (d[i] !== 0) scratch[n++] = i;
  return n;
}

/** Fan-out of each input position of a window op: how many windows hold it. */
function windowFanOut(start: Int32Array): Int32Array {
  const f = new Int32Array(start.length - 1);
  for (let p = 0; p < f.length; p++) f[p] = start[p + 1] - start[p];
  return f;
}

/** Fan-out of each input position of a convolution: output positions reached times the group's output channels. */
function convFanOut(op: Extract<PlanOp, { kind: 'conv' }>): Int32Array {
  const { start, len } = op.seg;
  const f = new Int32Array(start.length - 1);
  for (let p = 0; p < f.length; p++) for (let s = start[p]; s < start[p + 1]; s++) f[p] += len[s];
  return f;
}

function blank(id: string, op: string, role: NodeRole, size: number, weighted: boolean, length: number): NodeActivity {
  const z = (): Float64Array => new Float64Array(length);
  return { id, op, role, size, weighted, spikes: z(), events: z(), sops: z(), updates: z(), biasAdds: z(), merges: z(), macs: 0 };
}

/** Counts activity of an snn-fixed engine; call `sample()` once per sample after the static part and `step(t)` after each step. */
export class ActivityCounter {
  readonly activity: Activity;
  private readonly counted: Counted[] = [];
  private readonly analog: { a: NodeActivity; macs: number }[] = [];

  constructor(g: Graph, engine: Engine) {
    if (g.stage !== 'snn-fixed') throw new SnncError('SNN0407', `activity is counted on the integer network (snn-fixed), found stage ${g.stage}`);
    const length = runSteps(g);
    const nodes: NodeActivity[] = [];
    for (const op of engine.plan.staticOps) {
      const m = op.kind === 'conv' || op.kind === 'dense' ? nodeMacs(g, op.node) : 0;
      if (m === 0) continue;
      const a = blank(op.node.id, op.node.op, 'analog', op.out.size, true, length);
      nodes.push(a);
      this.analog.push({ a, macs: m });
    }
    for (const op of engine.plan.stepOps) {
      const c = this.countOp(g, op, length);
      if (!c) continue;
      nodes.push(c.a);
      this.counted.push(c);
    }
    this.activity = { steps: length, samples: 0, nodes };
  }

  /** A new sample: its analog layers ran once. */
  sample(): void {
    this.activity.samples++;
    for (const x of this.analog) x.a.macs += x.macs;
  }

  step(t: number): void {
    for (const c of this.counted) c.count(t);
  }

  private countOp(g: Graph, op: PlanOp, length: number): Counted | undefined {
    const id = op.node.id;
    const projection = (fan: Int32Array | number, channels: number, weighted: boolean, input: Buf): Counted => {
      const a = blank(id, op.node.op, 'projection', 'out' in op ? op.out.size : 0, weighted, length);
      const scratch = new Int32Array(input.size);
      return {
        a,
        count: (t) => {
          const n = eventCount(input, scratch);
          const ev = input.store.sparse ? input.store.ev : scratch;
          a.events[t - 1] += n;
          if (typeof fan === 'number') a.sops[t - 1] += n * fan;
          else {
            let s = 0;
            for (let e = 0; e < n; e++) s += fan[Math.floor(ev[e] / channels)];
            a.sops[t - 1] += s;
          }
        },
      };
    };
    switch (op.kind) {
      case 'conv':
        return projection(convFanOut(op), op.in.C, true, op.in);
      case 'dense':
        return projection(op.M, 1, true, op.in);
      case 'mul':
        return projection(1, 1, true, op.in);
      case 'pool':
      case 'spikemaxpool':
        return projection(windowFanOut(op.geom.fanStart), op.in.C, false, op.in);
      case 'gpool':
        return projection(1, 1, false, op.in);
      case 'add':
      case 'synapse': {
        // a synaptic current's step (decay, then add the input) is priced like an add per element
        const a = blank(id, op.node.op, 'merge', op.out.size, false, length);
        return { a, count: (t) => void (a.merges[t - 1] += op.out.size) };
      }
      case 'neuron':
      case 'readout': {
        const a = blank(id, op.node.op, op.kind === 'neuron' ? 'population' : 'readout', op.out.size, false, length);
        const terms = stepTerms(op.node, g, op.out);
        const hw = terms.perNeuron ? 1 : op.out.size / op.out.C;
        const nonzero = terms.rows.map((row) => row.reduce((s, v) => s + (v !== 0 ? hw : 0), 0));
        const out = op.out;
        const scratch = new Int32Array(out.size);
        const steps = g.steps!;
        const window = attrInt(op.node, 'window', 0);
        // the last step the executor touches the unit: a TPP population fires for T steps after its window
        const last = tppOf(op.node) ? window + 2 * steps : window + steps;
        return {
          a,
          count: (t) => {
            if (t > last || (op.kind === 'readout' && t <= window)) return;
            a.updates[t - 1] += out.size;
            const k = localStep(t, window, steps);
            if (k && nonzero.length) a.biasAdds[t - 1] += nonzero[Math.min(k, nonzero.length) - 1];
            if (op.kind === 'neuron') a.spikes[t - 1] += eventCount(out, scratch);
          },
        };
      }
      default:
        return undefined;
    }
  }
}

/** Adds the counts of `b` (same graph, other samples) into `a`. */
export function mergeActivity(a: Activity, b: Activity): void {
  a.samples += b.samples;
  b.nodes.forEach((n, i) => {
    const m = a.nodes[i];
    m.macs += n.macs;
    for (const k of ['spikes', 'events', 'sops', 'updates', 'biasAdds', 'merges'] as const) for (let t = 0; t < n[k].length; t++) m[k][t] += n[k][t];
  });
}
