/**
 * Execution plan of a spiking graph (snn-float or snn-fixed) for one sample at a time.
 *
 * Layout: every per-sample tensor of rank 3 ([C, H, W]) is stored channel-last (HWC) so that
 * the fan-out of one event touches contiguous memory; rank-1 tensors ([F]) are stored as is
 * (C = F, H = W = 1). Weights are re-laid out once here: convolutions as [c][ky][kx][o-in-group],
 * dense layers as [k][m] with k in the HWC order of a flattened producer. The semantics stay
 * those of the NCHW graph; `toHwc` / `fromHwc` convert at the edges.
 *
 * Nodes whose operands are all static (depend only on the input, hold no state) are computed
 * once per sample; the rest run at every step in graph order.
 */
import { attrBool, attrInt, attrInts } from '../ops.js';
import { windowOut } from '../shape.js';
import { SnncError } from '../diagnostics.js';
import { spikingRuleViolations } from '../spiking-rules.js';
import type { Graph, Node } from '../types.js';
import { Arena } from './arena.js';

/**
 * Values of a spiking stage: float32 at snn-float (the float simulation computes in single
 * precision, like the frameworks it is compared with), float64 at snn-fixed (exact integers).
 */
export type Values = Float32Array | Float64Array;

/** Per-sample storage; flatten and reshape share their producer's. */
export interface Store {
  readonly data: Values;
  /** Indices of the nonzero entries this step (valid when `sparse`). */
  readonly ev: Int32Array;
  nev: number;
  /** The producer maintains `ev`; consumers of a dense store scan for nonzeros. */
  sparse: boolean;
}

/** Zero a spike store's last events and leave it sparse and empty (a population about to write this step's spikes). */
export function clearEvents(s: Store): void {
  for (let e = 0; e < s.nev; e++) s.data[s.ev[e]] = 0;
  s.nev = 0;
  s.sparse = true;
}

export interface Buf {
  readonly id: string;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly size: number;
  /** Rank of the per-sample NCHW tensor (1 or 3). */
  readonly rank: number;
  readonly store: Store;
  readonly isStatic: boolean;
  /** For a rank-1 view of a rank-3 producer: the producer's geometry (its storage is HWC). */
  readonly hwcOf?: { readonly C: number; readonly H: number; readonly W: number };
}

export interface WindowGeom {
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly pt: number;
  readonly pl: number;
  readonly dh: number;
  readonly dw: number;
  readonly Ho: number;
  readonly Wo: number;
  /** For each input position (iy*W + ix): the output positions whose windows contain it, fanOut[fanStart[p] .. fanStart[p+1]). */
  readonly fanStart: Int32Array;
  readonly fanOut: Int32Array;
}

/**
 * The fan-out of a convolution as segments: an event at input position p (channel c) adds
 * v · w[c·kk·Og + w[s] + j] to out[out[s] + g(c)·Og + j] for j < len[s], for the segments
 * s of p. Weights are laid out [c][ky][kx reversed][o in group]; with one group and unit
 * stride and dilation along x, the taps of one kernel row reach consecutive output positions
 * and consecutive weight rows, so a row is one segment.
 */
export interface Segments {
  readonly start: Int32Array;
  readonly out: Int32Array;
  readonly w: Int32Array;
  readonly len: Int32Array;
}

/** Projection weights, re-laid out, in the element type of the stage's values. */
export type Weights = Values;

