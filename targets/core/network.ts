/**
 * An snn-fixed graph as a core sees it: units (IF populations and readouts) with per-neuron
 * parameters, and for every (source, unit) pair the effective synapses from the source's
 * neurons to the unit's neurons. Sources are the graph input (graded values, delivered once per
 * sample into a static current, or for a temporal input one frame at every step) and the
 * populations (spikes, every step).
 *
 * Every op between a source and a unit is linear and exact in integers (conv2d, dense, add, mul,
 * sum pooling, global sum pooling, concat, flatten, reshape), so the current of neuron i is
 *
 *     x_i(t) = Σ_j S_ij q_j  +  Σ_P Σ_j W^P_ij s^P_j(t),      S = ∏ (linear ops from the input)
 *
 * with integer effective weights obtained by pushing one unit event at a time through the chain
 * (the same plan and index space as the reference interpreter: HWC storage order). A max pool
 * (logical OR, or the gated spiking max pool) is not linear and has no core form: refused,
 * naming the node. Units are ordered by level (1 + the deepest source level); a step runs the
 * levels in order, so the delay-0 semantics of the interpreter hold. A path through a `delay`
 * op (insert-delays) makes a delayed projection: it feeds the unit's next-step current and does
 * not order the levels.
 */
import { tppOf, type TppParams } from '../../ir/tpp.js';
import { SnncError } from '../../ir/diagnostics.js';
import { Arena } from '../../ir/engine/arena.js';
import { layoutParam, leakOfNode, stepTerms } from '../../ir/engine/neuron-fixed.js';
import { buildPlan, type Buf, type PlanOp } from '../../ir/engine/plan.js';
import { attrInt, attrStr, attrVector } from '../../ir/ops.js';
import { isConstRef, type Graph, type Node } from '../../ir/types.js';
import type { Leak } from '../../ir/fixed-arith.js';

/** Effective synapses from one source to one unit, by source neuron (CSR). */
export interface Projection {
  readonly source: number; // -1: the graph input; otherwise a unit index (a population)
  readonly rowStart: Int32Array; // length = source size + 1
  readonly target: Int32Array; // unit neuron index (HWC)
  readonly weight: Float64Array;
  /** Weights of the IR ops on the way (a shared-kernel core stores these once). */
  readonly kernelWords: number;
  /** The path holds a one-step `delay`: spikes of step t reach the unit at step t+1. */
  readonly delayed: boolean;
}

export interface Unit {
  readonly id: string;
  readonly kind: 'population' | 'readout';
  readonly size: number;
  /** Channels of the unit's value (HWC: neuron i is in channel i mod C). */
  readonly channels: number;
  readonly level: number;
  readonly accBits: number;
  /** Membrane (population) or running-sum (readout) width. */
  readonly vBits: number;
  readonly overflow: 'saturate' | 'wrap';
  readonly subtract: boolean;
  readonly leak: Leak;
  /** Per neuron (HWC), when the leak multiplier is given per channel or per neuron. */
  readonly leakMuls?: Float64Array;
  /** Per neuron, HWC (populations). */
  readonly threshold: Float64Array;
  readonly vinit: Float64Array;
  /** R rows of per-neuron additive terms; (local) step t uses row min(t, R) - 1. */
  readonly bias: Float64Array[];
  readonly inputs: Projection[];
  /** A TPP population's rule and stream (ir/tpp.ts); absent for integrate-and-fire. */
  readonly tpp?: TppParams;
  /** Layer-major window offset (0 in a step-major graph). */
  readonly window: number;
}

/**
 * A sum pool reading a population's spikes, kept as a stage of the cores holding the population
 * (as DYNAP-CNN pools after its neurons): each core adds its spikes into the pooled cells (a
 * spike at position p, channel c adds 1 to cell (q, c) for every window q containing p) and
 * sends the nonzero partial sums as graded events. Pooling is linear, so the partial sums of
 * several cores add up at the destination to the interpreter's pooled value, exactly.
 */
