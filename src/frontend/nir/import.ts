/**
 * NIR -> snn-float.
 *
 * NIR states neurons in continuous time; snnc runs them at steps of dt (option, seconds) by
 * forward Euler with the step's input, the rule Norse uses (docs/nir.md gives the error):
 *
 *   LIF   v(t) = v(t-1) + dt/τ · (v_leak − v(t-1) + R·I(t))  =  α v(t-1) + g I(t) + c
 *         α = 1 − dt/τ,  g = dt·R/τ,  c = dt·v_leak/τ
 *   IF    v(t) = v(t-1) + dt·R·I(t)                          (α = 1, g = dt·R, c = 0)
 *   I     the same without threshold: a readout (snnc's readout reports the sum divided by t)
 *   LI    the LIF membrane without threshold: a leaky readout; CubaLI: a synaptic current, then LI
 *   Threshold  z = I(t) > θ, no state                         (α = 0, g = 1, c = 0)
 *   Delay  y(t) = x(t − τ): τ/dt one-step delays (of spikes)
 *   CubaLIF a synaptic current first, I(t) = β I(t-1) + dt/τ_syn · w_in · S(t), β = 1 − dt/τ_syn,
 *         then the LIF membrane driven by this step's I (snnc's `synapse` op, then `if`)
 *   z = v > v_threshold, then v = v_reset (which must be 0).
 *   Conv1d over [C, L] is a Conv2d over [C, 1, L].
 *
 * snnc's population emits θ_c per spike and compares its own membrane u. Taking u_i = σ_i v_i
 * with σ_i = θ_c / v_threshold_i makes the two the same neuron: u fires at θ_c (fire = gt,
 * NIR's strict comparison), the input gain σ_i g_i and the drive σ_i c_i are folded into the rows
 * and bias of the projection that feeds it, and θ_c is chosen so that the spikes arrive with the
 * amplitude the consumers expect: the value of a Scale node that follows the neuron (snnc's own
 * export writes IF -> Scale(θ)), else 1. Event values (spikes, pooled spikes) carry a per-channel
 * factor (a SumPool2d's k², a Scale) that is folded into the columns of the projection reading
 * them. Per-neuron thresholds, resistances and leak voltages become per-neuron gains; a membrane
 * τ per neuron becomes a leak per channel or per neuron (a synaptic or readout τ must be one
 * number per population). Every cycle passes through a recurrent edge (graph-order.ts).
 *
 * Metadata whose keys start with `snnc.` are written by snnc's exporter and only name things
 * (ids, constant names, source locations, graph meta), except `snnc.reset` and `snnc.fire`,
 * the discrete-time choices snnc made and NIR leaves to each back end (docs/nir.md).
 */
import { GraphBuilder, sanitizeId } from '../../../ir/builder.js';
import { SnncError } from '../../../ir/diagnostics.js';
import { windowOut } from '../../../ir/shape.js';
import { BATCH, type AttrValue, type Graph, type Ref } from '../../../ir/types.js';
import { verifyOrThrow } from '../../../ir/verify.js';
import { NEURONS, recurrentEdges, topologicalOrder } from './graph-order.js';
import type { NirGraph, NirNode, NirTensor } from './nir-graph.js';

export interface NirImportOptions {
  /** Seconds per step (continuous-time parameters are discretised with it). */
  readonly dt: number;
  /** Time steps; a file written by snnc carries its own. */
  readonly steps?: number;
  /** One frame per step (data [N, T, ...], the NIR default) or one value repeated. */
  readonly input?: 'temporal' | 'static';
  /** Graph name when the file has none. */
  readonly name: string;
  /** Told about what imports but may not be what the writer meant (SNN0326). */
  readonly onWarning?: (code: 'SNN0326', message: string) => void;
}

export const NIR_DEFAULT_DT = 1e-4;

/** A projection whose weights may still be scaled (rows by a neuron's gain, columns by its input's factor). */
interface Projection {
  readonly op: 'dense' | 'conv2d';
  readonly weight: Float64Array;
  readonly wshape: readonly number[];
  bias?: Float64Array;
  readonly outC: number;
  gainFolded: boolean;
  consumers: number;
}

interface Val {
  /** IR value id. */
  readonly id: string;
  /** Shape without the batch axis. */
  readonly shape: readonly number[];
  readonly kind: 'input' | 'events' | 'current' | 'readout';
  /** Per-channel factor of event values still to fold into the consumer's weights. */
  readonly factor?: Float64Array;
  readonly proj?: Projection;
}

interface PendingNode {
  readonly id: string;
  readonly op: string;
  readonly inputs: readonly (string | { const: () => string } | { later: string })[];
  readonly attrs: Record<string, AttrValue | (() => AttrValue)>;
  readonly shape: readonly number[];
  readonly loc?: string;
}

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function unsupported(n: NirNode, why: string): never {
  throw new SnncError('SNN0324', `NIR node ${n.name} (${n.type}): ${why}`);
}
function mismatch(n: NirNode, why: string): never {
  throw new SnncError('SNN0323', `NIR node ${n.name} (${n.type}): ${why}`);
}

