/**
 * Seeded generator of random snn-fixed graphs for differential testing (interpreter vs C):
 * convolutions (groups, strides, pads, dilations, odd shapes), dense layers, sum / max / gated
 * max pooling, residual adds with identity shortcuts, channel concats, global pooling; integer
 * weights of 2..16 bits including the extremes; thresholds from 1 to large; bias tables with
 * 1, 2 or T rows, per channel or per neuron; narrow accumulators and membranes so that values
 * saturate or wrap; subtract / zero reset; shift and multiply leaks with every rounding; static
 * inputs and temporal ones (one frame per step).
 */
import { GraphBuilder } from '../../ir/builder.js';
import { windowOut } from '../../ir/shape.js';
import { BATCH, type Graph, type Ref, type TensorType } from '../../ir/types.js';
import { tightenDtypes } from '../../src/passes/quantize.js';
import { requiredWindows } from '../../ir/tpp.js';
import { Rng } from '../../src/util/rng.js';

export { Rng };

interface Val {
  ref: Ref;
  /** Per-sample shape: [C, H, W] or [F]. */
  shape: number[];
  /** Spikes / events (can be projected) or a current (must reach a population). */
  events: boolean;
  /** A flattened map with H·W > 1: only a dense layer may read it (ir/spiking-rules.ts). */
  flatMap?: boolean;
}

export interface RandomGraph {
  readonly graph: Graph;
  readonly seed: number;
}

