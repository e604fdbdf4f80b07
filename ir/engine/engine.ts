/**
 * The step-major spiking engine: per sample, reset the state, compute the static part once,
 * then run every step-op in graph order for t = 1..T. What a neuron or a readout does at a step
 * is the stage's semantics (neuron-float.ts, neuron-fixed.ts); everything else is the shared
 * event-driven kernels.
 */
import type { Graph } from '../types.js';
import { add, concat, conv, delay, dense, gpool, mul, pool, spikeMaxPool } from './kernels.js';
import { buildPlan, fromHwc, toHwc, type Buf, type Plan, type PlanOp } from './plan.js';
import { Arena } from './arena.js';
import { instantiateKernels, type KernelExports } from './wasm/kernels.js';

export type NeuronOp = Extract<PlanOp, { kind: 'neuron' }>;
export type ReadoutOp = Extract<PlanOp, { kind: 'readout' }>;
export type SynapseOp = Extract<PlanOp, { kind: 'synapse' }>;

/** A stateful unit: a population of neurons, a synaptic current or a readout accumulator. */
export interface Unit {
  reset(): void;
  /** Advance one step (t = 1..T); returns the number of spikes emitted. */
  step(t: number): number;
}

/** Where units keep their state (the engine's memory) and the WebAssembly kernels (absent in the sizing pass). */
export interface UnitEnv {
  readonly arena: Arena;
  readonly wasm?: KernelExports;
}

export interface StageSemantics {
  neuron(op: NeuronOp, g: Graph, env: UnitEnv): Unit;
  readout(op: ReadoutOp, g: Graph, env: UnitEnv): Unit;
  synapse(op: SynapseOp, g: Graph, env: UnitEnv): Unit;
}

export class Engine {
  readonly plan: Plan;
  /** Neuron populations in graph order, with their spike counts since `begin`. */
  readonly populations: { id: string; size: number; unit: Unit }[] = [];
  readonly spikes: Float64Array;
  private readonly unitOf = new Map<PlanOp, Unit>();
  private readonly stateful: Unit[] = [];
  private readonly spikemaxpools: Extract<PlanOp, { kind: 'spikemaxpool' }>[] = [];
  private readonly delays: Extract<PlanOp, { kind: 'delay' }>[] = [];

  private readonly wasm: KernelExports;
  /**
   * Called after population k (graph order) has stepped at step t, before anything reads its
   * spikes: an experiment may rewrite them (the store's data, and its event list to match).
   */
  afterPopulation?: (k: number, t: number) => void;

  constructor(g: Graph, semantics: StageSemantics) {
    // Size the memory with a counting pass over the plan and the units, then build for real.
    const counting = Arena.sizingPass();
    const dry = buildPlan(g, counting);
    for (const op of dry.stepOps) {
      if (op.kind === 'neuron') semantics.neuron(op, g, { arena: counting });
      else if (op.kind === 'readout') semantics.readout(op, g, { arena: counting });
      else if (op.kind === 'synapse') semantics.synapse(op, g, { arena: counting });
    }
    const memory = Arena.memoryFor(counting);
    const arena = new Arena(memory);
    this.plan = buildPlan(g, arena);
    this.wasm = instantiateKernels(memory);
    const env: UnitEnv = { arena, wasm: this.wasm };
    for (const op of this.plan.stepOps) {
      if (op.kind === 'neuron') {
        const u = semantics.neuron(op, g, env);
        this.unitOf.set(op, u);
        this.stateful.push(u);
        this.populations.push({ id: op.node.id, size: op.out.size, unit: u });
      } else if (op.kind === 'readout' || op.kind === 'synapse') {
        const u = op.kind === 'readout' ? semantics.readout(op, g, env) : semantics.synapse(op, g, env);
        this.unitOf.set(op, u);
        this.stateful.push(u);
      } else if (op.kind === 'spikemaxpool') this.spikemaxpools.push(op);
      else if (op.kind === 'delay') this.delays.push(op);
    }
    this.spikes = new Float64Array(this.populations.length);
  }

  /** Every stateful unit (populations, synapses and readouts) in graph order, with its node id. */
  units(): { id: string; unit: Unit }[] {
    return this.plan.stepOps.filter((op) => this.unitOf.has(op)).map((op) => ({ id: op.node.id, unit: this.unitOf.get(op)! }));
  }

  /** Start a sample: reset every state and the spike counts. */
  begin(): void {
    for (const u of this.stateful) u.reset();
    for (const p of this.spikemaxpools) {
      p.counts.fill(0);
      p.best.set(p.first);
    }
    for (const d of this.delays) d.prev.fill(0);
    this.spikes.fill(0);
  }

  /** Does the input take a new frame at every step (a sample is T frames)? */
  get temporal(): boolean {
    return !this.plan.input.isStatic;
  }

  /** Values in one sample: the input size, times T for a temporal input. */
  sampleSize(): number {
    return this.plan.input.size * (this.temporal ? this.plan.graph.steps! : 1);
  }

  /** Load one sample (NCHW values at `offset`) into the input; for a temporal input, one frame. */
  loadInput(values: ArrayLike<number>, offset = 0): void {
    const b = this.plan.input;
    toHwc(values, b.C, b.H, b.W, b.store.data, offset);
    b.store.sparse = false;
  }

  /** Load a precomputed static value (NCHW) instead of running its static op. */
  setStatic(id: string, values: ArrayLike<number>, offset = 0): void {
    const b = this.plan.bufs.get(id)!;
    toHwc(values, b.C, b.H, b.W, b.store.data, offset);
    b.store.sparse = false;
  }

  runStatic(): void {
    for (const op of this.plan.staticOps) this.exec(op);
  }

  step(t: number): void {
    let k = 0;
    for (const op of this.plan.stepOps) {
      if (op.kind === 'neuron') {
        this.spikes[k] += this.unitOf.get(op)!.step(t);
        this.afterPopulation?.(k, t);
        k++;
      } else this.exec(op, t);
    }
  }

  private exec(op: PlanOp, t = 0): void {
    switch (op.kind) {
      case 'conv':
        return conv(op, this.wasm);
      case 'dense':
        return dense(op, this.wasm);
      case 'add':
        return add(op, this.wasm);
      case 'mul':
        return mul(op);
      case 'pool':
        return pool(op);
      case 'gpool':
        return gpool(op);
      case 'spikemaxpool':
        return spikeMaxPool(op);
      case 'delay':
        return delay(op, t);
      case 'concat':
        return concat(op);
      case 'readout':
      case 'synapse':
      case 'neuron':
        this.unitOf.get(op)!.step(t);
        return;
    }
  }

  /** A value of this sample in NCHW order. */
  read(id: string, dst: Float64Array | Float32Array | Int32Array = new Float64Array(this.plan.bufs.get(id)!.size), offset = 0): typeof dst {
    const b: Buf = this.plan.bufs.get(id)!;
    if (b.rank === 3) fromHwc(b.store.data, b.C, b.H, b.W, dst, offset);
    else if (b.hwcOf) {
      const { C, H, W } = b.hwcOf;
      fromHwc(b.store.data, C, H, W, dst, offset);
    } else dst.set(b.store.data, offset);
    return dst;
  }
}