export interface PoolStage {
  readonly unit: number;
  readonly channels: number;
  /** Positions of the population's map (H·W) and of the pooled map. */
  readonly positions: number;
  readonly cells: number;
  /** For each input position p, the pooled positions fanOut[fanStart[p] .. fanStart[p+1]). */
  readonly fanStart: Int32Array;
  readonly fanOut: Int32Array;
}

/** Source numbering: -1 the graph input, k >= 0 the spikes of unit k, -2 - q the cells of pool stage q. */
export function poolSource(q: number): number {
  return -2 - q;
}

export interface CoreNetwork {
  readonly name: string;
  readonly steps: number;
  readonly inputSize: number;
  readonly inputShape: { C: number; H: number; W: number };
  /** Input frames per sample: 1 (a value delivered once, into a static current) or T (one per step). */
  readonly inputFrames: number;
  readonly units: Unit[];
  readonly pools: PoolStage[];
  /** Index of the unit the graph outputs (a readout). */
  readonly output: number;
}

type Sparse = Map<number, number>;

/**
 * One projection's synapses, appended a source neuron at a time in increasing order, as CSR
 * (each row's targets ascending). Rows are packed as they come, so a source's synapses never
 * live as one Map per neuron.
 */
class CsrBuilder {
  private readonly rowStart: Int32Array;
  private target = new Int32Array(1024);
  private weight = new Float64Array(1024);
  private nnz = 0;
  /** The first row whose start is not yet written. */
  private next = 0;

  constructor(private readonly rows: number) {
    this.rowStart = new Int32Array(rows + 1);
  }

  /** Row j (after every row appended before it); rows skipped in between are empty. */
  append(j: number, row: Sparse): void {
    if (j < this.next) throw new Error(`CsrBuilder: row ${j} appended after row ${this.next - 1}`);
    while (this.next <= j) this.rowStart[this.next++] = this.nnz;
    const need = this.nnz + row.size;
    if (need > this.target.length) {
      const grown = Math.max(need, 2 * this.target.length);
      const target = new Int32Array(grown);
      target.set(this.target.subarray(0, this.nnz));
      const weight = new Float64Array(grown);
      weight.set(this.weight.subarray(0, this.nnz));
      this.target = target;
      this.weight = weight;
    }
    // the row's targets go straight into place and are sorted there (a numeric, typed-array sort)
    const keys = this.target.subarray(this.nnz, need);
    let k = 0;
    for (const i of row.keys()) keys[k++] = i;
    keys.sort();
    for (const i of keys) this.weight[this.nnz++] = row.get(i)!;
  }

  finish(): { rowStart: Int32Array; target: Int32Array; weight: Float64Array } {
    while (this.next <= this.rows) this.rowStart[this.next++] = this.nnz;
    return { rowStart: this.rowStart, target: this.target.slice(0, this.nnz), weight: this.weight.slice(0, this.nnz) };
  }
}

function addTo(m: Sparse, i: number, v: number): void {
  if (v === 0) return;
  const s = (m.get(i) ?? 0) + v;
  if (s === 0) m.delete(i);
  else m.set(i, s);
}

/** A new sparse vector from `add(out, position, channel, value)` over the entries of an HWC map's vector. */
function eachEvent(x: Sparse | undefined, C: number, add: (out: Sparse, p: number, c: number, v: number) => void): Sparse | undefined {
  if (!x) return undefined;
  const out: Sparse = new Map();
  for (const [i, v] of x) {
    const p = Math.floor(i / C);
    add(out, p, i - p * C, v);
  }
  return out;
}

