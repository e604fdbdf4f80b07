/**
 * replicate-neurons (ann -> ann): K neurons for every ReLU-like activation, so that a spiking
 * network of T steps can resolve K·T + 1 levels instead of T + 1 (a trade of neurons for time).
 *
 * Every activation's channel c becomes K channels c·K + j (j = 0..K−1, interleaved), each the
 * same function of the input: a layer that produces an activation's input copies its rows,
 *
 *     W'[o·K + j, ...] = W[o, ...],   b'[o·K + j] = b[o],
 *
 * and a layer that reads replicated values takes the mean of the copies,
 *
 *     W'[..., i'] = W[..., orig(i')] / K,
 *
 * where orig(i') is the value i' was copied from (for a value flattened from [C·K, H, W],
 * i' = (c·K + j)·HW + p comes from c·HW + p). Pools, adds, concats along the channel axis and
 * flattens carry the layout through unchanged. An activation added straight into another
 * layer's current (a residual shortcut) would hand copy j of the next layer only its own copy j;
 * it is read through a mean of its copies instead (a 1×1 conv of groups C, or a dense layer,
 * every weight 1/K), so that every activation the next layer hears is the copies' mean. The ANN
 * so built computes exactly the original network; what makes the copies differ is the spiking
 * network: `ditherReplicas` gives copy j the rounding point (2j + 1)/(2K) instead of 1/2, and by
 * Hermite's identity
 *
 *     Σ_{j<K} ⌊u + (2j + 1)/(2K)⌋ = ⌊K·u + 1/2⌋,
 *
 * so K copies that each round u = V/θ to an integer count together emit round(K·u) spikes of
 * θ/T each, clipped to [0, K·T]: the activation quantised to K·T + 1 levels in T steps. The cost
 * is K times the neurons of every hidden layer, about K times their spikes and up to K² times
 * their synaptic events (each copy's spike reaches K copies): K times those of one neuron run
 * for K·T steps, in a K-th of its latency (docs/methods.md measures them).
 * The graph input and the graph outputs keep their shape; a structure whose copies cannot be
 * told apart (a neuron at the output, an input added to a neuron's value, a reshape that is not
 * a flatten) is an error naming the node (SNN0508).
 */
import { SnncError } from '../../ir/diagnostics.js';
import { attrInt, attrInts, attrNum, attrVector } from '../../ir/ops.js';
import { users } from '../../ir/builder.js';
import { whereOf } from '../../ir/verify.js';
import type { AttrValue, Graph, Node, Ref } from '../../ir/types.js';
import { isNeuronSource } from './activations.js';
import type { Pass } from './pass.js';
import { Rewriter } from './rewriter.js';

export interface ReplicateOptions {
  /** Neurons per activation, K >= 2. */
  readonly copies: number;
}

/**
 * How a value's elements are copied: `copies` = 1 (not replicated) or K; per sample, element
 * (o·K + j)·inner + p is a copy of o·inner + p. `distinct`: the copies come from neurons that
 * round at different points (a spiking network's copies differ), not from copied rows.
 */
interface Layout {
  readonly copies: number;
  readonly inner: number;
  readonly distinct: boolean;
}

/** Ops that carry a replicated layout through, channel by channel. */
const CARRY = new Set(['add', 'concat', 'avgpool2d', 'maxpool2d', 'globalavgpool', 'flatten', 'reshape']);
const LINEAR = new Set(['conv2d', 'dense']);

const spatial = (shape: readonly number[]): number => shape.slice(2).reduce((a, b) => a * b, 1);