export type PlanOp =
  /**
   * `bias`: the bias of every output (HWC, full size), copied into the output before the events land.
   * `scratch`: for a convolution of one group, room for one position's events (32 bytes each, wasm/kernels.ts convpos).
   */
  | { kind: 'conv'; node: Node; in: Buf; out: Buf; w: Weights; bias?: Values; seg: Segments; kk: number; Cg: number; Og: number; O: number; scratch?: Uint8Array }
  | { kind: 'dense'; node: Node; in: Buf; out: Buf; wT: Weights; bias?: Values; M: number }
  | { kind: 'add'; node: Node; a: Buf; b: Buf; out: Buf }
  | { kind: 'mul'; node: Node; in: Buf; scale: Float64Array; out: Buf }
  | { kind: 'pool'; node: Node; mode: 'avg' | 'sum' | 'max'; in: Buf; out: Buf; geom: WindowGeom; divisor?: Float64Array }
  | { kind: 'gpool'; node: Node; mode: 'avg' | 'sum'; in: Buf; out: Buf }
  /**
   * `counts`: spikes per input so far; `best`: per output (HWC), the input its window passes
   * (HWC index, −1 for an empty window), reset to `first`, the first input of each window.
   */
  | { kind: 'spikemaxpool'; node: Node; in: Buf; out: Buf; geom: WindowGeom; counts: Float64Array; best: Int32Array; first: Int32Array }
  /**
   * `prev`: the input of the last step, the output of this one. A recurrent edge (`back`: the
   * input is computed later in the step) reads the input's buffer before it is overwritten.
   */
  | { kind: 'delay'; node: Node; in: Buf; out: Buf; prev: Values; back: boolean }
  | { kind: 'concat'; node: Node; ins: Buf[]; out: Buf }
  | { kind: 'neuron'; node: Node; in: Buf; out: Buf }
  /** A synaptic current: `out` holds its state i. */
  | { kind: 'synapse'; node: Node; in: Buf; out: Buf }
  | { kind: 'readout'; node: Node; in: Buf; out: Buf };

export interface Plan {
  readonly graph: Graph;
  readonly arena: Arena;
  readonly input: Buf;
  readonly bufs: Map<string, Buf>;
  readonly staticOps: PlanOp[];
  readonly stepOps: PlanOp[];
  readonly outputs: Buf[];
}

/** Per-sample geometry of a value: a map [C,H,W] or a vector [F] (= C) (spiking-rules.ts). */
function geometry(node: Node): { C: number; H: number; W: number; rank: number } {
  const s = node.type.shape.slice(1);
  return s.length === 3 ? { C: s[0], H: s[1], W: s[2], rank: 3 } : { C: s[0], H: 1, W: 1, rank: 1 };
}

function makeBuf(arena: Arena, values: (n: number) => Values, node: Node, isStatic: boolean): Buf {
  const { C, H, W, rank } = geometry(node);
  const size = C * H * W;
  return { id: node.id, C, H, W, size, rank, store: { data: values(size), ev: arena.i32(size), nev: 0, sparse: false }, isStatic };
}

/** The scalars of a window's geometry (kernel, strides, pads, dilations, output size). */
export type WindowShape = Omit<WindowGeom, 'fanStart' | 'fanOut'>;

export function windowShape(H: number, W: number, k: readonly number[], s: readonly number[], p: readonly number[], d: readonly number[], ceilMode: boolean): WindowShape {
  const [kh, kw] = k;
  const [sh, sw] = s;
  const [pt, pl, pb, pr] = p;
  const [dh, dw] = d;
  return { kh, kw, sh, sw, pt, pl, dh, dw, Ho: windowOut(H, kh, sh, pt, pb, dh, ceilMode), Wo: windowOut(W, kw, sw, pl, pr, dw, ceilMode) };
}

/** Window geometry with the precomputed input-position -> output-position fan. */
export function windowGeom(arena: Arena, H: number, W: number, k: readonly number[], s: readonly number[], p: readonly number[], d: readonly number[], ceilMode: boolean): WindowGeom {
  const shape = windowShape(H, W, k, s, p, d, ceilMode);
  const { kh, kw, sh, sw, pt, pl, dh, dw, Ho, Wo } = shape;
  const start = arena.i32(H * W + 1);
  const outs: number[] = [];
  for (let iy = 0; iy < H; iy++) {
    for (let ix = 0; ix < W; ix++) {
      start[iy * W + ix] = outs.length;
      for (let ky = 0; ky < kh; ky++) {
        const ty = iy + pt - ky * dh;
        if (ty < 0 || ty % sh !== 0 || ty / sh >= Ho) continue;
        for (let kx = 0; kx < kw; kx++) {
          const tx = ix + pl - kx * dw;
          if (tx < 0 || tx % sw !== 0 || tx / sw >= Wo) continue;
          outs.push((ty / sh) * Wo + tx / sw);
        }
      }
    }
  }
  start[H * W] = outs.length;
  const fanOut = arena.i32(outs.length);
  fanOut.set(outs);
  return { ...shape, fanStart: start, fanOut };
}