function param(n: NirNode, name: string): NirTensor {
  const t = n.params.get(name);
  if (!t) mismatch(n, `has no parameter ${name}`);
  return t;
}
function ints(n: NirNode, name: string, count: number): number[] {
  const t = param(n, name);
  const v = Array.from(t.data);
  const out = v.length === 1 ? Array(count).fill(v[0]) : v;
  if (out.length !== count || out.some((x) => !Number.isInteger(x))) mismatch(n, `${name} must be ${count} integers, found [${v}]`);
  return out;
}
/** A per-neuron parameter broadcast to `size` values (a scalar applies to every neuron). */
function perNeuron(n: NirNode, name: string, size: number, fallback?: number): Float64Array {
  const t = n.params.get(name);
  if (!t) {
    if (fallback === undefined) mismatch(n, `has no parameter ${name}`);
    return new Float64Array(size).fill(fallback);
  }
  if (t.data.length === 1) return new Float64Array(size).fill(t.data[0]);
  if (t.data.length !== size) mismatch(n, `${name} has ${t.data.length} values for ${size} neurons`);
  return Float64Array.from(t.data);
}

/** The common value per channel of a per-neuron vector, or undefined when a channel's values differ. */
function perChannel(v: Float64Array, C: number, rel = 1e-9): Float64Array | undefined {
  const HW = v.length / C;
  const out = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const x = v[c * HW];
    for (let p = 1; p < HW; p++) if (Math.abs(v[c * HW + p] - x) > rel * Math.abs(x)) return undefined;
    out[c] = x;
  }
  return out;
}

/** A time constant that is one number over the population and not shorter than dt. */
function uniformTau(n: NirNode, name: string, size: number, dt: number): number {
  const tau = perNeuron(n, name, size);
  if (tau.some((t) => Math.abs(t - tau[0]) > 1e-9 * Math.abs(tau[0]))) unsupported(n, `${name} varies over the population (${Math.min(...tau)} .. ${Math.max(...tau)}); snnc has one decay factor per population`);
  if (!(tau[0] >= dt)) unsupported(n, `${name} = ${tau[0]} s is shorter than the step dt = ${dt} s: forward Euler would be unstable; pass a smaller --dt`);
  return tau[0];
}

