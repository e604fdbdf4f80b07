/**
 * Worst-case interval analysis of an snn-fixed graph: for every value, an inclusive [min, max]
 * that no input of the declared input dtype can leave. Projections take, per output channel, the
 * sum of the extreme products over the fan-in (plus the bias), so the bound is tight for a
 * single channel and the tensor bound is the hull over channels.
 *
 * Used by the verifier (every value fits its dtype and stays below 2^53, so the JS interpreter
 * is exact), by the quantizer's headroom report, and by the C emitter to pick int32 or int64.
 */
import { intRange, type Graph, type Node } from './types.js';
import { attrInts } from './ops.js';

export interface Interval {
  readonly min: number;
  readonly max: number;
}

function projectionRange(g: Graph, node: Node, x: Interval, rows: number, rowLen: number): Interval {
  const w = g.consts.get(node.inputs[1].id)!.data;
  const b = node.inputs[2] ? g.consts.get(node.inputs[2].id)!.data : undefined;
  let min = Infinity;
  let max = -Infinity;
  for (let o = 0; o < rows; o++) {
    let lo = b ? b[o] : 0;
    let hi = lo;
    for (let k = o * rowLen, end = k + rowLen; k < end; k++) {
      const a = w[k] * x.min;
      const c = w[k] * x.max;
      lo += Math.min(a, c);
      hi += Math.max(a, c);
    }
    min = Math.min(min, lo);
    max = Math.max(max, hi);
  }
  return { min, max };
}

export function computeRanges(g: Graph): Map<string, Interval> {
  const r = new Map<string, Interval>();
  const shapes = new Map(g.nodes.map((n) => [n.id, n.type.shape]));
  const get = (node: Node, i: number): Interval => {
    const ref = node.inputs[i];
    if (ref.kind === 'const') {
      const d = g.consts.get(ref.id)!.data;
      let min = Infinity;
      let max = -Infinity;
      for (const v of d) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      return { min, max };
    }
    return r.get(ref.id)!;
  };
  for (const node of g.nodes) {
    let out: Interval;
    switch (node.op) {
      case 'input':
        out = intRange(node.type.dtype);
        break;
      case 'conv2d': {
        const w = g.consts.get(node.inputs[1].id)!;
        out = projectionRange(g, node, get(node, 0), w.type.shape[0], w.data.length / w.type.shape[0]);
        break;
      }
      case 'dense': {
        const w = g.consts.get(node.inputs[1].id)!;
        out = projectionRange(g, node, get(node, 0), w.type.shape[0], w.type.shape[1]);
        break;
      }
      case 'add': {
        const a = get(node, 0);
        const b = get(node, 1);
        out = { min: a.min + b.min, max: a.max + b.max };
        break;
      }
      case 'mul': {
        const a = get(node, 0);
        const b = get(node, 1);
        const p = [a.min * b.min, a.min * b.max, a.max * b.min, a.max * b.max];
        out = { min: Math.min(...p), max: Math.max(...p) };
        break;
      }
      case 'sumpool2d':
      case 'globalsumpool': {
        const x = get(node, 0);
        const [, , h, w] = shapes.get(node.inputs[0].id)!;
        const k = node.op === 'sumpool2d' ? attrInts(node, 'kernel').reduce((a, b) => a * b, 1) : h * w;
        out = { min: k * Math.min(x.min, 0), max: k * Math.max(x.max, 0) };
        break;
      }
      case 'if':
      case 'spikemaxpool':
        out = { min: 0, max: 1 };
        break;
      case 'readout':
        out = intRange(`i${node.attrs.sumbits as number}`);
        break;
      case 'synapse':
        out = intRange(`i${node.attrs.ibits as number}`);
        break;
      case 'delay': {
        // the previous step's value, or 0 at the first step (a recurrent edge reads spikes: 0 or 1)
        const x = r.has(node.inputs[0].id) ? get(node, 0) : { min: 0, max: 1 };
        out = { min: Math.min(x.min, 0), max: Math.max(x.max, 0) };
        break;
      }
      default: {
        // Data movement (flatten, reshape, concat, maxpool2d): the hull of the operands.
        let min = Infinity;
        let max = -Infinity;
        for (let i = 0; i < node.inputs.length; i++) {
          const x = get(node, i);
          min = Math.min(min, x.min);
          max = Math.max(max, x.max);
        }
        out = { min, max };
      }
    }
    r.set(node.id, out);
  }
  return r;
}