export function randomGraph(seed: number): RandomGraph {
  const r = new Rng(seed);
  const T = r.int(1, 12);
  const b = new GraphBuilder(`rand${seed}`, 'snn-fixed', T);
  const inBits = r.pick([4, 8, 8, 12]);
  const inSigned = r.chance(0.4);
  const type = (shape: number[], dtype = 'i64'): TensorType => ({ dtype, shape: [BATCH, ...shape] });

  const weights = (hint: string, shape: number[]): Ref => {
    const bits = r.pick([2, 3, 4, 8, 8, 8, 12, 16]);
    const max = 2 ** (bits - 1) - 1;
    const n = shape.reduce((a, c) => a * c, 1);
    const data = Int32Array.from({ length: n }, () => (r.chance(0.1) ? r.pick([max, -max, -max - 1, 0]) : r.int(-max, max)));
    return { kind: 'const', id: b.constant(hint, { dtype: `i${bits}`, shape }, data) };
  };

  const population = (x: Val, hint: string): Val => {
    const C = x.shape[0];
    const size = x.shape.reduce((a, c) => a * c, 1);
    const accbits = r.pick([10, 12, 16, 20, 24, 32]);
    const vbits = r.pick([8, 10, 12, 16, 24]);
    const vmax = 2 ** (vbits - 1) - 1;
    const thShape = x.shape.length === 3 && r.chance(0.25) ? x.shape : [C]; // per neuron or per channel
    const th = Float64Array.from({ length: thShape.reduce((a, c) => a * c, 1) }, () => (r.chance(0.2) ? 1 : r.int(1, Math.min(vmax, r.pick([4, 50, 500, 5000, vmax])))));
    const attrs: Record<string, import('../../ir/types.js').AttrValue> = {
      threshold: r.chance(0.3) ? th[0] : { const: b.constant(`${hint}.theta`, { dtype: 'i32', shape: thShape }, Int32Array.from(th)) },
      reset: r.pick(['subtract', 'zero']),
      accbits,
      vbits,
      overflow: r.pick(['saturate', 'wrap']),
    };
    if (r.chance(0.7)) {
      const rows = r.pick([1, Math.min(2, T), T]);
      const perNeuron = r.chance(0.25) && x.shape.length === 3;
      const width = perNeuron ? size : C;
      const bmax = 2 ** r.int(2, 14);
      const data = Int32Array.from({ length: rows * width }, () => r.int(-bmax, bmax));
      attrs.bias = { const: b.constant(`${hint}.bias`, { dtype: 'i32', shape: perNeuron ? [rows, ...x.shape] : [rows, C] }, data) };
    }
    const leak = r.pick(['none', 'none', 'shift', 'mul']);
    if (leak !== 'none') {
      attrs.leak = leak;
      attrs.leakshift = r.int(0, 8);
      attrs.round = r.pick(['floor', 'trunc', 'half-up']);
      if (leak === 'mul') {
        attrs.leakmul = r.int(0, 300);
        // a multiplier per channel or per neuron now and then (drawn apart, so the other draws stay as they were)
        const side = new Rng(seed ^ (0x1eaf + b.nodes.length));
        if (side.chance(0.4)) {
          const n = side.chance(0.5) ? C : size;
          attrs.leakmul = { const: b.constant(`${hint}.leakmul`, { dtype: 'i16', shape: [n] }, Int32Array.from({ length: n }, () => side.int(0, 300))) };
        }
      }
    }
    const n = b.node(hint, 'if', [x.ref], attrs, type(x.shape, 'u1'));
    return { ref: { kind: 'value', id: n.id }, shape: x.shape, events: true };
  };

  const conv = (x: Val, hint: string): Val => {
    const [C, H, W] = x.shape;
    const groups = [1, 2, 3, 4].filter((g) => C % g === 0);
    const G = r.pick(groups);
    const Og = r.int(1, 4);
    const O = G * Og;
    const kh = r.int(1, Math.min(3, H + 1));
    const kw = r.int(1, Math.min(3, W + 1));
    const dh = kh > 1 && r.chance(0.2) ? 2 : 1;
    const dw = kw > 1 && r.chance(0.2) ? 2 : 1;
    const spanH = dh * (kh - 1) + 1;
    const spanW = dw * (kw - 1) + 1;
    const pads = [r.int(0, spanH - 1), r.int(0, spanW - 1), r.int(0, spanH - 1), r.int(0, spanW - 1)];
    const strides = [r.int(1, 2), r.int(1, 2)];
    const Ho = windowOut(H, kh, strides[0], pads[0], pads[2], dh);
    const Wo = windowOut(W, kw, strides[1], pads[1], pads[3], dw);
    if (Ho < 1 || Wo < 1) return x;
    const w = weights(`${hint}.w`, [O, C / G, kh, kw]);
    const n = b.node(hint, 'conv2d', [x.ref, w], { strides, pads, dilations: [dh, dw], group: G }, type([O, Ho, Wo]));
    return { ref: { kind: 'value', id: n.id }, shape: [O, Ho, Wo], events: false };
  };

  const dense = (x: Val, hint: string, M = r.int(1, 12)): Val => {
    const w = weights(`${hint}.w`, [M, x.shape[0]]);
    const n = b.node(hint, 'dense', [x.ref, w], {}, type([M]));
    return { ref: { kind: 'value', id: n.id }, shape: [M], events: false };
  };

  const shortcut = (x: Val, hint: string): Val => {
    const C = x.shape[0];
    const k = { kind: 'const' as const, id: b.constant(`${hint}.k`, { dtype: 'i16', shape: x.shape.length === 3 ? [C, 1, 1] : [C] }, Int32Array.from({ length: C }, () => r.int(-300, 300))) };
    const n = b.node(hint, 'mul', [x.ref, k], {}, type(x.shape));
    return { ref: { kind: 'value', id: n.id }, shape: x.shape, events: false };
  };

  const pool = (x: Val, hint: string): Val => {
    const [C, H, W] = x.shape;
    const kh = r.int(1, Math.min(3, H));
    const kw = r.int(1, Math.min(3, W));
    const strides = [r.int(1, 2), r.int(1, 2)];
    const inDtype = b.nodes.find((m) => m.id === x.ref.id)!.type.dtype;
    // the gated max pool counts spikes: it reads u1 values only
    const kind = r.pick(inDtype === 'u1' ? ['sumpool2d', 'maxpool2d', 'spikemaxpool'] : ['sumpool2d', 'maxpool2d']);
    const pads = kind === 'maxpool2d' || kind === 'sumpool2d' ? [r.int(0, kh - 1), r.int(0, kw - 1), r.int(0, kh - 1), r.int(0, kw - 1)] : [0, 0, 0, 0];
    const Ho = windowOut(H, kh, strides[0], pads[0], pads[2]);
    const Wo = windowOut(W, kw, strides[1], pads[1], pads[3]);
    if (Ho < 1 || Wo < 1) return x;
    const attrs: Record<string, import('../../ir/types.js').AttrValue> = { kernel: [kh, kw], strides, pads };
    if (kind === 'maxpool2d') Object.assign(attrs, { dilations: [1, 1], ceilMode: false });
    const n = b.node(hint, kind, [x.ref], attrs, type([C, Ho, Wo], kind === 'spikemaxpool' ? 'u1' : kind === 'maxpool2d' ? inDtype : 'i64'));
    return { ref: { kind: 'value', id: n.id }, shape: [C, Ho, Wo], events: true };
  };

  // input
  const spatial = r.chance(0.8);
  const C0 = r.int(1, 4);
  const inShape = spatial ? [C0, r.int(1, 9), r.int(1, 9)] : [r.int(1, 20)];
  // a third of the graphs take one input frame per step (drawn apart, so the other draws stay as they were)
  const temporal = new Rng(seed ^ 0x7e3a11).chance(0.3);
  const inNode = b.node('input', 'input', [], { scale: 1 / 255, ...(temporal ? { temporal: true } : {}) }, type(inShape, `${inSigned ? 'i' : 'u'}${inBits}`));
  let x: Val = { ref: { kind: 'value', id: inNode.id }, shape: inShape, events: true };

  const layers = r.int(1, 4);
  for (let l = 0; l < layers; l++) {
    if (x.shape.length === 3) {
      const choice = r.int(0, 5);
      if (choice <= 1) x = population(conv(x, `conv${l}`), `pop${l}`);
      else if (choice === 2) {
        // residual: conv (same shape, stride 1, same padding) + identity shortcut
        const [C, H, W] = x.shape;
        const w = weights(`res${l}.w`, [C, C, 3, 3]);
        const c = b.node(`res${l}`, 'conv2d', [x.ref, w], { strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1 }, type([C, H, W]));
        const s = shortcut(x, `short${l}`);
        const a = b.node(`sum${l}`, 'add', [{ kind: 'value', id: c.id }, s.ref], {}, type([C, H, W]));
        x = population({ ref: { kind: 'value', id: a.id }, shape: [C, H, W], events: false }, `pop${l}`);
      } else if (choice === 3) {
        const y1 = population(conv(x, `ca${l}`), `pa${l}`);
        const y2 = population(conv(x, `cb${l}`), `pb${l}`);
        if (y1.shape[1] === y2.shape[1] && y1.shape[2] === y2.shape[2]) {
          const shape = [y1.shape[0] + y2.shape[0], y1.shape[1], y1.shape[2]];
          const n = b.node(`cat${l}`, 'concat', [y1.ref, y2.ref], { axis: 1 }, type(shape, 'u1'));
          x = { ref: { kind: 'value', id: n.id }, shape, events: true };
        } else x = y1;
      } else if (choice === 4) x = pool(x, `pool${l}`);
      else {
        const n = b.node(`gpool${l}`, 'globalsumpool', [x.ref], {}, type([x.shape[0], 1, 1]));
        x = { ref: { kind: 'value', id: n.id }, shape: [x.shape[0], 1, 1], events: true };
      }
    }
    if (x.shape.length === 3 && r.chance(0.3)) {
      const F = x.shape.reduce((a, c) => a * c, 1);
      const n = b.node(`flat${l}`, 'flatten', [x.ref], { axis: 1 }, type([F], b.nodes.find((m) => m.id === x.ref.id)!.type.dtype));
      x = { ref: { kind: 'value', id: n.id }, shape: [F], events: true, flatMap: x.shape[1] * x.shape[2] > 1 };
    }
    if (x.shape.length === 1) x = population(dense(x, `fc${l}`), `fpop${l}`);
  }
  if (x.shape.length === 3) {
    const F = x.shape.reduce((a, c) => a * c, 1);
    const n = b.node('flat_out', 'flatten', [x.ref], { axis: 1 }, type([F], b.nodes.find((m) => m.id === x.ref.id)!.type.dtype));
    x = { ref: { kind: 'value', id: n.id }, shape: [F], events: true, flatMap: x.shape[1] * x.shape[2] > 1 };
  }
  const cur = x.flatMap || r.chance(0.8) ? dense(x, 'head', r.int(1, 10)) : shortcut(x, 'head_k');
  const attrs: Record<string, import('../../ir/types.js').AttrValue> = { sumbits: r.pick([16, 24, 32, 40]), overflow: r.pick(['saturate', 'wrap']), scale: 0.001 };
  if (r.chance(0.5)) {
    const rows = r.pick([1, Math.min(2, T), T]);
    const data = Int32Array.from({ length: rows * cur.shape[0] }, () => r.int(-1000, 1000));
    attrs.bias = { const: b.constant('head.bias', { dtype: 'i32', shape: [rows, cur.shape[0]] }, data) };
  }
  const out = b.node('out', 'readout', [cur.ref], attrs, type(cur.shape, `i${attrs.sumbits}`));
  b.outputs = [out.id];
  return { graph: tightenDtypes(b.build()), seed };
}