function jsonList(n: NirNode, key: string): unknown[] {
  const raw = n.metadata.get(key);
  if (raw === undefined) return [];
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

export function importNir(g: NirGraph, o: NirImportOptions): Graph {
  if (!(o.dt > 0)) throw new SnncError('SNN0504', `--dt must be a positive number of seconds, found ${o.dt}`);
  const steps = Number(g.metadata.get('snnc.steps') ?? o.steps);
  if (!Number.isInteger(steps) || steps < 1) throw new SnncError('SNN0504', 'a NIR graph has no number of steps: pass -T');
  const temporal = (g.metadata.get('snnc.input') ?? o.input ?? 'temporal') === 'temporal';
  const b = new GraphBuilder(g.metadata.get('snnc.name') ?? sanitizeId(o.name), 'snn-float', steps);
  for (const [k, v] of g.metadata) if (k.startsWith('snnc.meta.')) b.meta[k.slice('snnc.meta.'.length)] = v;

  const recurrent = recurrentEdges(g);
  const preds = new Map<string, string[]>();
  const succs = new Map<string, string[]>();
  for (const n of g.nodes.keys()) {
    preds.set(n, []);
    succs.set(n, []);
  }
  // a recurrent edge a -> c reaches c through a delay: c's operand is the value named `delayKey(e)`
  const delayKey = (e: number): string => `\u0000delay${e}`;
  g.edges.forEach(([a, c], e) => {
    preds.get(c)!.push(recurrent.has(e) ? delayKey(e) : a);
    succs.get(a)!.push(c);
  });
  const order = topologicalOrder(g, recurrent);
  const inputs = order.filter((n) => n.type === 'Input');
  const outputs = order.filter((n) => n.type === 'Output');
  if (inputs.length !== 1) throw new SnncError('SNN0324', `snnc runs graphs with one Input node, found ${inputs.length}`);
  if (outputs.length !== 1) throw new SnncError('SNN0324', `snnc runs graphs with one Output node, found ${outputs.length}`);

  const vals = new Map<string, Val>();
  const pending: PendingNode[] = [];
  const idOf = (n: NirNode): string => b.fresh(n.name);
  const loc = (n: NirNode): { loc?: string } => (n.metadata.has('snnc.loc') ? { loc: n.metadata.get('snnc.loc')! } : {});
  const constName = (n: NirNode, key: string, fallback: string): string => n.metadata.get(`snnc.${key}`) ?? `${n.name}.${fallback}`;
  const single = (n: NirNode): Val => {
    const p = preds.get(n.name)!;
    if (p.length !== 1) mismatch(n, `expects one incoming edge, found ${p.length}`);
    return vals.get(p[0])!;
  };
  const events = (n: NirNode, v: Val): Val => {
    if (v.kind === 'current' || v.kind === 'readout') unsupported(n, `reads %${v.id}, a synaptic current; pooling and flattening read spikes or the input`);
    return v;
  };
  /** Fold an event value's channel factor into a projection's input columns (dense: features c·HW + p). */
  const foldColumns = (src: Val, weight: Float64Array, wshape: readonly number[], op: 'dense' | 'conv2d', groups = 1): void => {
    if (!src.factor) return;
    const f = src.factor;
    if (op === 'dense') {
      const [M, K] = wshape;
      const HW = K / f.length;
      for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) weight[m * K + k] *= f[Math.floor(k / HW)];
    } else {
      const [Co, Cig, kh, kw] = wshape;
      const perGroup = Co / groups;
      for (let oc = 0; oc < Co; oc++) {
        const g0 = Math.floor(oc / perGroup) * Cig;
        for (let ic = 0; ic < Cig; ic++) for (let q = 0; q < kh * kw; q++) weight[((oc * Cig + ic) * kh * kw) + q] *= f[g0 + ic];
      }
    }
  };
  const projection = (n: NirNode, op: 'dense' | 'conv2d', src: Val, weight: Float64Array, wshape: readonly number[], bias: Float64Array | undefined, shape: readonly number[], attrs: Record<string, AttrValue>, groups = 1): void => {
    const id = idOf(n);
    foldColumns(src, weight, wshape, op, groups);
    const outC = shape[0];
    const proj: Projection = { op, weight, wshape, ...(bias ? { bias } : {}), outC, gainFolded: false, consumers: succs.get(n.name)!.length };
    const wName = constName(n, 'weight', 'weight');
    const inputsOf: PendingNode['inputs'] = [src.id, { const: () => b.constant(wName, { dtype: 'f32', shape: [...wshape] }, Float32Array.from(weight)) }];
    pending.push({
      id,
      op,
      get inputs() {
        return proj.bias ? [...inputsOf, { const: () => b.constant(constName(n, 'bias', 'bias'), { dtype: 'f32', shape: [outC] }, Float32Array.from(proj.bias!)) }] : inputsOf;
      },
      attrs,
      shape,
      ...loc(n),
    });
    vals.set(n.name, { id, shape, kind: 'current', proj });
  };
  /** Multiply a projection's rows (and bias) by a per-output gain (per channel for a convolution). */
  const scaleRows = (n: NirNode, p: Projection, gain: Float64Array, what: string): void => {
    const rowGain = p.op === 'dense' ? gain : perChannel(gain, p.outC);
    if (!rowGain) unsupported(n, `a convolution feeds it and its ${what} varies within a channel`);
    const rowLen = p.weight.length / p.outC;
    for (let r = 0; r < p.outC; r++) for (let j = 0; j < rowLen; j++) p.weight[r * rowLen + j] *= rowGain[r];
    if (p.bias) for (let r = 0; r < p.outC; r++) p.bias[r] *= rowGain[r];
  };
  /** Fold a per-neuron gain and drive into the projections feeding a neuron or readout. */
  const foldGain = (n: NirNode, ins: Val[], gain: Float64Array, drive: Float64Array): void => {
    const near1 = (x: number): boolean => Math.abs(x - 1) <= 1e-6;
    const projs = ins.filter((v) => v.proj);
    for (const v of ins) if (!v.proj && !gain.every(near1)) unsupported(n, `its input %${v.id} has no weights to carry the input gain ${gain[0]} (dt·R/τ/v_threshold): put a Linear in front`);
    if (!projs.length && drive.some((d) => d !== 0)) unsupported(n, 'a constant drive (v_leak) needs a projection with a bias in front');
    projs.forEach((v, k) => {
      const p = v.proj!;
      if (p.gainFolded || (p.consumers > 1 && !gain.every(near1))) unsupported(n, `its input %${v.id} feeds several nodes, which would need different input gains`);
      p.gainFolded = true;
      scaleRows(n, p, gain, 'gain dt·R/τ/v_threshold');
      if (k === 0 && drive.some((d) => d !== 0)) {
        const d = p.op === 'dense' ? drive : perChannel(drive, p.outC);
        if (!d) unsupported(n, 'a convolution feeds it and its drive dt·v_leak/τ varies within a channel');
        p.bias ??= new Float64Array(p.outC);
        for (let r = 0; r < p.outC; r++) p.bias[r] += d[r];
      }
    });
  };
  /** The incoming values of a neuron or readout, summed by add nodes (NIR sums every edge into a node). */
  const summed = (n: NirNode, shape: readonly number[]): { ref: string; ins: Val[] } => {
    const ins = preds.get(n.name)!.map((p) => vals.get(p)!);
    if (!ins.length) mismatch(n, 'has no incoming edge');
    for (const v of ins) {
      if (numel(v.shape) !== numel(shape)) throw new SnncError('SNN0323', `NIR edge into ${n.name}: %${v.id} has shape [${v.shape}], ${n.name} has ${numel(shape)} neurons`);
      if (v.factor) unsupported(n, `reads scaled events %${v.id} directly; snnc folds a Scale or SumPool2d into the weights of the projection that reads it`);
      if (v.kind === 'readout') unsupported(n, `reads the readout %${v.id}`);
    }
    let ref = ins[0].id;
    // snnc's export names the add nodes it folded (outermost first) and their locations
    const sumIds = jsonList(n, 'snnc.sum');
    const sumLocs = jsonList(n, 'snnc.sumloc');
    for (let k = 1; k < ins.length; k++) {
      const at = ins.length - 1 - k;
      const id = b.fresh((sumIds[at] as string | undefined) ?? `${n.name}_sum`);
      const where = sumLocs[at];
      pending.push({ id, op: 'add', inputs: [ref, ins[k].id], attrs: {}, shape: ins[0].shape, ...(typeof where === 'string' ? { loc: where } : sumLocs.length ? {} : loc(n)) });
      ref = id;
    }
    return { ref, ins };
  };

  /**
   * IF and I have no time constant: v̇ = R I integrates dt·R of the input per step. Frameworks that
   * read R as a per-step gain write R ≈ 1, which at dt = 1e-4 s integrates 1e-4 per step: say so.
   */
  const warnDtFree = (n: NirNode, gain: Float64Array): void => {
    const g = Math.max(...gain.map(Math.abs));
    if (g > 0 && g < 1e-2) o.onWarning?.('SNN0326', `NIR node ${n.name} (${n.type}): dt·R = ${g} — each step integrates ${g} of the input. NIR's ${n.type} is v̇ = R·I; if R was meant per step, pass --dt 1`);
  };
  /** The delay of a recurrent edge e = a -> n: the previous step's spikes of the neuron a (or of the Scale after it). */
  const delayOf = (e: number, n: NirNode): void => {
    const a = g.nodes.get(g.edges[e][0])!;
    const neuron = NEURONS.has(a.type) ? a : g.nodes.get(preds.get(a.name)![0] ?? '');
    if (!neuron || !NEURONS.has(neuron.type)) unsupported(n, `the recurrent edge from ${a.name} does not leave a neuron`);
    if (a !== neuron && succs.get(neuron.name)!.length !== 1) unsupported(n, `the recurrent edge leaves ${a.name}, a Scale of ${neuron.name}, which has other consumers`);
    const th = neuron.params.get(neuron.type === 'Threshold' ? 'threshold' : 'v_threshold')!;
    const shape = th.shape.length === 2 ? [th.shape[0], 1, th.shape[1]] : th.shape.length ? [...th.shape] : [1];
    if (th.data.length !== numel(shape) || (shape.length !== 1 && shape.length !== 3)) unsupported(n, `the recurrent edge from ${neuron.name}: its population shape is not given by its parameters ([${th.shape}])`);
    const named = jsonList(n, 'snnc.delays').find((d): d is [string, string, string | null] => Array.isArray(d) && d[0] === a.name);
    const id = b.fresh(named?.[1] ?? `${a.name}_prev`);
    const at = named ? (typeof named[2] === 'string' ? { loc: named[2] } : {}) : loc(n);
    pending.push({ id, op: 'delay', inputs: [{ later: a.name }], attrs: {}, shape, ...at });
    vals.set(delayKey(e), { id, shape, kind: 'events' });
  };

  const context: NirContext = { g, o, b, temporal, preds, succs, vals, pending, idOf, loc, constName, single, events, projection, scaleRows, foldGain, summed, warnDtFree };
  for (const n of order) {
    g.edges.forEach(([, c], e) => {
      if (c === n.name && recurrent.has(e)) delayOf(e, n);
    });
    const importNode = IMPORTERS[n.type];
    if (!importNode) throw new SnncError('SNN0322', `NIR node ${n.name}: primitive ${n.type} is not supported`);
    importNode(context, n);
  }

  for (const p of pending) {
    const ins: Ref[] = p.inputs.map((r) => (typeof r === 'string' ? { kind: 'value', id: r } : 'later' in r ? { kind: 'value', id: vals.get(r.later)!.id } : { kind: 'const', id: r.const() }));
    const attrs: Record<string, AttrValue> = {};
    for (const [k, v] of Object.entries(p.attrs)) attrs[k] = typeof v === 'function' ? v() : v;
    b.addNode({ id: p.id, op: p.op, inputs: ins, attrs, type: { dtype: 'f32', shape: [BATCH, ...p.shape] }, ...(p.loc !== undefined ? { loc: p.loc } : {}) });
  }
  // the constant table in the order snnc wrote it (a file from elsewhere: creation order)
  const listed = (g.metadata.get('snnc.consts') ?? '').split(',').filter((id) => b.consts.has(id));
  const consts = new Map([...listed, ...[...b.consts.keys()].filter((id) => !listed.includes(id))].map((id) => [id, b.consts.get(id)!]));
  const graph: Graph = { name: b.name, stage: 'snn-float', steps, nodes: b.nodes, consts, outputs: b.outputs, meta: b.meta };
  verifyOrThrow(graph);
  return graph;
}