/** Segments of a convolution's fan-out (see Segments). */
export function convSegments(arena: Arena, H: number, W: number, g: WindowShape, O: number, Og: number): Segments {
  const { kh, kw, sh, sw, pt, pl, dh, dw, Ho, Wo } = g;
  const start = arena.i32(H * W + 1);
  const out: number[] = [];
  const wo: number[] = [];
  const len: number[] = [];
  const merge = O === Og && sw === 1 && dw === 1;
  for (let iy = 0; iy < H; iy++) {
    for (let ix = 0; ix < W; ix++) {
      start[iy * W + ix] = out.length;
      for (let ky = 0; ky < kh; ky++) {
        const ty = iy + pt - ky * dh;
        if (ty < 0 || ty % sh !== 0 || ty / sh >= Ho) continue;
        const oy = ty / sh;
        let open = false;
        for (let kr = 0; kr < kw; kr++) {
          const kx = kw - 1 - kr;
          const tx = ix + pl - kx * dw;
          if (tx < 0 || tx % sw !== 0 || tx / sw >= Wo) {
            open = false;
            continue;
          }
          if (merge && open) len[len.length - 1] += Og;
          else {
            out.push((oy * Wo + tx / sw) * O);
            wo.push((ky * kw + kr) * Og);
            len.push(Og);
            open = true;
          }
        }
      }
    }
  }
  start[H * W] = out.length;
  const seg = (xs: number[]): Int32Array => {
    const a = arena.i32(xs.length);
    a.set(xs);
    return a;
  };
  return { start, out: seg(out), w: seg(wo), len: seg(len) };
}

/**
 * Convolution weights [O][Cg][kh][kw] (ONNX order) -> [c][ky][kx reversed][o in group] (Segments),
 * walking the source in order.
 */
function relayoutConv(dst: Weights, src: ArrayLike<number>, G: number, Og: number, Cg: number, kh: number, kw: number): void {
  const kk = kh * kw;
  let i = 0;
  for (let grp = 0; grp < G; grp++) {
    for (let og = 0; og < Og; og++) {
      for (let cl = 0; cl < Cg; cl++) {
        const base = (grp * Cg + cl) * kk;
        for (let ky = 0; ky < kh; ky++) {
          for (let kr = kw - 1; kr >= 0; kr--) dst[(base + ky * kw + kr) * Og + og] = src[i++]; // source kx = kw - 1 - kr
        }
      }
    }
  }
}

/** NCHW (per sample) -> HWC. */
export function toHwc(src: ArrayLike<number>, C: number, H: number, W: number, dst: Values, srcOffset = 0): void {
  const HW = H * W;
  for (let c = 0; c < C; c++) for (let p = 0; p < HW; p++) dst[p * C + c] = src[srcOffset + c * HW + p];
}

/** HWC -> NCHW (per sample). */
export function fromHwc(src: Values, C: number, H: number, W: number, dst: Float64Array | Float32Array | Int32Array, dstOffset = 0): void {
  const HW = H * W;
  for (let c = 0; c < C; c++) for (let p = 0; p < HW; p++) dst[dstOffset + c * HW + p] = src[p * C + c];
}

/** Position in HWC storage of NCHW flat index `i` of a [C,H,W] tensor. */
function hwcIndex(i: number, C: number, HW: number): number {
  const c = Math.floor(i / HW);
  return (i - c * HW) * C + c;
}