/** Random integer samples in the graph's input range. */
export function randomSamples(g: Graph, count: number, seed: number): { count: number; size: number; data: Int32Array } {
  const r = new Rng(seed ^ 0x5bd1e995);
  const input = g.nodes.find((n) => n.op === 'input')!;
  const size = input.type.shape.slice(1).reduce((a, c) => a * c, 1) * (input.attrs.temporal === true ? g.steps! : 1);
  const bits = Number(input.type.dtype.slice(1));
  const signed = input.type.dtype.startsWith('i');
  const lo = signed ? -(2 ** (bits - 1)) : 0;
  const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const data = Int32Array.from({ length: count * size }, () => (r.chance(0.3) ? 0 : r.chance(0.1) ? r.pick([lo, hi]) : r.int(lo, hi)));
  return { count, size, data };
}

/**
 * The random graph made layer-major: every population a TPP population (rule, seed and key
 * drawn from `seed`), no leak, reset by subtraction, windows from the schedule. Undefined when
 * the graph has no layer-major form (a temporal input, or the analog input reaching a deeper
 * population through a shortcut).
 */
export function asLayerMajor(g: Graph, seed: number): Graph | undefined {
  const r = new Rng(seed ^ 0x7ee);
  if (g.nodes.some((n) => n.op === 'input' && n.attrs.temporal === true) || !g.nodes.some((n) => n.op === 'if')) return undefined;
  let key = 0;
  const nodes = g.nodes.map((n) => {
    if (n.op !== 'if') return n;
    const { leak: _l, leakshift: _s, leakmul: _m, round: _r, ...rest } = n.attrs;
    return { ...n, attrs: { ...rest, reset: 'subtract', tpp: r.pick(['remaining', 'iid', 'round']), seed: r.int(0, 2 ** 31) * 2 + r.int(0, 1), key: key++ } };
  });
  const tpp: Graph = { ...g, nodes };
  const { windows, problems } = requiredWindows(tpp);
  if (problems.length) return undefined;
  return { ...tpp, nodes: tpp.nodes.map((n) => (windows.has(n.id) ? { ...n, attrs: { ...n.attrs, window: windows.get(n.id)! } } : n)) };
}