/** What the importer of one NIR node works with: the graph so far, the values of the nodes before it, and the helpers that fold NIR's parameters into snnc's. */
interface NirContext {
  readonly g: NirGraph;
  readonly o: NirImportOptions;
  readonly b: GraphBuilder;
  /** One input frame per step (else one value repeated). */
  readonly temporal: boolean;
  readonly preds: ReadonlyMap<string, string[]>;
  readonly succs: ReadonlyMap<string, string[]>;
  /** The snnc value of every NIR node imported so far (and of every recurrent edge's delay). */
  readonly vals: Map<string, Val>;
  /** The nodes to add, in order, once every value (and a recurrent edge's source) exists. */
  readonly pending: PendingNode[];
  idOf(n: NirNode): string;
  loc(n: NirNode): { loc?: string };
  constName(n: NirNode, key: string, fallback: string): string;
  /** The value of a node's one incoming edge. */
  single(n: NirNode): Val;
  /** `v`, which must be events (spikes or the input). */
  events(n: NirNode, v: Val): Val;
  projection(n: NirNode, op: 'dense' | 'conv2d', src: Val, weight: Float64Array, wshape: readonly number[], bias: Float64Array | undefined, shape: readonly number[], attrs: Record<string, AttrValue>, groups?: number): void;
  scaleRows(n: NirNode, p: Projection, gain: Float64Array, what: string): void;
  foldGain(n: NirNode, ins: Val[], gain: Float64Array, drive: Float64Array): void;
  summed(n: NirNode, shape: readonly number[]): { ref: string; ins: Val[] };
  warnDtFree(n: NirNode, gain: Float64Array): void;
}

