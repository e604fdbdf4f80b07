/**
 * Two-phase probabilistic (TPP) neurons (Bojković, Wu & Gu, ICML 2025) and the layer-major
 * schedule they run on. One definition for every executor; the prose is in docs/semantics.md.
 *
 * A TPP population with window o (global steps g = 1, 2, ...) and T = graph steps:
 *
 *   accumulate  g <= o + T:      v = v + x(g) (+ the bias row of local step g - o when 1 <= g - o <= T)
 *                                 no spike (every input spike upstream has arrived by o + T)
 *   fire        o < g - T <= T:  k = g - o - T (1..T); U = draw(seed, key, k, n) in [0, 2^16)
 *                                 remaining rule: R = T - k + 1; fires iff U·θ·R < v·2^16; v -= θ on a spike
 *                                 iid rule:       R = T;         fires iff U·θ·T < v·2^16; v unchanged
 *                                 round rule:     no draw;       fires iff 2v >= θ;      v -= θ on a spike
 *   silent      g > o + 2T
 *
 * i.e. p = clip(v / (θ R), 0, 1) and a spike iff U / 2^16 < p, compared without a division (exact:
 * the verifier bounds θ·T·2^16 and v·2^16 below 2^53). The round rule is the schedule's
 * deterministic limit: a window emits clip(floor(V/θ + 1/2), 0, T) spikes, at its first steps, so
 * a network of round populations computes its ANN with every activation rounded to T levels.
 * n is the neuron's NCHW index in the population, so no executor's traversal order changes a
 * draw. A readout with window o adds its input and its bias at local steps 1..T only, and is read
 * after step o + T. The input current of a population with window o > 0 carries no constant: a
 * projection bias would be added at every step from 1 to o + T, so it lives in the population's
 * own per-step table instead.
 *
 * The windows are a function of the graph (`requiredWindows`): a population fires once its
 * inputs have all arrived. A population's output train occupies (o + T, o + 2T], a delay node
 * shifts a train by a step, and stateless ops take the latest of their operands; a population
 * reading the analog input (present at every step) must accumulate in window 0.
 */
import { attrInt, attrStr } from './ops.js';
import type { Graph, Node } from './types.js';

/** remaining: p = v / (θ (T - k + 1)), v -= θ per spike (rule A, the default); iid: p = v / (θ T), v kept (rule B); round: a spike iff v >= θ/2, v -= θ per spike (no draw). */
export const TPP_RULES = ['remaining', 'iid', 'round'] as const;
export type TppRule = (typeof TPP_RULES)[number];

/** The attributes that make a population TPP and place it on the schedule (a readout has `window` only). */
export const TPP_ATTRS = ['tpp', 'window', 'seed', 'key'] as const;

/** Bits of a uniform draw. */
export const TPP_RANDOM_BITS = 16;
const ONE = 2 ** TPP_RANDOM_BITS;

/** A 32-bit integer hash (xorshift-multiply, full avalanche); uint32 in, uint32 out. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** The key shared by every neuron of a population at firing step k: mix32(mix32(mix32(seed ^ 0x9e3779b9) ^ key) ^ k). */
export function stepStream(seed: number, key: number, k: number): number {
  return mix32((mix32((mix32((seed ^ 0x9e3779b9) >>> 0) ^ key) >>> 0) ^ k) >>> 0);
}

/** The draw of neuron n (NCHW index) in a step's stream: U = mix32(stream ^ n) >> 16, in [0, 2^16). */
export function drawOf(stream: number, n: number): number {
  return mix32((stream ^ n) >>> 0) >>> 16;
}

/** Does a TPP neuron with membrane v and threshold θ fire, for draw U and R remaining steps (p = clip(v/(θR), 0, 1))? */
export function tppFires(v: number, theta: number, R: number, U: number): boolean {
  return U * theta * R < v * ONE;
}

/**
 * The firing phase of neurons [from, to) of a TPP population at firing step k (1..T), neurons
 * stored channel-last (i = p·C + c, NCHW key c·HW + p): each that fires loses θ (rule A) and is
 * passed to `spike`. Shared by every executor; v's element type does the stage's rounding.
 * A draw consumes nothing (it is a hash of its key), so a neuron whose outcome does not depend
 * on it is decided without it: v <= 0 never fires (p = 0), v >= θR always does (p = 1). The
 * round rule draws nothing.
 */