/** Push a sparse vector through one linear op (HWC index space of the plan's buffers). */
function propagate(op: PlanOp, vals: Map<string, Sparse>, unsupported: (n: Node) => never): Sparse | undefined {
  const get = (b: Buf): Sparse | undefined => vals.get(b.id);
  switch (op.kind) {
    case 'conv':
      return eachEvent(get(op.in), op.in.C, (out, p, c, v) => {
        const obase = Math.floor(c / op.Cg) * op.Og;
        for (let g = op.seg.start[p]; g < op.seg.start[p + 1]; g++) {
          const w0 = c * op.kk * op.Og + op.seg.w[g];
          for (let j = 0; j < op.seg.len[g]; j++) addTo(out, op.seg.out[g] + obase + j, v * op.w[w0 + j]);
        }
      });
    case 'dense': {
      const x = get(op.in);
      if (!x) return undefined;
      const out: Sparse = new Map();
      for (const [k, v] of x) for (let m = 0; m < op.M; m++) addTo(out, m, v * op.wT[k * op.M + m]);
      return out;
    }
    case 'add': {
      const a = get(op.a);
      const b = get(op.b);
      // one side absent: the other is the sum (vectors are never changed once made, so it is shared)
      if (!a || !b) return a ?? b;
      const out: Sparse = new Map(a);
      for (const [i, v] of b) addTo(out, i, v);
      return out;
    }
    case 'mul': {
      const x = get(op.in);
      if (!x) return undefined;
      const out: Sparse = new Map();
      for (const [i, v] of x) addTo(out, i, v * op.scale[i % op.in.C]);
      return out;
    }
    case 'pool':
      if (op.mode !== 'sum') unsupported(op.node);
      return eachEvent(get(op.in), op.in.C, (out, p, c, v) => {
        for (let f = op.geom.fanStart[p]; f < op.geom.fanStart[p + 1]; f++) addTo(out, op.geom.fanOut[f] * op.in.C + c, v);
      });
    case 'gpool': {
      if (op.mode !== 'sum') unsupported(op.node);
      const x = get(op.in);
      if (!x) return undefined;
      const out: Sparse = new Map();
      for (const [i, v] of x) addTo(out, i % op.in.C, v);
      return out;
    }
    case 'concat': {
      if (!op.ins.some((b) => get(b))) return undefined;
      const out: Sparse = new Map();
      const Cout = op.out.C;
      let c0 = 0;
      for (const b of op.ins) {
        for (const [i, v] of get(b) ?? []) {
          const p = Math.floor(i / b.C);
          addTo(out, p * Cout + c0 + (i - p * b.C), v);
        }
        c0 += b.C;
      }
      return out;
    }
    case 'delay': {
      const x = get(op.in);
      return x ? new Map(x) : undefined;
    }
    case 'spikemaxpool':
      return unsupported(op.node);
    default:
      return undefined;
  }
}

function weightWords(g: Graph, node: Node): number {
  return node.inputs.filter((r) => r.kind === 'const').reduce((a, r) => a + g.consts.get(r.id)!.data.length, 0);
}