/** The input: a vector, a sequence [C, L] (as a map [C, 1, L]) or a map. */
function importInput(c: NirContext, n: NirNode): void {
  const { temporal, vals, pending, idOf, loc } = c;
  const shape = Array.from(param(n, 'shape').data);
  if (shape.length < 1 || shape.some((d) => !Number.isInteger(d) || d < 1)) mismatch(n, `shape [${shape}] is not a tensor shape`);
  if (shape.length < 1 || shape.length > 3) unsupported(n, `snnc's executors take vectors [F], sequences [C, L] or maps [C, H, W], found [${shape}]`);
  // a sequence [C, L] (what Conv1d reads) is a map [C, 1, L]: the same values in the same order
  if (shape.length === 2) shape.splice(1, 0, 1);
  const id = idOf(n);
  pending.push({ id, op: 'input', inputs: [], attrs: temporal ? { temporal: true } : {}, shape, ...loc(n) });
  vals.set(n.name, { id, shape, kind: 'input' });
}

/** Linear and Affine: a dense projection (its bias kept only when Affine says one). */
function importLinear(c: NirContext, n: NirNode): void {
  const { preds, single, projection } = c;
  const src = single(n);
  const w = param(n, 'weight');
  if (w.shape.length !== 2) mismatch(n, `weight must be [out, in], found [${w.shape}]`);
  const [M, K] = w.shape;
  if (src.shape.length !== 1) unsupported(n, `reads %${src.id} of shape [${src.shape}]; put a Flatten in front`);
  if (src.shape[0] !== K) throw new SnncError('SNN0323', `NIR edge ${preds.get(n.name)![0]} -> ${n.name}: ${n.name} expects ${K} inputs, its source gives ${src.shape[0]}`);
  let bias: Float64Array | undefined;
  if (n.type === 'Affine') {
    bias = Float64Array.from(param(n, 'bias').data);
    if (bias.length !== M) mismatch(n, `bias has ${bias.length} values for ${M} outputs`);
    if (bias.every((x) => x === 0) && n.metadata.get('snnc.bias') === undefined) bias = undefined;
  }
  projection(n, 'dense', src, Float64Array.from(w.data), [M, K], bias, [M], {});
}

/** Conv1d (a Conv2d over [C, 1, L] with a [1, k] kernel) and Conv2d. */
function importConv(c: NirContext, n: NirNode): void {
  const { single, projection } = c;
  // a Conv1d over [C, L] is a Conv2d over [C, 1, L] with a [1, k] kernel
  const one = n.type === 'Conv1d';
  const src = single(n);
  const w = param(n, 'weight');
  if (w.shape.length !== (one ? 3 : 4)) mismatch(n, `weight must be [out, in/groups, ${one ? 'k' : 'kh, kw'}], found [${w.shape}]`);
  if (src.shape.length !== 3 || (one && src.shape[1] !== 1)) unsupported(n, `reads %${src.id} of shape [${src.shape}], expected ${one ? 'a sequence [C, L]' : 'a map [C, H, W]'}`);
  const groups = ints(n, 'groups', 1)[0];
  const [Co, Cig, kh, kw] = one ? [w.shape[0], w.shape[1], 1, w.shape[2]] : w.shape;
  const [C, H, W] = src.shape;
  if (Cig * groups !== C || Co % groups !== 0) throw new SnncError('SNN0323', `NIR edge into ${n.name}: weight [${w.shape}] with ${groups} groups expects ${Cig * groups} input channels, the source has ${C}`);
  const pair = (name: string, fill: number): number[] => (one ? [fill, ints(n, name, 1)[0]] : ints(n, name, 2));
  const stride = pair('stride', 1);
  const padding = pair('padding', 0);
  const dilation = pair('dilation', 1);
  const ho = windowOut(H, kh, stride[0], padding[0], padding[0], dilation[0]);
  const wo = windowOut(W, kw, stride[1], padding[1], padding[1], dilation[1]);
  if (ho < 1 || wo < 1) mismatch(n, `kernel ${kh}x${kw} does not fit its ${H}x${W} input`);
  let bias: Float64Array | undefined = Float64Array.from(param(n, 'bias').data);
  if (bias.length === 1 && Co > 1) bias = new Float64Array(Co).fill(bias[0]);
  if (bias.length !== Co) mismatch(n, `bias has ${bias.length} values for ${Co} output channels`);
  if (bias.every((x) => x === 0) && n.metadata.get('snnc.bias') === undefined) bias = undefined;
  const attrs = { strides: stride, pads: [padding[0], padding[1], padding[0], padding[1]], dilations: dilation, group: groups };
  projection(n, 'conv2d', src, Float64Array.from(w.data), [Co, Cig, kh, kw], bias, [Co, ho, wo], attrs, groups);
}

