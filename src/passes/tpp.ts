/**
 * tpp (snn-float -> snn-float): every population becomes a two-phase probabilistic (TPP)
 * population (Bojković, Wu & Gu, ICML 2025; semantics in ir/tpp.ts and docs/semantics.md) on the
 * layer-major schedule. Population ℓ accumulates V = v(0) + Σ_k (W s^{ℓ-1}(k) + b) over the T
 * steps of its input, then fires for T steps with
 *
 *     remaining (rule A, default):  p(k) = clip(V(k) / (θ (T − k + 1)), 0, 1),  V(k+1) = V(k) − θ s(k)
 *     iid (rule B):                 p    = clip(V / (θ T), 0, 1) at every step, V kept,
 *
 * so with V = mθ, 0 <= m <= T, rule A emits exactly m spikes at uniformly random steps: a random
 * time permutation of what an IF neuron would emit. For V/θ not an integer, rule A rounds at
 * random (E[count] ≈ V/θ) — so the base method's rounding offsets (v(0) = θ/2, the θ/(2T) shift),
 * which make a deterministic IF neuron round, would bias TPP by half a spike: `start: 'zero'`
 * (the default) drops them, `keep` keeps them. Per-step corrections (FTBC) and per-neuron
 * potentials (SNN Calibration) are kept as they are: they only add to V.
 *
 * The pass also places each population on the schedule (its window: it fires once every input
 * spike has arrived; ir/tpp.ts requiredWindows), gives each a key for its random stream (its
 * index in graph order) and moves the bias of a projection that feeds a population of a later
 * window into that population's per-step table, because a current carrying a constant would
 * be added at every step of the longer accumulation.
 */
import { SnncError } from '../../ir/diagnostics.js';
import { attrStr, attrVector } from '../../ir/ops.js';
import { requiredWindows, type TppRule } from '../../ir/tpp.js';
import type { AttrValue, Node } from '../../ir/types.js';
import { populationShape, thresholdPerNeuron } from '../../ir/neuron-params.js';
import { stepBiasOf, stepBiasPlus } from './layer-runs.js';
import { whereOf } from '../../ir/verify.js';
import type { Pass } from './pass.js';

export interface TppSettings {
  readonly rule: TppRule;
  /** 'zero': v(0) = 0 and no θ/(2T) shift (unbiased for TPP); 'keep': the base method's. */
  readonly start: 'zero' | 'keep';
  /** Seed of the counter-based generator (uint32). */
  readonly seed: number;
}

export const TPP_DEFAULTS: TppSettings = { rule: 'remaining', start: 'zero', seed: 1 };

export interface TppOptions extends TppSettings {
  /** Each population's v(0) (θ units) as the conversion made it, before calibration added to it; default: a scalar vinit is all base. */
  readonly baseStart?: ReadonlyMap<string, number>;
}