export const replicateNeurons: Pass<ReplicateOptions> = {
  name: 'replicate-neurons',
  summary: 'ann -> ann: K interleaved copies of every activation channel (the same function)',
  from: 'ann',
  to: 'ann',
  run(g, o) {
    const K = o.copies;
    if (!(Number.isInteger(K) && K >= 2 && K <= 16)) throw new SnncError('SNN0504', `replicate-neurons: copies must be an integer in [2, 16], found ${K}`);
    const replicated = replicatedLinearOutputs(g);
    const byId = new Map(g.nodes.map((n) => [n.id, n]));
    const producer = (r: Ref): Node => byId.get(r.id)!;
    const rw = new Rewriter(g);
    const layouts = new Map<string, Layout>();
    const plain: Layout = { copies: 1, inner: 1, distinct: false };
    const layoutOf = (r: Ref): Layout => (r.kind === 'value' ? layouts.get(r.id)! : plain);
    const refuse = (node: Node, why: string): never => {
      throw new SnncError('SNN0508', `replicate-neurons: ${why}`, whereOf(node));
    };
    const means: string[] = [];
    const widened = (node: Node, copies: number): Node['type'] => ({ ...node.type, shape: node.type.shape.map((d, i) => (i === 1 ? d * copies : d)) });
    for (const node of g.nodes) {
      const values = node.inputs.filter((r) => r.kind === 'value');
      const ins = values.map(layoutOf);
      const copiesIn = Math.max(1, ...ins.map((l) => l.copies));
      if (node.op === 'input') {
        rw.keep(node);
        layouts.set(node.id, plain);
      } else if (LINEAR.has(node.op)) {
        const out = replicated.has(node.id) ? K : 1;
        const inLayout = ins[0];
        if (out === 1 && inLayout.copies === 1) {
          rw.keep(node);
          layouts.set(node.id, plain);
          continue;
        }
        if (node.op === 'dense' && inLayout.copies > 1 && producer(node.inputs[0]).type.shape.length !== 2) {
          refuse(node, 'a dense layer reads a replicated value of rank > 2 (only [N, features] inputs are replicated)');
        }
        rw.keep(node, { inputs: replicatedLayer(rw, g, node, out, inLayout), type: widened(node, out) });
        layouts.set(node.id, { copies: out, inner: node.op === 'conv2d' ? spatial(node.type.shape) : 1, distinct: false });
      } else if (isNeuronSource(node)) {
        if (ins[0].copies !== K) refuse(node, `the activation's input %${(node.inputs[0] as Ref).id} is not the output of a conv2d or dense layer whose rows can be copied`);
        if (ins[0].distinct) refuse(node, `the activation's input %${(node.inputs[0] as Ref).id} carries another activation's copies through '${producer(node.inputs[0]).op}' without a layer that averages them`);
        rw.keep(node, { attrs: replicatedAttrs(rw, node, g, K), type: widened(node, K) });
        layouts.set(node.id, { ...ins[0], distinct: true });
      } else if (copiesIn === 1) {
        rw.keep(node);
        layouts.set(node.id, plain);
      } else if (ins.some((l) => l.copies !== K)) {
        refuse(node, `'${node.op}' mixes replicated activations with values that are not (the graph input, or a layer that feeds a graph output)`);
      } else if (node.op === 'add' && ins.some((l) => l.distinct)) {
        // a shortcut: each activation operand is read through the mean of its copies
        const inputs = node.inputs.map((r, i): Ref => {
          if (!ins[i].distinct) return r;
          const src = producer(r);
          if (!isNeuronSource(src)) refuse(node, `'add' reads the copies of an activation through '${src.op}'; only an activation added directly can be averaged`);
          const mean = averageCopies(rw, src, K, ins[i]);
          means.push(mean.id);
          return { kind: 'value', id: mean.id };
        });
        rw.keep(node, { inputs, type: widened(node, K) });
        layouts.set(node.id, { ...ins[0], distinct: false });
      } else {
        if (!CARRY.has(node.op)) refuse(node, `op '${node.op}' reads a replicated activation and has no replicated form (replicated: conv2d, dense, ${[...CARRY].join(', ')})`);
        const rank = node.type.shape.length;
        if (node.op === 'concat' && attrInt(node, 'axis') !== 1) refuse(node, `concat along axis ${attrInt(node, 'axis')}: only the channel axis (1) keeps the copies interleaved`);
        if ((node.op === 'add' || node.op === 'concat') && rank === 2 && ins.some((l) => l.inner !== ins[0].inner)) refuse(node, `'${node.op}' of flattened values with different layouts`);
        if (node.op === 'reshape' && !(rank === 2 && attrInts(node, 'shape')[0] < 0)) refuse(node, 'a reshape that is not a flatten to [N, features] would separate the copies');
        if (node.op === 'flatten' && attrNum(node, 'axis') !== 1) refuse(node, `flatten with axis ${attrNum(node, 'axis')}`);
        const operand = producer(values[0]);
        const flattening = rank === 2 && operand.type.shape.length === 4;
        const inner = rank === 4 ? spatial(node.type.shape) : flattening ? spatial(operand.type.shape) : ins[0].inner;
        const attrs: Record<string, AttrValue> = node.op === 'reshape' ? { ...node.attrs, shape: [attrInts(node, 'shape')[0], attrInts(node, 'shape')[1] * K] } : node.attrs;
        rw.keep(node, { attrs, type: widened(node, K) });
        layouts.set(node.id, { copies: K, inner, distinct: ins.some((l) => l.distinct) });
      }
    }
    for (const out of g.outputs) {
      if (layouts.get(out)!.copies !== 1) refuse(byId.get(out)!, `the graph output %${out} is an activation (or computed from one without a layer); replication needs a conv2d or dense layer before each output`);
    }
    // what the original network was, for whoever prices it (src/energy/estimate.ts priceAnn)
    rw.b.meta = { ...rw.b.meta, 'replicate.copies': String(K), ...(means.length ? { 'replicate.means': means.join(',') } : {}) };
    return rw.finish();
  },
};