/** SumPool2d and AvgPool2d: an average pool (a sum pool is its average times k², a factor of the events), global when the window is the map. */
function importPool(c: NirContext, n: NirNode): void {
  const { vals, pending, idOf, loc, single, events } = c;
  const src = events(n, single(n));
  if (src.shape.length !== 3) unsupported(n, `reads %${src.id} of shape [${src.shape}], expected a map [C, H, W]`);
  const [C, H, W] = src.shape;
  const k = ints(n, 'kernel_size', 2);
  const s = ints(n, 'stride', 2);
  const p = ints(n, 'padding', 2);
  const id = idOf(n);
  const sumFactor = n.type === 'SumPool2d' ? k[0] * k[1] : 1;
  const factor = src.factor || sumFactor !== 1 ? Float64Array.from({ length: C }, (_, c) => (src.factor ? src.factor[c] : 1) * sumFactor) : undefined;
  if (k[0] === H && k[1] === W && p.every((x) => x === 0)) {
    pending.push({ id, op: 'globalavgpool', inputs: [src.id], attrs: {}, shape: [C, 1, 1], ...loc(n) });
    vals.set(n.name, { id, shape: [C, 1, 1], kind: 'events', ...(factor ? { factor } : {}) });
    return;
  }
  const ho = windowOut(H, k[0], s[0], p[0], p[0], 1);
  const wo = windowOut(W, k[1], s[1], p[1], p[1], 1);
  if (ho < 1 || wo < 1) mismatch(n, `window ${k[0]}x${k[1]} does not fit its ${H}x${W} input`);
  // NIR divides by the window size (PyTorch's count_include_pad); without padding the flag changes nothing
  pending.push({ id, op: 'avgpool2d', inputs: [src.id], attrs: { kernel: k, strides: s, pads: [p[0], p[1], p[0], p[1]], ceilMode: false, countIncludePad: p.some((x) => x > 0) }, shape: [C, ho, wo], ...loc(n) });
  vals.set(n.name, { id, shape: [C, ho, wo], kind: 'events', ...(factor ? { factor } : {}) });
}

/** Flatten of a whole sample to a vector. */
function importFlatten(c: NirContext, n: NirNode): void {
  const { vals, pending, idOf, loc, single, events } = c;
  const src = events(n, single(n));
  const rank = src.shape.length;
  const norm = (d: number): number => (d < 0 ? d + rank : d);
  const [s0, e0] = [ints(n, 'start_dim', 1)[0], ints(n, 'end_dim', 1)[0]];
  if (norm(s0) !== 0 || norm(e0) !== rank - 1) unsupported(n, `flattens dims ${s0}..${e0} of [${src.shape}]; snnc flattens a whole sample to a vector (start_dim 0, end_dim -1)`);
  const id = idOf(n);
  const shape = [numel(src.shape)];
  pending.push({ id, op: 'flatten', inputs: [src.id], attrs: { axis: 1 }, shape, ...loc(n) });
  vals.set(n.name, { id, shape, kind: src.kind, ...(src.factor ? { factor: src.factor } : {}) });
}

/** Scale: absorbed as a neuron's amplitude, folded into the rows of the projection it scales, or a factor of the events it scales. */
function importScale(c: NirContext, n: NirNode): void {
  const { vals, single, scaleRows } = c;
  const src = single(n);
  if (vals.get(n.name)) return; // absorbed as the amplitude of the neuron before it
  const s = perNeuron(n, 'scale', numel(src.shape));
  if (src.kind === 'current' && src.proj && !src.proj.gainFolded && src.proj.consumers === 1) {
    // a scaled current: fold into the rows of the projection
    scaleRows(n, src.proj, s, 'scale');
    vals.set(n.name, src);
    return;
  }
  if (src.kind === 'events' || src.kind === 'input') {
    // scaled events: a factor per channel, folded into the columns of the projection that reads them
    const f = src.shape.length === 3 ? perChannel(s, src.shape[0]) : s;
    if (!f) unsupported(n, 'scales a map with values that vary within a channel');
    vals.set(n.name, { ...src, factor: Float64Array.from(f, (x, c) => x * (src.factor ? src.factor[c] : 1)) });
    return;
  }
  unsupported(n, `scales %${src.id}, which snnc cannot fold into weights`);
}