export const tpp: Pass<TppOptions> = {
  name: 'tpp',
  summary: 'snn-float -> snn-float: two-phase probabilistic populations on the layer-major schedule',
  from: 'snn-float',
  to: 'snn-float',
  run(g, o) {
    if (!(Number.isInteger(o.seed) && o.seed >= 0 && o.seed < 2 ** 32)) throw new SnncError('SNN0504', `tpp: seed ${o.seed} must be an integer in [0, 2^32)`);
    const consts = new Map(g.consts);
    const byId = new Map(g.nodes.map((n) => [n.id, n]));
    const populations = g.nodes.filter((n) => n.op === 'if');
    for (const n of populations) {
      const leak = attrVector(n, 'leak', g.consts, 1)!;
      if (leak.some((l) => l !== 1)) throw new SnncError('SNN0504', 'tpp: a TPP population accumulates without leak; this population leaks (an imported LIF network?)', whereOf(n));
      if (attrStr(n, 'fire', 'ge') !== 'ge') throw new SnncError('SNN0504', 'tpp: a population that fires at v > θ has no TPP form', whereOf(n));
    }
    // the windows of the graph as it is: which populations accumulate past step T
    const { windows } = requiredWindows({ ...g, nodes: g.nodes.map((n) => (n.op === 'if' ? { ...n, attrs: { ...n.attrs, tpp: o.rule } } : n)) });
    // projection biases that reach a population of a later window move into its per-step table
    const moved = new Map<string, Float64Array>(); // population id -> bias per channel (absolute)
    const unbiased = new Set<string>(); // projections whose bias moved
    for (const n of populations) {
      if ((windows.get(n.id) ?? 0) === 0) continue;
      const C = n.type.shape[1];
      const sum = new Float64Array(C);
      const walk = (id: string): void => {
        const p = byId.get(id)!;
        if (p.op === 'add') p.inputs.forEach((r) => r.kind === 'value' && walk(r.id));
        else if ((p.op === 'conv2d' || p.op === 'dense') && p.inputs[2]) {
          const b = consts.get(p.inputs[2].id)!.data;
          for (let c = 0; c < C; c++) sum[c] += b[c];
          unbiased.add(p.id);
        } else if (p.op !== 'if' && p.op !== 'delay' && p.op !== 'input') {
          p.inputs.forEach((r) => r.kind === 'value' && reaches(r.id, p, n));
        }
      };
      const reaches = (id: string, via: Node, pop: Node): void => {
        const p = byId.get(id)!;
        if ((p.op === 'conv2d' || p.op === 'dense') && p.inputs[2]) throw new SnncError('SNN0504', `tpp: the bias of %${p.id} reaches %${pop.id} through '${via.op}'; only a bias that reaches a population directly (or through add) can move into its per-step table`, whereOf(pop));
        if (p.op !== 'if' && p.op !== 'delay' && p.op !== 'input') p.inputs.forEach((r) => r.kind === 'value' && reaches(r.id, p, pop));
      };
      walk(n.inputs[0].id);
      if (sum.some((v) => v !== 0)) moved.set(n.id, sum);
    }
    for (const p of unbiased) {
      const readers = g.nodes.filter((m) => m.inputs.some((r) => r.kind === 'value' && r.id === p));
      if (readers.length !== 1 || g.outputs.includes(p)) throw new SnncError('SNN0504', `tpp: the bias of %${p} would move into a population, but %${p} has ${readers.length} readers`, whereOf(byId.get(p)!));
    }
    let key = 0;
    const nodes = g.nodes.map((n): Node => {
      if (unbiased.has(n.id)) return { ...n, inputs: n.inputs.slice(0, 2) };
      if (n.op === 'readout') return { ...n, attrs: { ...n.attrs, window: windows.get(n.id) ?? 0 } };
      if (n.op !== 'if') return n;
      const attrs: Record<string, AttrValue> = { ...n.attrs, tpp: o.rule, window: windows.get(n.id) ?? 0, seed: o.seed, key: key++, reset: 'subtract' };
      if (o.start === 'zero') {
        delete attrs.shift;
        delete attrs.vinit;
        // per-channel or per-neuron potentials (SNN Calibration) keep their correction, less the base's start
        const vinit = attrVector(n, 'vinit', g.consts, 0)!;
        const base = o.baseStart?.get(n.id) ?? (vinit.length === 1 ? vinit[0] : 0);
        if (vinit.some((v) => v !== base)) {
          const id = `${n.id}.vinit_tpp`;
          consts.set(id, { id, type: { dtype: 'f32', shape: [vinit.length] }, data: Float32Array.from(vinit, (v) => v - base) });
          attrs.vinit = { const: id };
        }
      }
      const b = moved.get(n.id);
      if (b) {
        // b_c of current is b_c / θ_i in θ units: per neuron when θ is
        const theta = thresholdPerNeuron(n, g.consts);
        const table = stepBiasPlus(n, stepBiasOf(g, n, attrVector(n, 'threshold', g.consts)!.length === populationShape(n).size), (_r, c, i) => b[c] / theta[i]);
        const id = `${n.id}.stepbias_tpp`;
        consts.set(id, { id, type: { dtype: 'f32', shape: table.shape }, data: table.data });
        attrs.stepbias = { const: id };
      }
      return { ...n, attrs };
    });
    return { ...g, nodes, consts };
  },
};

