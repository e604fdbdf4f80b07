/**
 * snn-float -> NIR (the layout of NIR's reference writer, nir/serialization.py).
 *
 * A population `if` with threshold θ emits its amplitude A_c per spike (θ_c unless set apart); a
 * NIR neuron emits 1. So each population is written as a neuron followed by Scale(A):
 * IF(r = 1/dt, v_threshold = θ, v_reset = 0)
 * when it does not leak (v += dt·r·I = I, snnc's step), LIF(τ = dt/(1−λ), r = τ/dt, v_leak = 0)
 * when it leaks by λ per step (v = λv + I; λ, and so τ, per neuron when the leak is), CubaLIF when a
 * synaptic current feeds it. A projection is Conv2d, Linear (no bias) or Affine;
 * an add is NIR's implicit sum of the edges into a node; a readout is an integrator I(r = 1/dt),
 * a leaky one LI (CubaLI after a synaptic current)
 * (the sum; snnc reports it divided by t); average pools are AvgPool2d, a global one AvgPool2d
 * over the whole map; flatten is Flatten(0, -1).
 *
 * NIR cannot say what happens at the first step, nor per step: an initial membrane (vinit), a
 * per-step shift or bias table (shift, stepbias: the θ/2 and θ/2T shifts, SNN Calibration,
 * FTBC) are refused with the option that avoids them. Two discrete-time choices that NIR leaves
 * to each back end (in continuous time they coincide) are written as node metadata: reset by
 * subtraction (`snnc.reset`) and firing at v >= θ rather than v > θ (`snnc.fire`); other readers
 * run a reset to v_reset = 0 and fire at v > θ, and docs/nir.md says what that changes. The other
 * `snnc.*` metadata only name things so that snnc reads back the graph it wrote, text for text.
 */
import { SnncError } from '../../../ir/diagnostics.js';
import { attrInts, attrNum, attrStr, attrVector } from '../../../ir/ops.js';
import { isConstRef, type Graph, type Node } from '../../../ir/types.js';
import { spikeAmplitude } from '../../../ir/neuron-params.js';
import type { H5WriteNode } from './hdf5.js';

/** The NIR release whose reference reader this layout follows (neuromorphs/NIR 7232ada). */
export const NIR_VERSION = '1.0.7';

type Group = Extract<H5WriteNode, { kind: 'group' }>;
type Children = Map<string, H5WriteNode>;

const group = (children: Children): Group => ({ kind: 'group', children });
const floats = (shape: readonly number[], data: ArrayLike<number>, precision: 32 | 64 = 32): H5WriteNode => ({ kind: 'floats', shape, data, precision });
const intsOf = (data: readonly number[]): H5WriteNode => ({ kind: 'ints', shape: [data.length], data });
const str = (value: string): H5WriteNode => ({ kind: 'string', value });

function refuse(n: Node, feature: string, fix: string): never {
  throw new SnncError('SNN0325', `%${n.id}: ${feature} has no NIR form; ${fix}`);
}

/** A scalar, per-channel or per-neuron parameter, one value per neuron (NCHW). */
function perNeuron(values: Float64Array, size: number, HW: number): Float64Array {
  return Float64Array.from({ length: size }, (_, i) => values[values.length === 1 ? 0 : values.length === size ? i : Math.floor(i / HW)]);
}

export interface NirExportOptions {
  /** Seconds per step: the time constants and resistances are written for it. */
  readonly dt: number;
}