/** IF, LIF, CubaLIF and Threshold: an `if` population with θ = the amplitude (a Scale after it) and the gain dt·R/τ/v_threshold folded into its projections; CubaLIF reads a synaptic current first. */
function importNeuron(c: NirContext, n: NirNode): void {
  const { g, o, b, preds, succs, vals, pending, idOf, loc, foldGain, summed, warnDtFree } = c;
  const shapeOf = (): number[] => {
    const first = vals.get(preds.get(n.name)![0]);
    return first ? [...first.shape] : [];
  };
  const shape = shapeOf();
  const size = numel(shape);
  const vth = perNeuron(n, n.type === 'Threshold' ? 'threshold' : 'v_threshold', size);
  const vreset = perNeuron(n, 'v_reset', size, 0);
  if (vreset.some((x) => x !== 0)) unsupported(n, `v_reset ${vreset.find((x) => x !== 0)}: snnc's neurons reset to 0 (or subtract θ)`);
  if (vth.some((x) => !(x > 0))) unsupported(n, `v_threshold must be positive, found ${vth.find((x) => !(x > 0))}`);
  let leak: number | Float64Array = 1;
  let synapseDecay: number | undefined;
  let gain: Float64Array;
  let drive = new Float64Array(size);
  if (n.type === 'IF') {
    gain = perNeuron(n, 'r', size).map((r) => o.dt * r);
    warnDtFree(n, gain);
  }
  else if (n.type === 'Threshold') {
    gain = new Float64Array(size).fill(1);
    leak = 0;
  } else {
    // the membrane's τ may differ per neuron: a leak per neuron (or per channel, or one)
    const tauMem = perNeuron(n, n.type === 'CubaLIF' ? 'tau_mem' : 'tau', size);
    const short = tauMem.findIndex((t) => !(t >= o.dt));
    if (short >= 0) unsupported(n, `τ = ${tauMem[short]} s is shorter than the step dt = ${o.dt} s: forward Euler would be unstable; pass a smaller --dt`);
    leak = tauMem.map((t) => 1 - o.dt / t);
    const r = perNeuron(n, 'r', size);
    const vl = perNeuron(n, 'v_leak', size);
    gain = r.map((x, i) => (o.dt * x) / tauMem[i]);
    drive = vl.map((x, i) => (o.dt * x) / tauMem[i]);
    if (n.type === 'CubaLIF') {
      // τ_syn İ = −I + w_in S: I(t) = (1 − dt/τ_syn) I(t−1) + dt/τ_syn · w_in · S(t), then the membrane
      const tauSyn = uniformTau(n, 'tau_syn', size, o.dt);
      synapseDecay = 1 - o.dt / tauSyn;
      const win = perNeuron(n, 'w_in', size, 1);
      gain = gain.map((x, i) => (x * o.dt * win[i]) / tauSyn);
    }
  }
  // the amplitude: a Scale right after the neuron (its only consumer) gives θ_c, else 1
  const next = succs.get(n.name)!;
  const C = shape.length === 3 ? shape[0] : size;
  let theta: Float64Array = new Float64Array(C).fill(1);
  let absorbed: NirNode | undefined;
  if (next.length === 1 && g.nodes.get(next[0])!.type === 'Scale' && preds.get(next[0])!.length === 1) {
    const sc = g.nodes.get(next[0])!;
    const k = perChannel(perNeuron(sc, 'scale', size), C);
    if (k && k.every((x) => x > 0)) {
      theta = k;
      absorbed = sc;
    }
  }
  const HW = size / C;
  const sigma = Float64Array.from(vth, (v, i) => theta[Math.floor(i / HW)] / v);
  const { ref: summedRef, ins } = summed(n, shape);
  let ref = summedRef;
  let shiftAttr: number | undefined;
  if (synapseDecay === undefined) foldGain(n, ins, gain.map((x, i) => x * sigma[i]), drive.map((x, i) => x * sigma[i]));
  else {
    // the input gain goes before the (linear) synaptic current; the drive v_leak acts on the membrane: a shift
    foldGain(n, ins, gain.map((x, i) => x * sigma[i]), new Float64Array(size));
    const shift = drive.map((x, i) => (x * sigma[i]) / theta[Math.floor(i / HW)]);
    if (shift.some((x) => Math.abs(x - shift[0]) > 1e-9 * Math.max(1e-30, Math.abs(shift[0])))) unsupported(n, 'v_leak / v_threshold varies over the population; a current-based neuron takes it as one shift per population');
    if (shift[0] !== 0) shiftAttr = shift[0];
    const sid = b.fresh(n.metadata.get('snnc.synapse') ?? `${n.name}_current`);
    const sloc = n.metadata.get('snnc.synapseloc');
    pending.push({ id: sid, op: 'synapse', inputs: [ref], attrs: { decay: Math.fround(synapseDecay) }, shape, ...(sloc !== undefined ? { loc: sloc } : n.metadata.has('snnc.synapse') ? {} : loc(n)) });
    ref = sid;
  }
  const id = idOf(n);
  const uniform = theta.every((t) => t === theta[0]);
  const thName = n.metadata.get('snnc.threshold');
  const threshold: AttrValue | (() => AttrValue) = thName || !uniform ? () => ({ const: b.constant(thName ?? `${n.name}.theta`, { dtype: 'f32', shape: [C] }, Float32Array.from(theta)) }) : theta[0];
  const attrs: PendingNode['attrs'] = { reset: n.metadata.get('snnc.reset') === 'subtract' ? 'subtract' : 'zero', threshold };
  // one leak, or one per channel, or one per neuron: the least that says it
  const leaks = typeof leak === 'number' ? Float64Array.of(leak) : leak;
  if (leaks.some((l) => l !== 1)) {
    const byChannel = perChannel(leaks, C, 0);
    if (leaks.every((l) => l === leaks[0])) attrs.leak = Math.fround(leaks[0]);
    else {
      const values = byChannel ?? leaks;
      const leakName = n.metadata.get('snnc.leak') ?? `${n.name}.leak`;
      attrs.leak = () => ({ const: b.constant(leakName, { dtype: 'f32', shape: [values.length] }, Float32Array.from(values)) });
    }
  }
  if (shiftAttr !== undefined) attrs.shift = shiftAttr;
  if (n.metadata.get('snnc.fire') !== 'ge') attrs.fire = 'gt';
  pending.push({ id, op: 'if', inputs: [ref], attrs, shape, ...loc(n) });
  const v: Val = { id, shape, kind: 'events' };
  vals.set(n.name, v);
  if (absorbed) vals.set(absorbed.name, v);
}

