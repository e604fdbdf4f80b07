/**
 * quantize, phase 1: what every value of an snn-float graph is worth, before any integer is chosen.
 *
 * An event tensor (spikes, pooled spike counts, the input) carries a real amplitude per channel: a
 * spike of population P is worth A_P,c (ir/neuron-params.ts), an average pool of k×k becomes a
 * sum pool whose counts are worth a/k², the input is worth its scale, and flatten, reshape, max
 * pools, delays and concats carry their inputs' amplitudes along. Every accumulating node (an IF
 * population or the readout) owns the current tree that feeds it: the projections (conv, dense)
 * and event values summed into it through adds and synaptic currents. Each current belongs to
 * exactly one accumulator, since it gets that accumulator's integer scale.
 */
import { spikeAmplitude } from '../../ir/neuron-params.js';
import { SnncError } from '../../ir/diagnostics.js';
import { attrBool, attrInts, attrNum } from '../../ir/ops.js';
import { whereOf } from '../../ir/verify.js';
import type { Graph, Node, TensorType } from '../../ir/types.js';

/** Real value of one integer step, per channel (rank 3) or feature (rank 1). */
export type Amp = Float64Array;

export interface Accumulator {
  readonly node: Node;
  /** Projections and event values summed into it (through adds). */
  readonly leaves: Node[];
  readonly adds: Node[];
  /** Integer units per real unit of its current, per output channel (set by chooseScales). */
  scale?: Float64Array;
}

export interface Currents {
  /** Amplitude of every event value (spikes, pooled spikes, the input). */
  readonly amp: Map<string, Amp>;
  /** The accumulators, in graph order. */
  readonly accs: Accumulator[];
  /** A projection, add or synapse's accumulator. */
  readonly accOf: Map<string, Accumulator>;
  /** An if or readout node's accumulator. */
  readonly accByNode: Map<string, Accumulator>;
}

export function channels(t: TensorType): number {
  return t.shape.length >= 2 ? t.shape[1] : 1;
}

/** Nodes whose value is a current in an accumulator's units (not events). */
export function isCurrent(n: Node): boolean {
  return n.op === 'conv2d' || n.op === 'dense' || n.op === 'add' || n.op === 'synapse';
}