export function coreNetwork(g: Graph): CoreNetwork {
  if (g.stage !== 'snn-fixed') throw new SnncError('SNN0205', `the core target runs snn-fixed graphs, found stage ${g.stage}`);
  const plan = buildPlan(g, new Arena());
  const unsupported = (n: Node): never => {
    throw new SnncError('SNN0205', `'${n.op}' is not linear, and an event-driven core has no max-pool unit: convert with --maxpool avg, or compile for the c target`, `%${n.id}`);
  };
  for (const n of g.nodes) if (n.op === 'maxpool2d' || n.op === 'spikemaxpool') unsupported(n);
  const synapse = g.nodes.find((n) => n.op === 'synapse');
  if (synapse) throw new SnncError('SNN0205', 'the core\'s neurons have a membrane and no synaptic-current state (a current-based LIF): compile for the c target', `%${synapse.id}`);
  const ops = [...plan.staticOps, ...plan.stepOps];
  const unitOps = plan.stepOps.filter((op): op is Extract<PlanOp, { kind: 'neuron' | 'readout' }> => op.kind === 'neuron' || op.kind === 'readout');
  const unitIndex = new Map(unitOps.map((op, k) => [op.node.id, k]));
  /** For each unit, its projections by source (filled below). */
  const projections = unitOps.map(() => new Map<string, Projection>());
  // sum pools reading a population's spikes become pool stages: their cells are a source of their own
  const pools: PoolStage[] = [];
  const poolOps = new Set<PlanOp>();
  const sources: { id: number; buf: Buf }[] = [{ id: -1, buf: plan.input }];
  for (const op of unitOps) {
    if (op.kind !== 'neuron') continue;
    const unit = unitIndex.get(op.node.id)!;
    sources.push({ id: unit, buf: op.out });
    for (const q of plan.stepOps) {
      if ((q.kind === 'pool' && q.mode === 'sum') || (q.kind === 'gpool' && q.mode === 'sum')) {
        if (q.in.store !== op.out.store || q.in.rank !== 3) continue;
        const positions = q.in.H * q.in.W;
        const fanStart = q.kind === 'pool' ? q.geom.fanStart : Int32Array.from({ length: positions + 1 }, (_, p) => p);
        const fanOut = q.kind === 'pool' ? q.geom.fanOut : new Int32Array(positions);
        pools.push({ unit, channels: q.in.C, positions, cells: q.out.size, fanStart, fanOut });
        poolOps.add(q);
        sources.push({ id: poolSource(pools.length - 1), buf: q.out });
      }
    }
  }
  // flatten / reshape are views of their producer's storage: one sparse vector serves them all
  const viewsOf = new Map<string, string[]>();
  for (const b of plan.bufs.values()) {
    const owner = [...plan.bufs.values()].find((o) => o.store === b.store)!;
    if (owner.id !== b.id) viewsOf.set(owner.id, [...(viewsOf.get(owner.id) ?? []), b.id]);
  }
  const setValue = (vals: Map<string, Sparse>, id: string, v: Sparse): void => {
    vals.set(id, v);
    for (const view of viewsOf.get(id) ?? []) vals.set(view, v);
  };
  for (const src of sources) {
    const rows = new Map<string, CsrBuilder>(); // unit:delayed -> rows by source neuron
    /**
     * Per unit:delayed, the projection ops on the paths from this source to the unit (their
     * weights are what a shared-kernel core stores once). Every neuron of a source flows
     * through the same ops, so the paths of neuron 0 are traced, op by op.
     */
    const kernels = new Map<string, Set<Node>>();
    for (let j = 0; j < src.buf.size; j++) {
      const vals = new Map<string, Sparse>();
      /** Buffers whose values (from this source) went through a delay. */
      const delayed = new Set<string>();
      /** For neuron 0: the projection ops on the paths into each buffer. */
      const via = new Map<string, Set<Node>>();
      setValue(vals, src.buf.id, new Map([[j, 1]]));
      for (const op of ops) {
        if (op.kind === 'neuron' || op.kind === 'readout') {
          const x = vals.get(op.in.id);
          if (!x) continue;
          const u = unitIndex.get(op.node.id)!;
          const key = `${u}:${delayed.has(op.in.id) ? 1 : 0}`;
          let r = rows.get(key);
          if (!r) rows.set(key, (r = new CsrBuilder(src.buf.size)));
          r.append(j, x);
          if (j === 0) {
            let ks = kernels.get(key);
            if (!ks) kernels.set(key, (ks = new Set()));
            for (const n of via.get(op.in.id) ?? []) ks.add(n);
          }
          continue;
        }
        // a pool stage's cells are their own source: spikes do not also flow through the pool
        if (poolOps.has(op) && src.buf.store !== op.out.store) continue;
        const out = propagate(op, vals, unsupported);
        if (out && out.size) {
          const ins = (op.kind === 'add' ? [op.a, op.b] : op.kind === 'concat' ? op.ins : [(op as { in: Buf }).in]).filter((b) => vals.has(b.id));
          const late = ins.filter((b) => delayed.has(b.id)).length;
          if (late > 0 && late < ins.length) throw new SnncError('SNN0205', `'${op.node.op}' adds delayed and undelayed paths from one source; a core delays every synapse alike`, `%${op.node.id}`);
          setValue(vals, op.out.id, out);
          if (op.kind === 'delay' || late > 0) {
            delayed.add(op.out.id);
            for (const view of viewsOf.get(op.out.id) ?? []) delayed.add(view);
          }
          if (j === 0) {
            const ks = new Set<Node>(ins.flatMap((b) => [...(via.get(b.id) ?? [])]));
            if (op.kind === 'conv' || op.kind === 'dense' || op.kind === 'mul') ks.add(op.node);
            for (const id of [op.out.id, ...(viewsOf.get(op.out.id) ?? [])]) via.set(id, ks);
          }
        }
      }
    }
    for (const [key, r] of rows) {
      const [u, late] = key.split(':').map(Number);
      const words = [...(kernels.get(key) ?? [])].reduce((a, n) => a + weightWords(g, n), 0);
      projections[u].set(`${src.id}:${late}`, { source: src.id, ...r.finish(), kernelWords: words, delayed: late === 1 });
    }
  }
  const levels = new Array<number>(unitOps.length).fill(1);
  const units: Unit[] = unitOps.map((op, u) => {
    const n = op.node;
    const inputs = [...projections[u].values()];
    const sourceUnit = (src: number): number => (src >= 0 ? src : src <= -2 ? pools[-2 - src].unit : -1);
    // a delayed projection hears the previous step: it does not order the levels of a step
    levels[u] = 1 + Math.max(0, ...inputs.filter((p) => !p.delayed).map((p) => sourceUnit(p.source)).filter((k) => k >= 0).map((k) => levels[k]));
    const buf = op.out;
    const perNeuron = (v: Float64Array | undefined, fill = 0): Float64Array => {
      const out = new Float64Array(buf.size).fill(fill);
      if (!v) return out;
      const p = layoutParam(v, buf);
      for (let i = 0; i < buf.size; i++) out[i] = p.perNeuron ? p.data[i] : p.data[i % buf.C];
      return out;
    };
    const terms = stepTerms(n, g, buf);
    const bias = terms.rows.map((row) => Float64Array.from({ length: buf.size }, (_, i) => (terms.perNeuron ? row[i] : row[i % buf.C])));
    const population = op.kind === 'neuron';
    return {
      id: n.id,
      kind: population ? 'population' : 'readout',
      size: buf.size,
      channels: buf.C,
      level: levels[u],
      accBits: population ? attrInt(n, 'accbits') : attrInt(n, 'sumbits'),
      vBits: population ? attrInt(n, 'vbits') : attrInt(n, 'sumbits'),
      overflow: attrStr(n, 'overflow') as 'saturate' | 'wrap',
      subtract: population ? attrStr(n, 'reset') === 'subtract' : false,
      leak: leakOfNode(n),
      // a leak multiplier per channel or per neuron, one per neuron (HWC), or none
      leakMuls: isConstRef(n.attrs.leakmul) ? perNeuron(attrVector(n, 'leakmul', g.consts)) : undefined,
      threshold: population ? perNeuron(attrVector(n, 'threshold', g.consts)) : new Float64Array(buf.size),
      vinit: population ? perNeuron(attrVector(n, 'vinit', g.consts)) : new Float64Array(buf.size),
      bias,
      inputs,
      ...(population && tppOf(n) ? { tpp: tppOf(n)! } : {}),
      window: attrInt(n, 'window', 0),
    };
  });
  const outIdx = unitIndex.get(g.outputs[0]);
  if (outIdx === undefined || units[outIdx].kind !== 'readout') throw new SnncError('SNN0205', 'the graph output must be a readout', `%${g.outputs[0]}`);
  const inB = plan.input;
  return { name: g.name, steps: g.steps!, inputSize: inB.size, inputShape: { C: inB.C, H: inB.H, W: inB.W }, inputFrames: inB.isStatic ? 1 : g.steps!, units, pools, output: outIdx };
}