/**
 * The conv2d and dense layers whose outputs reach an activation through ops that carry a layout
 * (their rows are copied); a layer whose output reaches both an activation and a graph output
 * that way is refused: one value cannot be both.
 */
function replicatedLinearOutputs(g: Graph): Set<string> {
  const readers = users(g);
  const out = new Set<string>();
  for (const n of g.nodes) {
    if (!LINEAR.has(n.op)) continue;
    let neuron = false;
    let output = false;
    const seen = new Set<string>();
    const walk = (id: string): void => {
      if (seen.has(id)) return;
      seen.add(id);
      if (g.outputs.includes(id)) output = true;
      for (const r of readers.get(id) ?? []) {
        if (isNeuronSource(r)) neuron = true;
        else if (CARRY.has(r.op)) walk(r.id);
      }
    };
    walk(n.id);
    if (neuron && output) throw new SnncError('SNN0508', `replicate-neurons: the output of %${n.id} reaches both an activation and a graph output; its copies cannot be both`, whereOf(n));
    if (neuron) out.add(n.id);
  }
  return out;
}

/** The operands of a conv2d or dense layer whose `out` copies of each row read an input laid out as `input`. */
function replicatedLayer(rw: Rewriter, g: Graph, node: Node, out: number, input: Layout): Ref[] {
  const [x, w, b] = node.inputs;
  const wc = g.consts.get(w.id)!;
  const [rows, cols, ...kernel] = wc.type.shape;
  const data = node.op === 'conv2d' ? convWeights(wc.data, wc.type.shape, out, input.copies) : denseWeights(wc.data, wc.type.shape, out, input);
  const inputs: Ref[] = [x, { kind: 'const', id: rw.b.constant(`${w.id}.rep`, { dtype: wc.type.dtype, shape: [rows * out, cols * input.copies, ...kernel] }, data) }];
  if (b) {
    const bc = g.consts.get(b.id)!;
    inputs.push(out === 1 ? b : { kind: 'const', id: rw.b.constant(`${b.id}.rep`, { dtype: bc.type.dtype, shape: [bc.data.length * out] }, repeatEach(bc.data, out, 1)) });
  }
  return inputs;
}

/** Each value of `data` (blocks of `block` elements) repeated `k` times in a row. */
function repeatEach(data: ArrayLike<number>, k: number, block: number): Float32Array {
  const n = data.length / block;
  const r = new Float32Array(data.length * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) for (let p = 0; p < block; p++) r[(i * k + j) * block + p] = data[i * block + p];
  return r;
}