export function fireTpp(p: Pick<TppParams, 'rule' | 'seed' | 'key'>, T: number, k: number, v: Float32Array | Float64Array, from: number, to: number, C: number, thetaAt: (i: number, c: number) => number, spike: (i: number, theta: number) => void): void {
  if (p.rule === 'round') {
    for (let i = from; i < to; i++) {
      const theta = thetaAt(i, i % C);
      if (2 * v[i] >= theta) {
        v[i] -= theta;
        spike(i, theta);
      }
    }
    return;
  }
  const stream = stepStream(p.seed, p.key, k);
  const remaining = p.rule === 'remaining';
  const R = remaining ? T - k + 1 : T;
  const HW = v.length / C;
  for (let i = from; i < to; i++) {
    const vi = v[i];
    if (vi <= 0) continue;
    const c = i % C;
    const theta = thetaAt(i, c);
    if (vi >= theta * R || tppFires(vi, theta, R, drawOf(stream, c * HW + (i - c) / C))) {
      if (remaining) v[i] -= theta;
      spike(i, theta);
    }
  }
}

export interface TppParams {
  readonly rule: TppRule;
  readonly window: number;
  readonly seed: number;
  readonly key: number;
}

/** A population's TPP parameters, or undefined for an integrate-and-fire population. */
export function tppOf(n: Node): TppParams | undefined {
  if (n.op !== 'if' || n.attrs.tpp === undefined) return undefined;
  return { rule: attrStr(n, 'tpp') as TppRule, window: attrInt(n, 'window', 0), seed: attrInt(n, 'seed', 0), key: attrInt(n, 'key', 0) };
}

/** Does the graph run the layer-major schedule (has TPP populations)? */
export function isLayerMajor(g: Graph): boolean {
  return g.nodes.some((n) => n.op === 'if' && n.attrs.tpp !== undefined);
}

/** Global steps one inference takes: T, or the end of the last window of a layer-major graph. */
export function runSteps(g: Graph): number {
  const T = g.steps!;
  let end = T;
  for (const n of g.nodes) {
    if (n.op === 'if' && n.attrs.tpp !== undefined) end = Math.max(end, attrInt(n, 'window', 0) + 2 * T);
    else if (n.op === 'readout') end = Math.max(end, attrInt(n, 'window', 0) + T);
  }
  return end;
}

/**
 * The global step after which the readout holds the answer of a T'-step inference: T' itself
 * (step-major: any prefix), T' + window when the readout waits for delayed input (a step-major
 * graph aligned for a one-step synaptic delay), or the end of the schedule when T' = T
 * (layer-major: only the whole). Undefined when a layer-major graph is asked for another T'.
 */
export function readoutStep(g: Graph, t: number): number | undefined {
  if (!isLayerMajor(g)) {
    const out = g.nodes.find((n) => n.id === g.outputs[0]);
    return t + (out?.op === 'readout' ? attrInt(out, 'window', 0) : 0);
  }
  return t === g.steps ? runSteps(g) : undefined;
}

/** The bias row a unit adds at global step g: its local step g - window when in 1..T, else none (0). */
export function localStep(g: number, window: number, T: number): number {
  const k = g - window;
  return k >= 1 && k <= T ? k : 0;
}