/** What planning one node sees: the graph, the arena, the buffers so far, and where its op goes. */
interface Planning {
  readonly g: Graph;
  readonly arena: Arena;
  readonly bufs: Map<string, Buf>;
  /** Float32 storage at snn-float, Float64 (exact integers) at snn-fixed. */
  values(n: number): Values;
  /** A copy of a constant in the stage's storage. */
  consts(id: string): Values;
  /** The node's value is the same at every step (computed once, in staticOps). */
  readonly isStatic: boolean;
  /** The buffer of the node's i-th operand. */
  inBuf(i?: number): Buf;
  /** A new buffer for the node's value. */
  newBuf(isStatic?: boolean): Buf;
  /** Queue the op: once per sample when static, else every step. */
  push(op: PlanOp): void;
  /** Queue the op at every step (stateful ops). */
  pushStep(op: PlanOp): void;
  /** A recurrent edge's delay, whose input is patched once every buffer exists. */
  backEdge(op: Extract<PlanOp, { kind: 'delay' }>): void;
}

type Planner = (p: Planning, node: Node) => void;

/** Data movement only: the result shares the producer's storage (HWC order when 3-D). */
const planView: Planner = (p, node) => {
  const src = p.inBuf();
  const { rank } = geometry(node);
  const hwcOf = src.rank === 3 ? { C: src.C, H: src.H, W: src.W } : src.hwcOf;
  const view: Buf = rank === 3 ? { ...src, id: node.id } : { id: node.id, C: src.size, H: 1, W: 1, size: src.size, rank: 1, store: src.store, isStatic: src.isStatic, ...(hwcOf ? { hwcOf } : {}) };
  p.bufs.set(node.id, view);
};

const planConv: Planner = (p, node) => {
  const { arena } = p;
  const src = p.inBuf();
  const out = p.newBuf();
  const wc = p.g.consts.get(node.inputs[1].id)!;
  const [O, Cg, kh, kw] = wc.type.shape;
  const G = attrInt(node, 'group');
  const Og = O / G;
  const w: Weights = p.values(src.C * kh * kw * Og);
  if (!arena.counting) relayoutConv(w, wc.data, G, Og, Cg, kh, kw);
  const geom = windowShape(src.H, src.W, [kh, kw], attrInts(node, 'strides'), attrInts(node, 'pads'), attrInts(node, 'dilations'), false);
  const seg = convSegments(arena, src.H, src.W, geom, O, Og);
  p.bufs.set(node.id, out);
  let bias: Values | undefined;
  if (node.inputs[2]) {
    const b = p.g.consts.get(node.inputs[2].id)!.data;
    bias = p.values(out.size);
    for (let q = 0; q < (arena.counting ? 0 : out.size); q += O) for (let o = 0; o < O; o++) bias[q + o] = b[o];
  }
  const scratch = G === 1 ? arena.u8(32 * src.C) : undefined;
  p.push({ kind: 'conv', node, in: src, out, w, ...(bias ? { bias } : {}), seg, kk: kh * kw, Cg, Og, O, ...(scratch ? { scratch } : {}) });
};

const planDense: Planner = (p, node) => {
  const src = p.inBuf();
  const out = p.newBuf();
  const wc = p.g.consts.get(node.inputs[1].id)!;
  const [M, K] = wc.type.shape;
  // A flattened rank-3 producer stores its features in HWC order: permute the columns.
  const from = src.hwcOf;
  const wT: Weights = p.values(K * M);
  for (let k = 0; k < (p.arena.counting ? 0 : K); k++) {
    const kk = from ? hwcIndex(k, from.C, from.H * from.W) : k;
    for (let m = 0; m < M; m++) wT[kk * M + m] = wc.data[m * K + k];
  }
  p.bufs.set(node.id, out);
  p.push({ kind: 'dense', node, in: src, out, wT, ...(node.inputs[2] ? { bias: p.consts(node.inputs[2].id) } : {}), M });
};