/** conv2d weights [O, I/G, kh, kw] -> [O·kOut, I/G·kIn, kh, kw]: rows copied, input channels split over their copies. */
function convWeights(w: ArrayLike<number>, shape: readonly number[], kOut: number, kIn: number): Float32Array {
  const [O, I, kh, kw] = shape;
  const area = kh * kw;
  const r = new Float32Array(O * kOut * I * kIn * area);
  for (let o2 = 0; o2 < O * kOut; o2++) {
    const o = Math.floor(o2 / kOut);
    for (let i2 = 0; i2 < I * kIn; i2++) {
      const i = Math.floor(i2 / kIn);
      for (let p = 0; p < area; p++) r[(o2 * I * kIn + i2) * area + p] = w[(o * I + i) * area + p] / kIn;
    }
  }
  return r;
}

/** dense weights [M, F] -> [M·kOut, F·copies]: rows copied, each input feature split over its copies. */
function denseWeights(w: ArrayLike<number>, shape: readonly number[], kOut: number, input: Layout): Float32Array {
  const [M, F] = shape;
  const { copies, inner } = input;
  const F2 = F * copies;
  const r = new Float32Array(M * kOut * F2);
  for (let m2 = 0; m2 < M * kOut; m2++) {
    const m = Math.floor(m2 / kOut);
    for (let f2 = 0; f2 < F2; f2++) {
      const f = Math.floor(f2 / (copies * inner)) * inner + (f2 % inner);
      r[m2 * F2 + f2] = w[m * F + f] / copies;
    }
  }
  return r;
}

/** The mean of an activation's K copies, K times: a 1×1 conv of groups C or a block-diagonal dense layer, every weight 1/K, no bias. */
function averageCopies(rw: Rewriter, src: Node, K: number, layout: Layout): Node {
  const shape = [...src.type.shape.slice(0, 1), src.type.shape[1] * K, ...src.type.shape.slice(2)];
  const type = { ...src.type, shape };
  const CK = shape[1];
  const where = `${src.loc ?? src.id} (mean of ${K} copies)`;
  if (shape.length === 4) {
    const w = rw.b.constant(`${src.id}.mean`, { dtype: 'f32', shape: [CK, K, 1, 1] }, new Float32Array(CK * K).fill(1 / K));
    return rw.b.node(`${src.id}_mean`, 'conv2d', [{ kind: 'value', id: src.id }, { kind: 'const', id: w }], { strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: CK / K }, type, where);
  }
  if (shape.length !== 2 || layout.inner !== 1) throw new SnncError('SNN0508', `replicate-neurons: an activation of shape [${src.type.shape}] added into another layer's current cannot be averaged (rank 4, or [N, features] straight from a dense layer)`, whereOf(src));
  const data = new Float32Array(CK * CK);
  for (let o = 0; o < CK; o++) for (let j = 0; j < K; j++) data[o * CK + Math.floor(o / K) * K + j] = 1 / K;
  const w = rw.b.constant(`${src.id}.mean`, { dtype: 'f32', shape: [CK, CK] }, data);
  return rw.b.node(`${src.id}_mean`, 'dense', [{ kind: 'value', id: src.id }, { kind: 'const', id: w }], {}, type, where);
}

/** A QCFS activation's λ per channel is copied with its channel; every other attribute is per layer. */
function replicatedAttrs(rw: Rewriter, node: Node, g: Graph, K: number): Node['attrs'] {
  if (node.op !== 'qcfs') return node.attrs;
  const lambda = attrVector(node, 'lambda', g.consts)!;
  if (lambda.length === 1) return node.attrs;
  const id = rw.b.constant(`${node.id}.lambda_rep`, { dtype: 'f32', shape: [lambda.length * K] }, repeatEach(lambda, K, 1));
  return { ...node.attrs, lambda: { const: id } };
}

/**
 * The rounding point of copy j = c mod K of every replicated population, as an offset of its
 * initial membrane in units of θ: (2j + 1)/(2K) − 1/2 (they sum to zero over the copies).
 */
export function replicaOffsets(channels: number, copies: number): Float32Array {
  return Float32Array.from({ length: channels }, (_, c) => (2 * (c % copies) + 1) / (2 * copies) - 0.5);
}