/** The schedule a layer-major graph needs: each population's and readout's window; an error message per node that cannot be scheduled. */
export function requiredWindows(g: Graph): { windows: Map<string, number>; problems: { id: string; message: string }[] } {
  const T = g.steps!;
  /**
   * Per value: the first and last global step at which it may carry spikes (first > last: none),
   * whether it carries the analog input (present at every step), and whether a projection bias
   * reaches it (a constant added at every step).
   */
  interface Arrival {
    first: number;
    last: number;
    analog: boolean;
    biased: boolean;
  }
  const arrival = new Map<string, Arrival>();
  const windows = new Map<string, number>();
  const problems: { id: string; message: string }[] = [];
  for (const n of g.nodes) {
    const fail = (message: string): void => void problems.push({ id: n.id, message });
    const values = n.inputs.filter((r) => r.kind === 'value');
    if (values.some((r) => !arrival.has(r.id))) fail('a recurrent edge: a layer-major graph runs each population once, after its inputs');
    const ins = values.map((r) => arrival.get(r.id) ?? { first: Infinity, last: 0, analog: false, biased: false });
    const merged: Arrival = {
      first: Math.min(Infinity, ...ins.map((a) => a.first)),
      last: Math.max(0, ...ins.map((a) => a.last)),
      analog: ins.some((a) => a.analog),
      biased: ins.some((a) => a.biased),
    };
    switch (n.op) {
      case 'input':
        arrival.set(n.id, { first: Infinity, last: 0, analog: true, biased: false });
        if (n.attrs.temporal === true) fail('a layer-major (TPP) graph takes a static input, not one frame per step');
        break;
      case 'if': {
        const o = Math.max(0, merged.last - T);
        if (n.attrs.tpp === undefined) fail('every population of a layer-major graph is a TPP population');
        if (merged.analog && o > 0) fail(`reads the analog input (present at every step) and spikes that end at step ${merged.last}: it cannot accumulate in one window`);
        if (merged.biased && o > 0) fail(`a projection bias reaches this population, which accumulates from step 1 to ${o + T}: the bias belongs in its own per-step table (the tpp pass moves it)`);
        windows.set(n.id, o);
        arrival.set(n.id, { first: o + T + 1, last: o + 2 * T, analog: false, biased: false });
        break;
      }
      case 'readout': {
        const o = Math.max(0, merged.last - T);
        if (merged.first <= o) fail(`hears spikes from step ${merged.first} to ${merged.last}: a readout sums one window of T steps`);
        if (merged.analog && o > 0) fail(`reads the analog input and spikes that end at step ${merged.last}`);
        windows.set(n.id, o);
        arrival.set(n.id, { first: Infinity, last: 0, analog: false, biased: false });
        break;
      }
      case 'delay':
        arrival.set(n.id, { ...merged, first: merged.first + 1, last: merged.last === 0 ? 0 : merged.last + 1 });
        break;
      case 'synapse':
        fail('a synaptic current carries charge across windows: not in a layer-major graph');
        arrival.set(n.id, merged);
        break;
      case 'conv2d':
      case 'dense':
        arrival.set(n.id, { ...merged, biased: merged.biased || n.inputs.length > 2 });
        break;
      default:
        arrival.set(n.id, merged);
    }
  }
  return { windows, problems };
}

/**
 * What a layer-major graph must satisfy, as messages per node: every population is TPP, the
 * windows are the schedule's, the neurons integrate without leak and subtract θ, and at
 * snn-fixed the fire test is exact in float64 (θ·T·2^16 and |v|·2^16 below 2^53).
 */
export function scheduleViolations(g: Graph, maxThreshold: (n: Node) => number): { id: string; message: string }[] {
  if (!isLayerMajor(g)) {
    // a readout may wait for delayed input (window: it sums steps window+1..window+T)
    const stray = g.nodes.filter((n) => TPP_ATTRS.some((a) => n.attrs[a] !== undefined && !(a === 'window' && n.op === 'readout')));
    return stray.map((n) => ({ id: n.id, message: 'window, seed and key belong to a layer-major graph (TPP populations; a readout may have a window)' }));
  }
  const { windows, problems } = requiredWindows(g);
  const out = [...problems];
  const T = g.steps!;
  for (const n of g.nodes) {
    const fail = (message: string): void => void out.push({ id: n.id, message });
    const want = windows.get(n.id);
    if (want !== undefined && attrInt(n, 'window', 0) !== want) fail(`window ${attrInt(n, 'window', 0)}, but the schedule puts it at ${want} (its inputs end at step ${want + T})`);
    if (n.op !== 'if') continue;
    for (const a of ['seed', 'key']) {
      const v = n.attrs[a];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= 2 ** 32) fail(`a TPP population needs ${a}, an integer in [0, 2^32)`);
    }
    if (attrStr(n, 'reset') !== 'subtract') fail('a TPP population subtracts θ (reset = subtract)');
    if (attrStr(n, 'fire', 'ge') !== 'ge') fail('a TPP population has no fire test (fire = gt)');
    const leak = n.attrs.leak;
    if (leak !== undefined && leak !== 1 && leak !== 'none') fail('a TPP population accumulates without leak');
    if (g.stage === 'snn-fixed') {
      const vbits = attrInt(n, 'vbits', 0);
      if (vbits > 37) fail(`vbits ${vbits}: the TPP fire test v·2^16 must stay below 2^53 (vbits <= 37)`);
      const th = maxThreshold(n);
      if (th * (ONE - 1) * T >= 2 ** 53) fail(`threshold ${th} × T ${T} × 2^16 reaches 2^53: the TPP fire test would not be exact`);
    }
  }
  return out;
}