export function exportNir(g: Graph, o: NirExportOptions): Group {
  if (g.stage !== 'snn-float') throw new SnncError('SNN0407', `NIR export writes an snn-float graph (after convert), found stage ${g.stage}`);
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  const constData = (id: string): Float64Array => Float64Array.from(g.consts.get(id)!.data);
  const nodes: Children = new Map();
  const edges: string[] = [];
  /** NIR node whose output is IR value `id` (a population's is its Scale). */
  const source = new Map<string, string>();
  const used = new Set(g.nodes.map((n) => n.id));
  const freshName = (hint: string): string => {
    let s = hint;
    for (let i = 1; used.has(s); i++) s = `${hint}_${i}`;
    used.add(s);
    return s;
  };
  const noBatch = (n: Node): number[] => n.type.shape.slice(1);
  const meta = (entries: Record<string, string | undefined>): [string, H5WriteNode] => {
    const m: Children = new Map();
    for (const [k, v] of Object.entries(entries)) if (v !== undefined) m.set(k, str(v));
    return ['metadata', group(m)];
  };
  const constName = (n: Node, i: number): string | undefined => n.inputs[i]?.id;
  const isRecurrent = (d: Node): boolean => g.nodes.indexOf(byId.get(d.inputs[0].id)!) > g.nodes.indexOf(d);
  /** Edges by IR value: resolved to NIR nodes at the end, when a recurrent edge's source exists too. */
  const pendingEdges: [string, string][] = [];
  /** Per NIR node, the recurrent edges into it: [IR value read a step late, the delay's id, its location]. */
  const delaysInto = new Map<string, [string, string, string | null][]>();
  /** The IR values an operand sums: an add is flattened into its operands (NIR sums the edges into a node). */
  const sourcesOf = (id: string, adds: string[], to: string): string[] => {
    const p = byId.get(id);
    if (p?.op === 'synapse') return sourcesOf(p.inputs[0].id, adds, to);
    if (p?.op === 'add') {
      adds.push(p.id);
      return p.inputs.flatMap((r) => sourcesOf(r.id, adds, to));
    }
    if (p?.op === 'delay' && isRecurrent(p)) {
      // a recurrent edge (the delay reads a population later in the step): NIR's cycle carries it
      delaysInto.set(to, [...(delaysInto.get(to) ?? []), [p.inputs[0].id, p.id, p.loc ?? null]]);
      return [p.inputs[0].id];
    }
    return [id];
  };
  const connect = (n: Node, to: string): string[] => {
    const adds: string[] = [];
    for (const src of sourcesOf(n.inputs[0].id, adds, to)) pendingEdges.push([src, to]);
    return adds;
  };

  /** The add nodes folded into a node's input sum, by id and source location (snnc reads them back). */
  const recordSums = (name: string, adds: readonly string[]): void => {
    if (!adds.length) return;
    setMeta(nodes, name, 'snnc.sum', JSON.stringify(adds));
    setMeta(nodes, name, 'snnc.sumloc', JSON.stringify(adds.map((id) => byId.get(id)!.loc ?? null)));
  };

  g.nodes.forEach((n, order) => {
    const common = { 'snnc.order': String(order), 'snnc.loc': n.loc };
    const add = (name: string, type: string, params: [string, H5WriteNode][], m: Record<string, string | undefined> = {}): void => {
      nodes.set(name, group(new Map([['type', str(type)], ...params, meta({ ...common, ...m })])));
    };
    switch (n.op) {
      case 'input':
        if (n.attrs.perm) refuse(n, 'an input layout transpose (perm)', 'export the model in NCHW layout');
        add(n.id, 'Input', [['shape', intsOf(noBatch(n))]]);
        source.set(n.id, n.id);
        break;
      case 'conv2d': {
        const pads = attrInts(n, 'pads');
        if (pads[0] !== pads[2] || pads[1] !== pads[3]) refuse(n, `asymmetric padding [${pads}]`, 'NIR pads both sides alike');
        const w = g.consts.get(n.inputs[1].id)!;
        const Co = w.type.shape[0];
        const bias = n.inputs[2] ? constData(n.inputs[2].id) : new Float64Array(Co);
        const x = byId.get(n.inputs[0].id)!;
        add(n.id, 'Conv2d', [
          ['weight', floats(w.type.shape, w.data)],
          ['bias', floats([Co], bias)],
          ['stride', intsOf(attrInts(n, 'strides'))],
          ['padding', intsOf([pads[0], pads[1]])],
          ['dilation', intsOf(attrInts(n, 'dilations'))],
          ['groups', { kind: 'ints', shape: [], data: [attrNum(n, 'group')] }],
          ['input_shape', intsOf(x.type.shape.slice(2))],
        ], { 'snnc.weight': constName(n, 1), 'snnc.bias': constName(n, 2) });
        connect(n, n.id);
        source.set(n.id, n.id);
        break;
      }
      case 'dense': {
        const w = g.consts.get(n.inputs[1].id)!;
        const params: [string, H5WriteNode][] = [['weight', floats(w.type.shape, w.data)]];
        if (n.inputs[2]) params.push(['bias', floats([w.type.shape[0]], constData(n.inputs[2].id))]);
        if (noBatch(n).length !== 1) refuse(n, 'a dense layer over a map', 'flatten first');
        add(n.id, n.inputs[2] ? 'Affine' : 'Linear', params, { 'snnc.weight': constName(n, 1), 'snnc.bias': constName(n, 2) });
        connect(n, n.id);
        source.set(n.id, n.id);
        break;
      }
      case 'delay':
        if (isRecurrent(n)) break; // NIR's cycle
        add(n.id, 'Delay', [['delay', floats(noBatch(n), new Float64Array(noBatch(n).reduce((a, b) => a * b, 1)).fill(o.dt), 64)]]);
        connect(n, n.id);
        source.set(n.id, n.id);
        break;
      case 'add':
      case 'synapse':
        break; // an implicit sum, or the current state of the CubaLIF that reads it
      case 'if': {
        if (attrVector(n, 'vinit', g.consts, 0)!.some((v) => v !== 0)) refuse(n, 'an initial membrane (vinit, e.g. the θ/2 shift or SNN Calibration\'s potential correction)', 'convert with --init 0 and without --calibration advanced');
        if (attrVector(n, 'shift', g.consts, 0)!.some((v) => v !== 0)) refuse(n, 'a constant per-step shift (θ/2T)', 'convert without --shift');
        if (n.attrs.stepbias !== undefined) refuse(n, 'a per-step bias table (SNN Calibration, FTBC)', 'convert without --calibration light and --ftbc');
        const shape = noBatch(n);
        const size = shape.reduce((a, b) => a * b, 1);
        const C = shape.length === 3 ? shape[0] : size;
        const HW = size / C;
        const theta = perNeuron(attrVector(n, 'threshold', g.consts)!, size, HW);
        // the leak λ of every neuron; τ = dt / (1 − λ) makes one NIR step at dt one snnc step
        const leak = perNeuron(attrVector(n, 'leak', g.consts, 1)!, size, HW);
        const leaks = leak.some((l) => l !== 1);
        if (leaks && leak.some((l) => !(l >= 0 && l < 1))) refuse(n, `a leak factor ${leak.find((l) => !(l >= 0 && l < 1))} outside [0, 1) next to leaking neurons`, 'NIR time constants are positive and finite');
        const tauOf = leak.map((l) => o.dt / (1 - l));
        const ones = (v: number): Float64Array => new Float64Array(size).fill(v);
        const neuronMeta = {
          'snnc.reset': attrStr(n, 'reset') === 'subtract' ? 'subtract' : undefined,
          'snnc.fire': attrStr(n, 'fire', 'ge') === 'ge' ? 'ge' : undefined,
          'snnc.threshold': isConstRef(n.attrs.threshold) ? n.attrs.threshold.const : undefined,
          'snnc.leak': isConstRef(n.attrs.leak) ? n.attrs.leak.const : undefined,
        };
        const syn = byId.get(n.inputs[0].id);
        if (syn?.op === 'synapse') {
          // CubaLIF: I = β I + dt/τ_syn · w_in · S, v = λ v + dt/τ_mem · R · I; w_in = 1 and R = τ_mem τ_syn / dt² make both gains 1
          const decay = attrNum(syn, 'decay');
          if (!(decay >= 0 && decay < 1)) refuse(syn, `a synaptic decay ${decay} outside [0, 1)`, 'NIR time constants are positive');
          if (!leaks) refuse(n, 'a current-based neuron whose membrane does not leak', 'NIR\'s CubaLIF has a finite τ_mem');
          const tauSyn = o.dt / (1 - decay);
          add(n.id, 'CubaLIF', [
            ['tau_syn', floats(shape, ones(tauSyn), 64)],
            ['tau_mem', floats(shape, tauOf, 64)],
            ['r', floats(shape, tauOf.map((t) => (t * tauSyn) / (o.dt * o.dt)), 64)],
            ['v_leak', floats(shape, ones(0))],
            ['v_threshold', floats(shape, theta)],
            ['v_reset', floats(shape, ones(0))],
            ['w_in', floats(shape, ones(1))],
          ], { ...neuronMeta, 'snnc.synapse': syn.id, 'snnc.synapseloc': syn.loc });
        } else if (!leaks) {
          add(n.id, 'IF', [['r', floats(shape, ones(1 / o.dt), 64)], ['v_threshold', floats(shape, theta)], ['v_reset', floats(shape, ones(0))]], neuronMeta);
        } else {
          add(n.id, 'LIF', [['tau', floats(shape, tauOf, 64)], ['r', floats(shape, tauOf.map((t) => t / o.dt), 64)], ['v_leak', floats(shape, ones(0))], ['v_threshold', floats(shape, theta)], ['v_reset', floats(shape, ones(0))]], neuronMeta);
        }
        recordSums(n.id, connect(n, n.id));
        const amp = freshName(`${n.id}.amplitude`);
        add(amp, 'Scale', [['scale', floats(shape, perNeuron(spikeAmplitude(n, g.consts), size, HW))]]);
        edges.push(n.id, amp);
        source.set(n.id, amp);
        break;
      }
      case 'readout': {
        const shape = noBatch(n);
        const size = shape.reduce((a, b) => a * b, 1);
        const ones = (v: number): Float64Array => new Float64Array(size).fill(v);
        const leak = attrNum(n, 'leak', 1);
        const syn = byId.get(n.inputs[0].id);
        if (!(leak >= 0 && leak <= 1)) refuse(n, `a readout leak ${leak} outside [0, 1]`, 'NIR time constants are positive');
        if (syn?.op === 'synapse') {
          // CubaLI, gains 1 as for CubaLIF
          const decay = attrNum(syn, 'decay');
          if (leak === 1 || !(decay >= 0 && decay < 1)) refuse(n, 'a current-based readout without a membrane leak, or with a synaptic decay outside [0, 1)', 'NIR\'s CubaLI has finite time constants');
          const tauSyn = o.dt / (1 - decay);
          const tauMem = o.dt / (1 - leak);
          add(n.id, 'CubaLI', [['tau_syn', floats(shape, ones(tauSyn), 64)], ['tau_mem', floats(shape, ones(tauMem), 64)], ['r', floats(shape, ones((tauMem * tauSyn) / (o.dt * o.dt)), 64)], ['v_leak', floats(shape, ones(0))], ['w_in', floats(shape, ones(1))]], { 'snnc.synapse': syn.id, 'snnc.synapseloc': syn.loc });
        } else if (leak < 1) {
          const tau = o.dt / (1 - leak);
          add(n.id, 'LI', [['tau', floats(shape, ones(tau), 64)], ['r', floats(shape, ones(tau / o.dt), 64)], ['v_leak', floats(shape, ones(0))]]);
        } else add(n.id, 'I', [['r', floats(shape, ones(1 / o.dt), 64)]]);
        recordSums(n.id, connect(n, n.id));
        source.set(n.id, n.id);
        break;
      }
      case 'flatten':
      case 'reshape': {
        const x = byId.get(n.inputs[0].id)!;
        if (noBatch(n).length !== 1) refuse(n, `a reshape to [${noBatch(n)}]`, 'NIR flattens to a vector');
        add(n.id, 'Flatten', [['start_dim', { kind: 'ints', shape: [], data: [0] }], ['end_dim', { kind: 'ints', shape: [], data: [-1] }], ['input_type', intsOf(noBatch(x))]]);
        connect(n, n.id);
        source.set(n.id, n.id);
        break;
      }
      case 'avgpool2d': {
        const pads = attrInts(n, 'pads');
        if (pads[0] !== pads[2] || pads[1] !== pads[3]) refuse(n, `asymmetric padding [${pads}]`, 'NIR pads both sides alike');
        if (n.attrs.ceilMode === true) refuse(n, 'ceil-mode pooling', 'export with floor mode');
        if (pads.some((p) => p > 0) && n.attrs.countIncludePad !== true) refuse(n, 'an average pool that excludes padding from the divisor', 'NIR divides by the window size');
        add(n.id, 'AvgPool2d', [['kernel_size', intsOf(attrInts(n, 'kernel'))], ['stride', intsOf(attrInts(n, 'strides'))], ['padding', intsOf([pads[0], pads[1]])]]);
        connect(n, n.id);
        source.set(n.id, n.id);
        break;
      }
      case 'globalavgpool': {
        const [, , H, W] = byId.get(n.inputs[0].id)!.type.shape;
        add(n.id, 'AvgPool2d', [['kernel_size', intsOf([H, W])], ['stride', intsOf([H, W])], ['padding', intsOf([0, 0])]]);
        connect(n, n.id);
        source.set(n.id, n.id);
        break;
      }
      case 'maxpool2d':
      case 'spikemaxpool':
        refuse(n, 'a max pool', 'convert with --maxpool avg');
        break;
      default:
        refuse(n, `the op '${n.op}'`, 'NIR has no such primitive');
    }
  });

  if (g.outputs.length !== 1) throw new SnncError('SNN0325', `NIR export writes one output, the graph has ${g.outputs.length}`);
  const out = byId.get(g.outputs[0])!;
  const outName = freshName('output');
  nodes.set(outName, group(new Map([['type', str('Output')], ['shape', intsOf(noBatch(out))]])));
  edges.push(source.get(out.id)!, outName);
  for (const [from, to] of pendingEdges) {
    const s = source.get(from);
    if (!s) throw new Error(`internal: %${from} has no NIR node`);
    edges.push(s, to);
  }
  for (const [to, list] of delaysInto) setMeta(nodes, to, 'snnc.delays', JSON.stringify(list.map(([from, id, at]) => [source.get(from)!, id, at])));

  const graphMeta: Children = new Map([
    ['snnc.name', str(g.name)],
    ['snnc.steps', str(String(g.steps))],
    ['snnc.dt', str(String(o.dt))],
    ['snnc.input', str(g.nodes.find((n) => n.op === 'input')!.attrs.temporal === true ? 'temporal' : 'static')],
    ['snnc.consts', str([...g.consts.keys()].join(','))],
  ]);
  for (const [k, v] of Object.entries(g.meta)) graphMeta.set(`snnc.meta.${k}`, str(v));
  const top: Children = new Map<string, H5WriteNode>([
    ['type', str('NIRGraph')],
    ['nodes', group(nodes)],
    ['edges', { kind: 'strings', shape: [edges.length / 2, 2], data: edges }],
    ['metadata', group(graphMeta)],
  ]);
  return group(new Map<string, H5WriteNode>([['version', str(NIR_VERSION)], ['node', group(top)]]));
}

function setMeta(nodes: Children, name: string, key: string, value: string): void {
  const node = nodes.get(name) as Group;
  const m = node.children.get('metadata') as Group;
  (m.children as Children).set(key, str(value));
}
