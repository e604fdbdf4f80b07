/**
 * An independent count of spikes and synaptic operations: plain loops over the values each node
 * held at each step (read from the interpreter after the step) and over the weight tensors'
 * geometry. It shares nothing with src/energy/activity.ts or the engine's fan-out tables.
 */
import type { FixedInterpreter } from '../../ir/interp-fixed.js';
import { runSteps } from '../../ir/tpp.js';
import type { Graph, Node } from '../../ir/types.js';

const ints = (n: Node, k: string, d: number[]): number[] => (Array.isArray(n.attrs[k]) ? (n.attrs[k] as number[]) : d);

/** Output positions reached by input (y, x) along one axis per kernel tap: taps k with (y + pad - k·dil) / stride an integer in [0, out). */
function reached(y: number, pad: number, k: number, dil: number, stride: number, out: number): number {
  let n = 0;
  for (let t = 0; t < k; t++) {
    const q = y + pad - t * dil;
    if (q >= 0 && q % stride === 0 && q / stride < out) n++;
  }
  return n;
}

export interface BruteCounts {
  /** node id -> per step, summed over the samples. */
  readonly sops: Map<string, number[]>;
  readonly spikes: Map<string, number[]>;
}

export function bruteForceCounts(g: Graph, interp: FixedInterpreter, samples: Int32Array, count: number): BruteCounts {
  const T = runSteps(g); // global steps of one inference (the layer-major schedule's whole length)
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const isStatic = new Set<string>();
  for (const n of g.nodes) {
    const stateful = ['if', 'readout', 'spikemaxpool', 'delay'].includes(n.op);
    if (n.op === 'input' || (!stateful && n.inputs.every((r) => r.kind === 'const' || isStatic.has(r.id)))) isStatic.add(n.id);
  }
  const sops = new Map<string, number[]>();
  const spikes = new Map<string, number[]>();
  const size = numelOf(g.nodes.find((n) => n.op === 'input')!);
  for (let s = 0; s < count; s++) {
    interp.run(samples, s * size, (t) => {
      const value = (id: string): Float64Array => interp.engine.read(id) as Float64Array;
      for (const n of g.nodes) {
        if (isStatic.has(n.id)) continue;
        if (n.op === 'if') add(spikes, n.id, T, t, nonzero(value(n.id)));
        const x = n.inputs[0]?.kind === 'value' ? byId.get(n.inputs[0].id)! : undefined;
        if (!x) continue;
        const sops1 = sopsOf(g, n, x, value(x.id));
        if (sops1 !== undefined) add(sops, n.id, T, t, sops1);
      }
    });
  }
  return { sops, spikes };
}

function numelOf(n: Node): number {
  return n.type.shape.slice(1).reduce((a, b) => a * b, 1);
}

function nonzero(v: Float64Array): number {
  let k = 0;
  for (const x of v) if (x !== 0) k++;
  return k;
}

function add(m: Map<string, number[]>, id: string, T: number, t: number, v: number): void {
  if (!m.has(id)) m.set(id, new Array<number>(T).fill(0));
  m.get(id)![t - 1] += v;
}

/** SOPs of node n this step from its input values v (NCHW), or undefined for a node that makes none. */
function sopsOf(g: Graph, n: Node, x: Node, v: Float64Array): number | undefined {
  const xs = x.type.shape.slice(1);
  const [C, H, W] = xs.length === 3 ? xs : [xs[0], 1, 1];
  const forEachEvent = (f: (c: number, y: number, xx: number) => number): number => {
    let total = 0;
    for (let c = 0; c < C; c++) for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) if (v[(c * H + y) * W + xx] !== 0) total += f(c, y, xx);
    return total;
  };
  switch (n.op) {
    case 'conv2d': {
      const w = g.consts.get(n.inputs[1].id)!.type.shape;
      const [O, , kh, kw] = w;
      const group = typeof n.attrs.group === 'number' ? n.attrs.group : 1;
      const [sh, sw] = ints(n, 'strides', [1, 1]);
      const [pt, pl] = ints(n, 'pads', [0, 0, 0, 0]);
      const [dh, dw] = ints(n, 'dilations', [1, 1]);
      const [Ho, Wo] = n.type.shape.slice(2);
      return forEachEvent((_c, y, xx) => (O / group) * reached(y, pt, kh, dh, sh, Ho) * reached(xx, pl, kw, dw, sw, Wo));
    }
    case 'dense':
      return forEachEvent(() => n.type.shape[1]);
    case 'avgpool2d':
    case 'sumpool2d':
    case 'maxpool2d':
    case 'spikemaxpool': {
      const [kh, kw] = ints(n, 'kernel', []);
      const [sh, sw] = ints(n, 'strides', [1, 1]);
      const [pt, pl] = ints(n, 'pads', [0, 0, 0, 0]);
      const [Ho, Wo] = n.type.shape.slice(2);
      return forEachEvent((_c, y, xx) => reached(y, pt, kh, 1, sh, Ho) * reached(xx, pl, kw, 1, sw, Wo));
    }
    case 'globalavgpool':
    case 'globalsumpool':
    case 'mul':
      return forEachEvent(() => 1);
    default:
      return undefined;
  }
}
