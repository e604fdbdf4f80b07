/**
 * The reference interpreter of the snn-fixed stage: one sample at a time, step-major, exact
 * integer arithmetic (engine/neuron-fixed.ts). Every other executor of a fixed graph — the
 * emitted C, the cycle-level core simulator — must reproduce its spikes and membranes bit for bit.
 */
import { SnncError } from './diagnostics.js';
import { Engine, type Unit } from './engine/engine.js';
import { fixedSemantics, overflowOf } from './engine/neuron-fixed.js';

export { membraneOf } from './engine/neuron-fixed.js';
import { runSteps } from './tpp.js';
import { intRange, type Graph } from './types.js';

export interface OverflowReport {
  readonly id: string;
  /** Accumulator narrowings (if) that changed a value. */
  readonly acc: number;
  /** Membrane (if) or running-sum (readout) narrowings that changed a value. */
  readonly v: number;
}

/** The units that saturated or wrapped in any of `runs`, their counts summed (units that never did are left out). */
export function sumOverflow(runs: readonly (readonly OverflowReport[])[]): OverflowReport[] {
  const sum = new Map<string, { acc: number; v: number }>();
  for (const run of runs) {
    for (const u of run) {
      if (!u.acc && !u.v) continue;
      const c = sum.get(u.id) ?? { acc: 0, v: 0 };
      sum.set(u.id, { acc: c.acc + u.acc, v: c.v + u.v });
    }
  }
  return [...sum].map(([id, c]) => ({ id, ...c }));
}

/** One unit's counts in words: `accumulator 3, membrane 12` (the parts that are not zero). */
export function overflowCounts(u: OverflowReport): string {
  return [u.acc ? `accumulator ${u.acc}` : '', u.v ? `membrane ${u.v}` : ''].filter(Boolean).join(', ');
}

export class FixedInterpreter {
  readonly engine: Engine;
  private readonly range: { min: number; max: number };
  private readonly units: { id: string; unit: Unit }[];
  /** Global steps of one inference (T, or a layer-major graph's schedule). */
  readonly runSteps: number;

  constructor(readonly graph: Graph) {
    if (graph.stage !== 'snn-fixed') throw new SnncError('SNN0407', `the integer interpreter runs snn-fixed graphs, found stage ${graph.stage}`);
    this.engine = new Engine(graph, fixedSemantics);
    this.range = intRange(graph.nodes.find((n) => n.op === 'input')!.type.dtype);
    this.units = this.engine.units();
    this.runSteps = runSteps(graph);
  }

  get steps(): number {
    return this.graph.steps!;
  }

  /**
   * Run one sample (integers in NCHW order at `offset`; T frames one after the other for a
   * temporal input); `onStep(t)` sees the state after each global step (T of them, or the
   * layer-major schedule's runSteps). Returns the readout of the first output (its running sums).
   */
  run(input: ArrayLike<number>, offset = 0, onStep?: (t: number) => void): Float64Array {
    const engine = this.engine;
    const n = engine.sampleSize();
    for (let i = 0; i < n; i++) {
      const v = input[offset + i];
      if (!Number.isInteger(v) || v < this.range.min || v > this.range.max) {
        throw new SnncError('SNN0409', `input value ${v} at index ${i} is outside the integer input format [${this.range.min}, ${this.range.max}]`);
      }
    }
    engine.begin();
    if (!engine.temporal) engine.loadInput(input, offset);
    engine.runStatic();
    const frame = engine.plan.input.size;
    for (let t = 1; t <= this.runSteps; t++) {
      if (engine.temporal) engine.loadInput(input, offset + (t - 1) * frame);
      engine.step(t);
      onStep?.(t);
    }
    return this.engine.read(this.engine.plan.outputs[0].id) as Float64Array;
  }

  /** Saturation / wrap counts per population and readout since the interpreter was made. */
  overflow(): OverflowReport[] {
    return this.units.map(({ id, unit }) => ({ id, ...overflowOf(unit)! }));
  }
}