/** I, LI and CubaLI: a readout (leaky for LI), CubaLI reading a synaptic current first. */
function importReadout(c: NirContext, n: NirNode): void {
  const { o, b, preds, vals, pending, idOf, loc, foldGain, summed, warnDtFree } = c;
  // a readout: I sums dt·R·I; LI leaks, v = (1 − dt/τ) v + dt/τ (v_leak + R I); CubaLI reads a synaptic current first
  const first = vals.get(preds.get(n.name)![0]);
  const shape = first ? [...first.shape] : [];
  const size = numel(shape);
  const { ref: summedRef, ins } = summed(n, shape);
  const r = perNeuron(n, 'r', size);
  let ref = summedRef;
  const attrs: PendingNode['attrs'] = {};
  if (n.type === 'I') {
    const gain = r.map((x) => o.dt * x);
    warnDtFree(n, gain);
    foldGain(n, ins, gain, new Float64Array(size));
  }
  else {
    const tau = uniformTau(n, n.type === 'LI' ? 'tau' : 'tau_mem', size, o.dt);
    const vl = perNeuron(n, 'v_leak', size);
    let gain = r.map((x) => (o.dt * x) / tau);
    const drive = vl.map((x) => (o.dt * x) / tau);
    attrs.leak = Math.fround(1 - o.dt / tau);
    if (n.type === 'CubaLI') {
      if (drive.some((x) => x !== 0)) unsupported(n, 'v_leak ≠ 0: a current-based readout has no per-step drive after its synaptic current');
      const tauSyn = uniformTau(n, 'tau_syn', size, o.dt);
      const win = perNeuron(n, 'w_in', size, 1);
      gain = gain.map((x, i) => (x * o.dt * win[i]) / tauSyn);
      foldGain(n, ins, gain, new Float64Array(size));
      const sid = b.fresh(n.metadata.get('snnc.synapse') ?? `${n.name}_current`);
      const sloc = n.metadata.get('snnc.synapseloc');
      pending.push({ id: sid, op: 'synapse', inputs: [ref], attrs: { decay: Math.fround(1 - o.dt / tauSyn) }, shape, ...(sloc !== undefined ? { loc: sloc } : n.metadata.has('snnc.synapse') ? {} : loc(n)) });
      ref = sid;
    } else foldGain(n, ins, gain, drive);
  }
  const id = idOf(n);
  pending.push({ id, op: 'readout', inputs: [ref], attrs, shape, ...loc(n) });
  vals.set(n.name, { id, shape, kind: 'readout' });
}

/** Output: the readout it reads, or a readout of the spikes or current it reads. */
function importOutput(c: NirContext, n: NirNode): void {
  const { b, pending, loc, single } = c;
  const src = single(n);
  const shape = Array.from(param(n, 'shape').data);
  if (numel(shape) !== numel(src.shape)) throw new SnncError('SNN0323', `NIR edge into ${n.name}: the output holds ${numel(shape)} values, its source %${src.id} gives ${numel(src.shape)}`);
  if (src.kind === 'readout') {
    b.outputs = [src.id];
    return;
  }
  if (src.factor) unsupported(n, 'reads scaled events; snnc reports spike rates of a population or a readout');
  if (src.shape.length === 3 && src.shape[1] * src.shape[2] > 1) unsupported(n, `reads the map %${src.id} [${src.shape}]; snnc's outputs are vectors: end the graph with Flatten and a Linear, or a pool over the whole map`);
  // spikes or a current at the output: snnc reports their mean over the steps (a readout)
  const id = b.fresh(n.name);
  pending.push({ id, op: 'readout', inputs: [src.id], attrs: {}, shape: src.shape, ...loc(n) });
  b.outputs = [id];
}

/** Delay: τ/dt one-step delays of the spikes. */
function importDelay(c: NirContext, n: NirNode): void {
  const { o, b, vals, pending, loc, single, events } = c;
  // y(t) = x(t − τ): τ/dt one-step delays of the spikes
  const src = events(n, single(n));
  const d = perNeuron(n, 'delay', numel(src.shape));
  if (d.some((x) => x !== d[0])) unsupported(n, 'the delay varies over the elements; snnc delays a whole value at once');
  const k = Math.round(d[0] / o.dt);
  if (k < 1 || Math.abs(k * o.dt - d[0]) > 1e-6 * d[0]) unsupported(n, `a delay of ${d[0]} s is not a whole number of steps of dt = ${o.dt} s`);
  let ref = src.id;
  for (let j = k - 1; j >= 0; j--) {
    const id = b.fresh(j === 0 ? n.name : `${n.name}_${j}`);
    pending.push({ id, op: 'delay', inputs: [ref], attrs: {}, shape: src.shape, ...loc(n) });
    ref = id;
  }
  vals.set(n.name, { ...src, id: ref });
}

/** The importer of each NIR primitive snnc reads. */
const IMPORTERS: Readonly<Record<string, (c: NirContext, n: NirNode) => void>> = {
  Input: importInput,
  Affine: importLinear,
  Linear: importLinear,
  Conv1d: importConv,
  Conv2d: importConv,
  SumPool2d: importPool,
  AvgPool2d: importPool,
  Flatten: importFlatten,
  Scale: importScale,
  IF: importNeuron,
  LIF: importNeuron,
  CubaLIF: importNeuron,
  Threshold: importNeuron,
  I: importReadout,
  LI: importReadout,
  CubaLI: importReadout,
  Output: importOutput,
  Delay: importDelay,
};