const planAdd: Planner = (p, node) => {
  const out = p.newBuf();
  p.bufs.set(node.id, out);
  p.push({ kind: 'add', node, a: p.inBuf(0), b: p.inBuf(1), out });
};

const planMul: Planner = (p, node) => {
  const src = p.inBuf();
  const c = p.consts(node.inputs[1].id);
  const scale = Float64Array.from(c.length === 1 ? new Array<number>(src.C).fill(c[0]) : c);
  const out = p.newBuf();
  p.bufs.set(node.id, out);
  p.push({ kind: 'mul', node, in: src, scale, out });
};

const planPool: Planner = (p, node) => {
  const src = p.inBuf();
  const out = p.newBuf();
  const ceil = node.op !== 'sumpool2d' && attrBool(node, 'ceilMode');
  const geom = windowGeom(p.arena, src.H, src.W, attrInts(node, 'kernel'), attrInts(node, 'strides'), attrInts(node, 'pads'), node.op === 'maxpool2d' ? attrInts(node, 'dilations') : [1, 1], ceil);
  const divisor = node.op === 'avgpool2d' ? averageDivisor(node, src, geom) : undefined;
  p.bufs.set(node.id, out);
  p.push({ kind: 'pool', node, mode: node.op === 'avgpool2d' ? 'avg' : node.op === 'sumpool2d' ? 'sum' : 'max', in: src, out, geom, ...(divisor ? { divisor } : {}) });
};

/** ONNX Runtime's average-pool divisor per output position: positions inside the input, or inside the padded input when countIncludePad. */
function averageDivisor(node: Node, src: Buf, geom: WindowGeom): Float64Array {
  const [pt, pl, pb, pr] = attrInts(node, 'pads');
  const incl = attrBool(node, 'countIncludePad');
  const divisor = new Float64Array(geom.Ho * geom.Wo);
  for (let oy = 0; oy < geom.Ho; oy++) {
    for (let ox = 0; ox < geom.Wo; ox++) {
      const y0 = oy * geom.sh - pt;
      const x0 = ox * geom.sw - pl;
      const y1 = Math.min(y0 + geom.kh, src.H + pb);
      const x1 = Math.min(x0 + geom.kw, src.W + pr);
      divisor[oy * geom.Wo + ox] = incl ? (y1 - y0) * (x1 - x0) : (Math.min(y1, src.H) - Math.max(y0, 0)) * (Math.min(x1, src.W) - Math.max(x0, 0));
    }
  }
  return divisor;
}

const planGlobalPool: Planner = (p, node) => {
  const out = p.newBuf();
  p.bufs.set(node.id, out);
  p.push({ kind: 'gpool', node, mode: node.op === 'globalavgpool' ? 'avg' : 'sum', in: p.inBuf(), out });
};

/** The gated max pool: per window, the input position with the most spikes so far (the first position on ties). */
const planSpikeMaxPool: Planner = (p, node) => {
  const { arena } = p;
  const src = p.inBuf();
  const out = p.newBuf(false);
  const geom = windowGeom(arena, src.H, src.W, attrInts(node, 'kernel'), attrInts(node, 'strides'), attrInts(node, 'pads'), [1, 1], false);
  p.bufs.set(node.id, out);
  const first = arena.i32(out.size).fill(-1);
  for (let q = arena.counting ? -1 : src.H * src.W - 1; q >= 0; q--) {
    for (let f = geom.fanStart[q]; f < geom.fanStart[q + 1]; f++) for (let c = 0; c < src.C; c++) first[geom.fanOut[f] * src.C + c] = q * src.C + c;
  }
  p.pushStep({ kind: 'spikemaxpool', node, in: src, out, geom, counts: arena.f64(src.size), best: arena.i32(out.size), first });
};