export function traceCurrents(g: Graph, inputScale: number): Currents {
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const amp = new Map<string, Amp>();
  const accs: Accumulator[] = [];
  const accOf = new Map<string, Accumulator>();
  const accByNode = new Map<string, Accumulator>();

  const collect = (n: Node): Accumulator => {
    const acc: Accumulator = { node: n, leaves: [], adds: [] };
    accByNode.set(n.id, acc);
    const claim = (p: Node): void => {
      if (accOf.has(p.id)) throw new SnncError('SNN0202', `%${p.id} feeds two accumulators (%${accOf.get(p.id)!.node.id} and %${n.id}); each current must have one integer scale`, whereOf(p));
      accOf.set(p.id, acc);
    };
    const walk = (id: string): void => {
      const p = byId.get(id)!;
      if (p.op === 'add' || p.op === 'synapse') {
        // a synaptic current integrates its input in the accumulator's units
        if (p.op === 'add') acc.adds.push(p);
        claim(p);
        for (const r of p.inputs) {
          if (r.kind !== 'value') throw new SnncError('SNN0202', 'add of a constant has no integer form', whereOf(p));
          walk(r.id);
        }
      } else {
        acc.leaves.push(p);
        if (isCurrent(p)) claim(p);
      }
    };
    walk(n.inputs[0].id);
    return acc;
  };

  // a recurrent edge (a delay of a later population) needs that population's spike amplitude first
  for (const n of g.nodes) if (n.op === 'if') amp.set(n.id, spikeAmplitude(n, g.consts));
  for (const n of g.nodes) {
    const where = whereOf(n);
    const inAmp = (i = 0): Amp => {
      const a = amp.get(n.inputs[i].id);
      if (!a) throw new SnncError('SNN0202', `'${n.op}' reads %${n.inputs[i].id}, a synaptic current; only spikes and pooled spikes can be pooled, flattened or concatenated in integers`, where);
      return a;
    };
    switch (n.op) {
      case 'input':
        amp.set(n.id, new Float64Array(channels(n.type)).fill(inputScale));
        break;
      case 'if':
      case 'readout':
        accs.push(collect(n));
        break;
      case 'delay':
      case 'spikemaxpool':
      case 'maxpool2d':
        amp.set(n.id, inAmp());
        break;
      case 'avgpool2d': {
        const [kh, kw] = attrInts(n, 'kernel');
        const pads = attrInts(n, 'pads');
        const uniform = (attrBool(n, 'countIncludePad') || pads.every((p) => p === 0)) && !attrBool(n, 'ceilMode');
        if (!uniform) throw new SnncError('SNN0202', 'average pooling whose divisor varies over windows (padding without countIncludePad, or ceil mode) has no integer sum-pool form', where);
        amp.set(n.id, inAmp().map((a) => a / (kh * kw)));
        break;
      }
      case 'globalavgpool': {
        const [, , h, w] = byId.get(n.inputs[0].id)!.type.shape;
        amp.set(n.id, inAmp().map((a) => a / (h * w)));
        break;
      }
      case 'flatten':
      case 'reshape': {
        const a = inAmp();
        const src = byId.get(n.inputs[0].id)!.type.shape;
        const per = src.slice(2).reduce((x, y) => x * y, 1);
        const f = channels(n.type);
        if (n.type.shape.length === 2 && src.length === 4) amp.set(n.id, Float64Array.from({ length: f }, (_, i) => a[Math.floor(i / per)]));
        else amp.set(n.id, a);
        break;
      }
      case 'concat': {
        const parts = n.inputs.map((_, i) => inAmp(i));
        const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
        let at = 0;
        for (const p of parts) {
          out.set(p, at);
          at += p.length;
        }
        amp.set(n.id, out);
        break;
      }
      case 'conv2d':
      case 'dense':
      case 'add':
      case 'synapse':
        break;
      default:
        throw new SnncError('SNN0202', `op '${n.op}' has no integer form`, where);
    }
  }
  return { amp, accs, accOf, accByNode };
}

/** A projection's weights with its input's amplitude folded in: W[r, k] · a_in(k), row-major [rows, per]. */
export interface EffectiveWeights {
  readonly rows: number;
  /** Fan-in of a row. */
  readonly per: number;
  at(r: number, k: number): number;
}

export function effectiveWeights(g: Graph, leaf: Node, amp: ReadonlyMap<string, Amp>): EffectiveWeights {
  const inA = amp.get(leaf.inputs[0].id);
  if (!inA) {
    const src = g.nodes.find((n) => n.id === leaf.inputs[0].id)!;
    const what = src.op === 'synapse' ? 'a synaptic current' : `a current (${src.op} %${src.id}, with no neuron population after it: a linear layer such as MobileNet's linear bottleneck)`;
    throw new SnncError('SNN0202', `%${leaf.id} reads ${what}; an integer projection reads spikes or the input`, whereOf(leaf));
  }
  const w = g.consts.get(leaf.inputs[1].id)!.data as Float32Array;
  const shape = g.consts.get(leaf.inputs[1].id)!.type.shape;
  const rows = shape[0];
  const per = w.length / rows;
  if (leaf.op === 'dense') return { rows, per, at: (r, k) => w[r * per + k] * inA[k] };
  const kk = shape[2] * shape[3];
  const Cg = shape[1];
  const Og = rows / attrNum(leaf, 'group');
  return { rows, per, at: (r, k) => w[r * per + k] * inA[Math.floor(r / Og) * Cg + Math.floor(k / kk)] };
}