export interface DitherOptions {
  readonly copies: number;
  /** The populations converted from replicated activations. */
  readonly populations: ReadonlySet<string>;
}

/**
 * dither-replicas (snn-float -> snn-float): copy j of each replicated population starts
 * (2j + 1)/(2K) − 1/2 of θ above the base method's v(0), so that the K copies round at K
 * different points (see replicate-neurons). It runs right after convert: the calibrations
 * measure the dithered network, and TPP, which drops the base's start, keeps the offsets.
 */
export const ditherReplicas: Pass<DitherOptions> = {
  name: 'dither-replicas',
  summary: 'snn-float -> snn-float: each copy of a replicated population rounds at its own point',
  from: 'snn-float',
  to: 'snn-float',
  run(g, o) {
    const consts = new Map(g.consts);
    const nodes = g.nodes.map((n): Node => {
      if (n.op !== 'if' || !o.populations.has(n.id)) return n;
      const C = n.type.shape[1];
      const base = attrVector(n, 'vinit', g.consts, 0)!;
      if (base.length !== 1 && base.length !== C) throw new Error(`internal: dither-replicas expects a scalar or per-channel v(0) on %${n.id}, found ${base.length} values`);
      const offsets = replicaOffsets(C, o.copies);
      const id = `${n.id}.vinit_rep`;
      consts.set(id, { id, type: { dtype: 'f32', shape: [C] }, data: offsets.map((d, c) => d + base[base.length === 1 ? 0 : c]) });
      return { ...n, attrs: { ...n.attrs, vinit: { const: id } } };
    });
    return { ...g, nodes, consts };
  },
};

/**
 * How replicate-neurons widened a conv2d or dense layer of a spiking network converted from a
 * replicated ANN (its meta `replicate.copies`; all 1 in any other network): `inputs`, the copies
 * each of its inputs has (K when it reads populations, through pools, flattens and delays; 1 when
 * it reads the graph input); `inner`, the stride of those copies in a row of its weights (copy j
 * of input a at offset p sits at (a·K + j)·inner + p: the kernel area of a conv, the spatial size
 * a dense layer's input was flattened from); `rows`, the copies of each of its rows (K when its
 * output feeds populations, through adds and delays; 1 when it feeds a readout).
 */
export function projectionCopies(g: Graph, n: Node, byId: ReadonlyMap<string, Node>, readers: ReadonlyMap<string, readonly Node[]>): { inputs: number; inner: number; rows: number } {
  const K = Number(g.meta['replicate.copies'] ?? 1);
  if (K === 1) return { inputs: 1, inner: 1, rows: 1 };
  const kernel = g.consts.get(n.inputs[1].id)!.type.shape;
  let inner = n.op === 'conv2d' ? kernel[2] * kernel[3] : 1;
  let x = byId.get(n.inputs[0].id)!;
  while (x.op !== 'if' && x.op !== 'input' && x.op !== 'conv2d' && x.op !== 'dense' && x.op !== 'add') {
    const from = byId.get(x.inputs[0].id)!;
    if (n.op === 'dense' && (x.op === 'flatten' || x.op === 'reshape') && from.type.shape.length === 4) inner = from.type.shape[2] * from.type.shape[3];
    x = from;
  }
  const feedsPopulation = (id: string): boolean => (readers.get(id) ?? []).some((r) => r.op === 'if' || ((r.op === 'add' || r.op === 'delay') && feedsPopulation(r.id)));
  return { inputs: x.op === 'if' ? K : 1, inner, rows: feedsPopulation(n.id) ? K : 1 };
}

/** Thresholds of the original activations for their replicated network: a per-channel θ copied with its channel. */
export function replicateThresholds(thresholds: ReadonlyMap<string, Float64Array>, original: Graph, copies: number): Map<string, Float64Array> {
  const activations = new Set(original.nodes.filter(isNeuronSource).map((n) => n.id));
  const copied = (t: Float64Array): Float64Array => Float64Array.from({ length: t.length * copies }, (_, i) => t[Math.floor(i / copies)]);
  return new Map([...thresholds].map(([id, t]) => [id, activations.has(id) && t.length > 1 ? copied(t) : t]));
}