const planDelay: Planner = (p, node) => {
  const src = p.bufs.get(node.inputs[0].id);
  const out = p.newBuf(false);
  p.bufs.set(node.id, out);
  if (src) p.pushStep({ kind: 'delay', node, in: src, out, prev: p.values(src.size), back: false });
  else {
    // a recurrent edge: its input comes later in the step (patched once every buffer exists)
    const op: Extract<PlanOp, { kind: 'delay' }> = { kind: 'delay', node, in: out, out, prev: p.values(0), back: true };
    p.backEdge(op);
    p.pushStep(op);
  }
};

const planConcat: Planner = (p, node) => {
  const ins = node.inputs.map((r) => p.bufs.get(r.id)!);
  const out = p.newBuf();
  p.bufs.set(node.id, out);
  p.push({ kind: 'concat', node, ins, out });
};

/** A stateful unit (population, readout, synaptic current): a step op on its own buffer. */
const planUnit =
  (kind: 'neuron' | 'readout' | 'synapse'): Planner =>
  (p, node) => {
    const out = p.newBuf(false);
    p.bufs.set(node.id, out);
    p.pushStep({ kind, node, in: p.inBuf(), out });
  };

const PLANNERS: Readonly<Record<string, Planner>> = {
  flatten: planView,
  reshape: planView,
  conv2d: planConv,
  dense: planDense,
  add: planAdd,
  mul: planMul,
  avgpool2d: planPool,
  sumpool2d: planPool,
  maxpool2d: planPool,
  globalavgpool: planGlobalPool,
  globalsumpool: planGlobalPool,
  spikemaxpool: planSpikeMaxPool,
  delay: planDelay,
  concat: planConcat,
  if: planUnit('neuron'),
  readout: planUnit('readout'),
  synapse: planUnit('synapse'),
};

const STATEFUL = new Set(['if', 'readout', 'spikemaxpool', 'delay', 'synapse']);

/** The plan of `g` with every buffer in `arena` (see arena.ts for the two-pass sizing). */
export function buildPlan(g: Graph, arena: Arena): Plan {
  const violation = spikingRuleViolations(g)[0];
  if (violation) throw new SnncError('SNN0113', violation.message, violation.where);
  const bufs = new Map<string, Buf>();
  const staticOps: PlanOp[] = [];
  const stepOps: PlanOp[] = [];
  const values = (n: number): Values => (g.stage === 'snn-float' ? arena.f32(n) : arena.f64(n));
  const consts = (id: string): Values => {
    const d = g.consts.get(id)!.data;
    const a = values(d.length);
    a.set(d);
    return a;
  };
  const isStatic = new Set<string>();
  const backEdges: Extract<PlanOp, { kind: 'delay' }>[] = [];
  let input: Buf | undefined;

  for (const node of g.nodes) {
    const vin = node.inputs.filter((r) => r.kind === 'value').map((r) => r.id);
    // a temporal input changes at every step, and with it everything computed from it
    const st = node.op === 'input' ? node.attrs.temporal !== true : !STATEFUL.has(node.op) && vin.every((id) => isStatic.has(id));
    if (st) isStatic.add(node.id);
    if (node.op === 'input') {
      input = makeBuf(arena, values, node, st);
      bufs.set(node.id, input);
      continue;
    }
    const planner = PLANNERS[node.op];
    if (!planner) throw new Error(`internal: op '${node.op}' at stage ${g.stage} has no spiking kernel (the verifier's op table allows it)`);
    planner(
      {
        g,
        arena,
        bufs,
        values,
        consts,
        isStatic: st,
        inBuf: (i = 0) => bufs.get(node.inputs[i].id)!,
        newBuf: (stat = st) => makeBuf(arena, values, node, stat),
        push: (op) => (st ? staticOps : stepOps).push(op),
        pushStep: (op) => stepOps.push(op),
        backEdge: (op) => backEdges.push(op),
      },
      node,
    );
  }
  for (const op of backEdges) op.in = bufs.get(op.node.inputs[0].id)!;
  if (!input) throw new Error('internal: spiking graph without input passed the rules');
  return { graph: g, arena, input, bufs, staticOps, stepOps, outputs: g.outputs.map((o) => bufs.get(o)!) };
}
