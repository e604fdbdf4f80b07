/**
 * The cycle-level simulator of the event-driven core: it executes a decoded memory image, not
 * the IR, and must reproduce the reference interpreter's spikes and membranes bit for bit.
 *
 * Function. A sample first loads: each nonzero input value q_j travels as a graded packet to the
 * cores its route names, where the synapse table adds w·q_j into a per-neuron static current (a
 * temporal input instead sends frame t the same way at the start of step t, into that step's current).
 * Each step t then runs the levels in order (a unit's sources sit at lower levels). At level L,
 * every core holding a level-L slice updates its neurons — current = static + the spike
 * contributions delivered this step — with the integer semantics of docs/semantics.md (narrow
 * the accumulator, leak, add the bias row, narrow the membrane, compare, reset; a readout adds
 * and narrows its running sum), then sends one packet per (spike, destination core); a pool
 * stage after a population first adds the core's spikes into pooled cells (perSynOp each) and
 * sends one graded packet per nonzero partial sum instead.
 *
 * Time. A phase is store-and-forward with a barrier: every core of the phase computes and sends
 * (update: perNeuronUpdate per neuron; send: perPacketSent per packet), packets cross the mesh
 * hop by hop on XY routes, then every receiving core drains its input queue (per packet:
 * perEvent, plus perSynOp per synapse word fetched and accumulated). The phase takes
 *
 *   max_c (update_c + send_c)  +  network  +  max_c (receive_c + stall_c)
 *
 * with network = (longest route + busiest link's packets − 1) · perHop (packets pipeline along
 * a route and queue at a shared link), and stall_c = perPacketSent · max(0, packets_c − queueDepth)
 * (a sender waits while a full queue drains). A step is the sum of its phases (a barrier ends
 * it); the load phase runs once per sample.
 */
import { leak as leakOf, narrow, type Leak, type Overflow } from '../../ir/fixed-arith.js';
import { fireTpp, localStep, type TppParams } from '../../ir/tpp.js';
import { TPP_RULE_OF_CODE, type CoreImage, type ImageUnit } from './image.js';
import { xyLinks } from './mesh.js';
import { poolSource } from './network.js';
import { CoreMemory, type UnitMemory } from './core-memory.js';

const LEAKS = ['none', 'shift', 'mul'] as const;
const ROUNDS = ['floor', 'trunc', 'half-up'] as const;

export interface PhaseStats {
  cycles: number;
  packets: number;
  synops: number;
  /** Router hops of the phase's packets (route length per packet). */
  hops: number;
  /** Neurons and readout units updated. */
  updates: number;
  /** The core whose update + send or receive set the phase's time. */
  bottleneck: number;
  maxQueue: number;
  stalls: number;
}

export interface StepStats {
  readonly cycles: number;
  readonly packets: number;
  readonly synops: number;
  readonly hops: number;
  readonly updates: number;
  readonly bottleneck: number;
  readonly maxQueue: number;
  readonly stalls: number;
}

/** A unit: its image entry, its memory, and the step's bookkeeping. */
interface UnitState extends UnitMemory {
  readonly u: ImageUnit;
  readonly index: number;
  /** Whether delayed synapses delivered into `next` this step. */
  delayed: boolean;
  nfired: number;
  readonly leak: Leak;
  readonly mode: Overflow;
  /** A TPP population's rule and stream (ir/tpp.ts). */
  readonly tpp?: Pick<TppParams, 'rule' | 'seed' | 'key'>;
}

export class CoreSimulator {
  private readonly units: UnitState[];
  /**
   * Per source, its route table and, per route entry (a source neuron's packet to one core): the
   * axon it arrives on there, undelayed and delayed (-1: none), and the (from, to) core pair slot once known.
   */
  private readonly routeOf: Map<number, { start: Int32Array; cores: Int32Array; now: Int32Array; late: Int32Array; slot: Int32Array }>;
  /** The cores' synapse tables and the units' state, with the fetch-and-accumulate and neuron-update kernels. */
  private readonly memory: CoreMemory;
  private readonly inputEvents: Int32Array;
  private readonly inputValues: Float64Array;
  /** The value of a spike event, for every possible spike. */
  private readonly ones: Float64Array;
  /** Per unit, the pool stages after it; per pool, scratch for one core's partial sums. */
  private readonly poolsOf: number[][];
  private readonly partial: Float64Array[];
  private readonly touched: Int32Array[];
  private readonly partialValues: Float64Array[];
  /** Per-phase scratch, allocated once, per core. */
  private readonly compute: Float64Array;
  private readonly sent: Float64Array;
  private readonly received: Float64Array;
  private readonly recvCycles: Float64Array;
  /**
   * The (from, to) core pairs packets have taken, numbered as they first appear (at most the
   * route entries, never cores²): their ends, XY links and this phase's packet counts.
   */
  private readonly pairSlot = new Map<number, number>();
  private readonly pairFrom: number[] = [];
  private readonly pairTo: number[] = [];
  private readonly pairLinks: Int32Array[] = [];
  private readonly pairCount: number[] = [];
  private readonly pairsTouched: number[] = [];
  private readonly linkLoad: Float64Array;
  /** Per level, its cores and its units. */
  private readonly levels: number[][];
  private readonly unitsAt: number[][];
  /** Per unit, the core holding each neuron. */
  private readonly coreOfNeuron: Int32Array[];
  /** Per-core busy cycles since the simulator was made (for the bottleneck report). */
  readonly busy: Float64Array;
  /**
   * Per unit, since the simulator was made: synapse words fetched for it at load (the graded
   * input) and at the steps, packets and router hops that reached its cores, neuron updates.
   */
  readonly unitActivity: { readonly loadSynops: Float64Array; readonly synops: Float64Array; readonly packets: Float64Array; readonly hops: Float64Array; readonly updates: Float64Array };

  /** Global steps of one inference: T, or the end of the last window of a layer-major (TPP) network. */
  readonly runSteps: number;

  constructor(readonly image: CoreImage) {
    this.memory = new CoreMemory(image);
    const T = image.steps;
    this.runSteps = Math.max(T, ...image.units.map((u) => (u.tppRule !== 0 ? u.window + 2 * T : u.kind === 1 ? u.window + T : T)));
    this.units = image.units.map((u, k) => ({
      ...this.memory.units[k],
      u,
      index: k,
      delayed: false,
      nfired: 0,
      leak: { kind: LEAKS[u.leakKind], shift: u.leakShift, mul: u.leakMul, round: ROUNDS[u.leakRound] },
      mode: u.overflow === 1 ? 'wrap' : 'saturate',
      ...(u.tppRule !== 0 ? { tpp: { rule: TPP_RULE_OF_CODE.get(u.tppRule)!, seed: u.tppSeed, key: u.tppKey } } : {}),
    }));
    this.coreOfNeuron = image.units.map((u) => new Int32Array(u.size));
    image.cores.forEach((c, k) => this.coreOfNeuron[c.unit].fill(k, c.start, c.start + c.count));
    // per core, per slot 2·sourceIndex + delayed: the axon of each source neuron, or -1
    const axonOf = image.cores.map((c) => {
      // an (undelayed) axon and a delayed one may hear the same neuron
      const table: (Int32Array | undefined)[] = new Array(2 * (1 + image.unitCount + image.poolCount));
      for (let a = 0; a < c.axons; a++) {
        const src = c.axonSource[a];
        const s = 2 * this.sourceIndex(src) + c.axonDelayed[a];
        table[s] ??= new Int32Array(src === -1 ? image.inputSize : src >= 0 ? image.units[src].size : image.pools[-2 - src].cells).fill(-1);
        table[s]![c.axonNeuron[a]] = a;
      }
      return table;
    });
    this.routeOf = new Map(
      image.routes.map((r) => {
        const slot = 2 * this.sourceIndex(r.source);
        const now = new Int32Array(r.entries);
        const late = new Int32Array(r.entries);
        for (let j = 0; j < r.size; j++) {
          for (let e = r.start[j]; e < r.start[j + 1]; e++) {
            now[e] = axonOf[r.cores[e]][slot]?.[j] ?? -1;
            late[e] = axonOf[r.cores[e]][slot + 1]?.[j] ?? -1;
          }
        }
        return [r.source, { start: r.start, cores: r.cores, now, late, slot: new Int32Array(r.entries).fill(-1) }];
      }),
    );
    const maxLevel = Math.max(...image.units.map((u) => u.level));
    this.levels = Array.from({ length: maxLevel + 1 }, () => []);
    image.cores.forEach((c, k) => this.levels[image.units[c.unit].level].push(k));
    this.unitsAt = this.levels.map((cores) => [...new Set(cores.map((c) => image.cores[c].unit))]);
    this.busy = new Float64Array(image.coreCount);
    const perUnit = (): Float64Array => new Float64Array(image.unitCount);
    this.unitActivity = { loadSynops: perUnit(), synops: perUnit(), packets: perUnit(), hops: perUnit(), updates: perUnit() };
    this.poolsOf = image.units.map(() => []);
    image.pools.forEach((p, q) => this.poolsOf[p.unit].push(q));
    this.partial = image.pools.map((p) => new Float64Array(p.cells));
    this.touched = image.pools.map((p) => new Int32Array(p.cells));
    this.partialValues = image.pools.map((p) => new Float64Array(p.cells));
    this.inputEvents = new Int32Array(image.inputSize);
    this.inputValues = new Float64Array(image.inputSize);
    this.ones = new Float64Array(Math.max(1, ...image.units.map((u) => u.size))).fill(1);
    const n = image.coreCount;
    this.compute = new Float64Array(n);
    this.sent = new Float64Array(n);
    this.received = new Float64Array(n);
    this.recvCycles = new Float64Array(n);
    this.linkLoad = new Float64Array(image.meshWidth * image.meshHeight * 4);
  }


  get steps(): number {
    return this.image.steps;
  }

  /** Population units in image order (the interpreter's population order). */
  populations(): { v: Float64Array; spikes: Uint8Array }[] {
    return this.units.filter((s) => s.u.kind === 0).map((s) => ({ v: s.v, spikes: s.spikes }));
  }

  /** [accumulator, membrane or sum] narrowings that changed a value, per unit, since the simulator was made. */
  overflow(): [number, number][] {
    return this.units.map((s) => [s.counters[0], s.counters[1]]);
  }


  /** Slot of a source (-1 input, k unit k, -2 - q pool q) in the per-core axon tables. */
  private sourceIndex(source: number): number {
    return source === -1 ? 0 : source >= 0 ? 1 + source : 1 + this.image.unitCount + (-2 - source);
  }


  private startPhase(): PhaseStats {
    this.compute.fill(0);
    this.sent.fill(0);
    this.received.fill(0);
    this.recvCycles.fill(0);
    for (const k of this.pairsTouched) this.pairCount[k] = 0;
    this.pairsTouched.length = 0;
    return { cycles: 0, packets: 0, synops: 0, hops: 0, updates: 0, bottleneck: 0, maxQueue: 0, stalls: 0 };
  }

  /**
   * Send events of `source` from the cores `coreOf` names: one packet per destination core on the
   * route of neuron neurons[e], delivered there through the synapse table into `into` (the
   * static or the step current of the receiving unit), weighted by values[e].
   */
  private send(from: Int32Array | number, source: number, neurons: Int32Array, values: Float64Array, count: number, into: 'staticCurrent' | 'current', ph: PhaseStats): void {
    const route = this.routeOf.get(source);
    if (!route) return;
    const img = this.image;
    const perEvent = img.cyclesPerEvent;
    const perSyn = img.cyclesPerSynOp;
    const { start, cores, now, late, slot } = route;
    const memory = this.memory;
    const target = memory.base[into];
    // a route entry of the input or of a population always leaves the same core: keep its pair slot
    const fixedSender = source >= -1;
    let packets = 0;
    let synops = 0;
    let hops = 0;
    const ua = this.unitActivity;
    const unitSynops = into === 'staticCurrent' ? ua.loadSynops : ua.synops;
    for (let e = 0; e < count; e++) {
      const j = neurons[e];
      const value = values[e];
      const src = typeof from === 'number' ? from : from[j];
      for (let r = start[j]; r < start[j + 1]; r++) {
        const c = cores[r];
        const u = img.cores[c].unit;
        let words = 0;
        if (now[r] >= 0) words += memory.deliver(c, now[r], value, target);
        if (late[r] >= 0) {
          words += memory.deliver(c, late[r], value, memory.base.next);
          this.units[u].delayed = true;
        }
        this.sent[src]++;
        this.received[c]++;
        this.recvCycles[c] += perEvent + words * perSyn;
        packets++;
        synops += words;
        const k = fixedSender ? (slot[r] >= 0 ? slot[r] : (slot[r] = this.pairOf(src, c))) : this.pairOf(src, c);
        if (this.pairCount[k]++ === 0) this.pairsTouched.push(k);
        const h = this.pairLinks[k].length;
        hops += h;
        unitSynops[u] += words;
        ua.packets[u]++;
        ua.hops[u] += h;
      }
    }
    ph.packets += packets;
    ph.synops += synops;
    ph.hops += hops;
  }

  /**
   * Pool stage q on core c: the spikes of the core's slice added into pooled cells (perSynOp
   * each), then one graded event per nonzero partial sum, sent from this core.
   */
  private sendPooled(q: number, c: number, s: UnitState, ph: PhaseStats): void {
    const pool = this.image.pools[q];
    const core = this.image.cores[c];
    const partial = this.partial[q];
    const touched = this.touched[q];
    const values = this.partialValues[q];
    const C = pool.channels;
    let n = 0;
    let adds = 0;
    for (let e = 0; e < s.nfired; e++) {
      const i = s.fired[e];
      if (i < core.start || i >= core.start + core.count) continue;
      const p = Math.floor(i / C);
      const ch = i - p * C;
      for (let f = pool.fanStart[p]; f < pool.fanStart[p + 1]; f++) {
        const cell = pool.fanOut[f] * C + ch;
        if (partial[cell]++ === 0) touched[n++] = cell;
        adds++;
      }
    }
    for (let k = 0; k < n; k++) values[k] = partial[touched[k]];
    this.compute[c] += adds * this.image.cyclesPerSynOp;
    this.send(c, poolSource(q), touched, values, n, 'current', ph);
    for (let k = 0; k < n; k++) partial[touched[k]] = 0;
  }

  /** The slot of the core pair (from, to), numbered on first use. */
  private pairOf(from: number, to: number): number {
    const key = from * this.image.coreCount + to;
    let k = this.pairSlot.get(key);
    if (k === undefined) {
      k = this.pairFrom.length;
      this.pairSlot.set(key, k);
      this.pairFrom.push(from);
      this.pairTo.push(to);
      this.pairLinks.push(xyLinks(this.image.meshWidth, from, to));
      this.pairCount.push(0);
    }
    return k;
  }

  /** The network time of a phase: routes walked hop by hop, per directed link the packets crossing it. */
  private networkCycles(): number {
    const img = this.image;
    let longest = 0;
    let busiest = 0;
    const touched: number[] = [];
    for (const k of this.pairsTouched) {
      const links = this.pairLinks[k];
      if (links.length === 0) continue;
      longest = Math.max(longest, links.length);
      const n = this.pairCount[k];
      for (const l of links) {
        if (this.linkLoad[l] === 0) touched.push(l);
        this.linkLoad[l] += n;
        if (this.linkLoad[l] > busiest) busiest = this.linkLoad[l];
      }
    }
    for (const l of touched) this.linkLoad[l] = 0;
    return longest === 0 ? 0 : (longest + busiest - 1) * img.cyclesPerHop;
  }

  private finishPhase(ph: PhaseStats): void {
    const img = this.image;
    let front = 0;
    let back = 0;
    let frontCore = 0;
    let backCore = 0;
    for (let c = 0; c < img.coreCount; c++) {
      const f = this.compute[c] + this.sent[c] * img.cyclesPerPacketSent;
      const stall = Math.max(0, this.received[c] - img.queueDepth) * img.cyclesPerPacketSent;
      const b = this.recvCycles[c] + stall;
      ph.maxQueue = Math.max(ph.maxQueue, this.received[c]);
      ph.stalls += stall;
      this.busy[c] += f + b;
      if (f > front) {
        front = f;
        frontCore = c;
      }
      if (b > back) {
        back = b;
        backCore = c;
      }
    }
    ph.cycles = front + this.networkCycles() + back;
    ph.bottleneck = back > front ? backCore : frontCore;
  }

  /**
   * Reset the state and load one sample (integers, NCHW order at `offset`; T frames for a
   * temporal input); returns the load phase (empty for a temporal input: each step delivers its frame).
   */
  load(input: ArrayLike<number>, offset = 0): PhaseStats {
    for (const s of this.units) {
      s.v.set(s.u.vinit);
      s.staticCurrent.fill(0);
      s.next.fill(0);
      s.delayed = false;
      s.spikes.fill(0);
      s.nfired = 0;
    }
    const ph = this.startPhase();
    if (this.image.inputFrames === 1) this.deliverInput(input, offset, 'staticCurrent', ph);
    else this.frames = { input, offset };
    this.finishPhase(ph);
    return ph;
  }

  /** The sample of a temporal input, read frame by frame by the steps. */
  private frames?: { input: ArrayLike<number>; offset: number };

  /** Graded packets of the nonzero input values (channel-last like every map: position p, channel c). */
  private deliverInput(input: ArrayLike<number>, offset: number, into: 'staticCurrent' | 'current', ph: PhaseStats): void {
    const { inputC: C, inputH: H, inputW: W } = this.image;
    const neurons = this.inputEvents;
    const values = this.inputValues;
    let n = 0;
    for (let p = 0; p < H * W; p++) {
      for (let c = 0; c < C; c++) {
        const q = input[offset + c * H * W + p];
        if (q !== 0) {
          neurons[n] = p * C + c;
          values[n++] = q;
        }
      }
    }
    this.send(0, -1, neurons, values, n, into, ph);
  }

  /** Update neurons start .. start + count of a unit at step t (a population in the core memory's kernel). */
  private updateSlice(s: UnitState, start: number, count: number, t: number): void {
    const u = s.u;
    if (u.kind === 0) {
      if (s.tpp) s.nfired = this.updateTpp(s, s.tpp, start, count, t);
      else s.nfired = this.memory.update(s.index, start, count, t, s.nfired);
      return;
    }
    // a readout adds its current and this step's bias into its narrowed running sum, in its window (ir/tpp.ts)
    const k = localStep(t, u.window, this.image.steps);
    if (!k) return;
    const bias = u.bias;
    const row = (Math.min(k, u.biasRows) - 1) * u.size;
    const vHi = 2 ** (u.vBits - 1) - 1;
    for (let i = start; i < start + count; i++) {
      const x = s.current[i] + bias[row + i];
      const w0 = (s.leak.kind === 'none' ? s.v[i] : leakOf(s.v[i], s.leak)) + x;
      const w = w0 > vHi || w0 < -vHi - 1 ? narrow(w0, u.vBits, s.mode) : w0;
      if (w !== w0) s.counters[1]++;
      s.v[i] = w;
    }
  }

  /**
   * A TPP population's slice at global step t (ir/tpp.ts): accumulate until its window's end,
   * then fire by the counter-based draws (neuron keys in NCHW order), then stay silent.
   */
  private updateTpp(s: UnitState, tpp: Pick<TppParams, 'rule' | 'seed' | 'key'>, start: number, count: number, t: number): number {
    const u = s.u;
    const T = this.image.steps;
    let nfired = s.nfired;
    if (t <= u.window + T) {
      const k = localStep(t, u.window, T);
      const row = k ? (Math.min(k, u.biasRows) - 1) * u.size : -1;
      const accHi = 2 ** (u.accBits - 1) - 1;
      const vHi = 2 ** (u.vBits - 1) - 1;
      for (let i = start; i < start + count; i++) {
        let a = s.current[i];
        if (a > accHi || a < -accHi - 1) {
          a = narrow(a, u.accBits, s.mode);
          s.counters[0]++;
        }
        let w = s.v[i] + a + (row >= 0 ? u.bias[row + i] : 0);
        if (w > vHi || w < -vHi - 1) {
          w = narrow(w, u.vBits, s.mode);
          s.counters[1]++;
        }
        s.v[i] = w;
      }
      return nfired;
    }
    const k = t - u.window - T;
    if (k > T) return nfired;
    fireTpp(tpp, T, k, s.v, start, start + count, u.channels, (i) => u.threshold[i], (i) => {
      s.spikes[i] = 1;
      s.fired[nfired++] = i;
    });
    return nfired;
  }

  /** One step t (1..T): every level in order; returns its cycle statistics. */
  step(t: number): StepStats {
    const img = this.image;
    for (const s of this.units) {
      // this step's current: the static part and what delayed synapses delivered last step
      s.current.set(s.staticCurrent);
      if (s.delayed) {
        for (let i = 0; i < s.current.length; i++) s.current[i] += s.next[i];
        s.next.fill(0);
        s.delayed = false;
      }
      for (let e = 0; e < s.nfired; e++) s.spikes[s.fired[e]] = 0;
      s.nfired = 0;
    }
    const total: StepStats & PhaseStats = { cycles: 0, packets: 0, synops: 0, hops: 0, updates: 0, bottleneck: 0, maxQueue: 0, stalls: 0 };
    let worst = -1;
    const add = (ph: PhaseStats): void => {
      total.cycles += ph.cycles;
      total.packets += ph.packets;
      total.synops += ph.synops;
      total.hops += ph.hops;
      total.updates += ph.updates;
      total.stalls += ph.stalls;
      total.maxQueue = Math.max(total.maxQueue, ph.maxQueue);
      if (ph.cycles > worst) {
        worst = ph.cycles;
        total.bottleneck = ph.bottleneck;
      }
    };
    if (this.frames) {
      // a temporal input: frame t travels as graded packets into this step's currents
      const size = this.image.inputSize;
      const ph = this.startPhase();
      this.deliverInput(this.frames.input, this.frames.offset + (t - 1) * size, 'current', ph);
      this.finishPhase(ph);
      add(ph);
    }
    for (let level = 1; level < this.levels.length; level++) {
      const cores = this.levels[level];
      if (!cores.length) continue;
      const ph = this.startPhase();
      for (const c of cores) {
        const core = img.cores[c];
        this.updateSlice(this.units[core.unit], core.start, core.count, t);
        this.compute[c] += core.count * img.cyclesPerNeuronUpdate;
        ph.updates += core.count;
        this.unitActivity.updates[core.unit] += core.count;
      }
      // spikes of this level's populations travel to the higher levels
      for (const unit of this.unitsAt[level]) {
        const s = this.units[unit];
        if (s.u.kind !== 0) continue;
        this.send(this.coreOfNeuron[unit], unit, s.fired, this.ones, s.nfired, 'current', ph);
        for (const q of this.poolsOf[unit]) for (const c of cores) if (img.cores[c].unit === unit) this.sendPooled(q, c, s, ph);
      }
      this.finishPhase(ph);
      add(ph);
    }
    return total;
  }

  /** The output readout's running sums. */
  output(): Float64Array {
    return this.units[this.image.output].v;
  }
}

/** What a run of the simulator cost, per time step and per inference. */
export interface CoreTiming {
  readonly cyclesPerStep: number;
  readonly loadCycles: number;
  readonly cyclesPerInference: number;
  readonly secondsPerInference: number;
  readonly clockHz: number;
  /** The core with the most busy cycles over the run. */
  readonly bottleneckCore: number;
  readonly maxQueue: number;
  readonly stallCycles: number;
  readonly packetsPerStep: number;
  readonly synopsPerStep: number;
  readonly cores: number;
}

/** What the first T steps of an inference did, per inference (means over the samples run). */
export interface CoreWork {
  readonly steps: number;
  readonly cycles: number;
  readonly seconds: number;
  /** Synapse words fetched for the graded input at load. */
  readonly loadSynops: number;
  readonly synops: number;
  readonly packets: number;
  readonly hops: number;
  readonly updates: number;
}

/** Sums the load and per-step statistics of a run over its samples. */
export class CycleTally {
  private samples = 0;
  private load = 0;
  private loadSynops = 0;
  private maxQueue = 0;
  private stalls = 0;
  /** Per step t (index t - 1), summed over samples. */
  private readonly at: { cycles: number[]; packets: number[]; synops: number[]; hops: number[]; updates: number[] } = { cycles: [], packets: [], synops: [], hops: [], updates: [] };

  addLoad(ph: PhaseStats): void {
    this.samples++;
    this.load += ph.cycles;
    this.loadSynops += ph.synops;
    this.maxQueue = Math.max(this.maxQueue, ph.maxQueue);
    this.stalls += ph.stalls;
  }

  addStep(t: number, st: StepStats): void {
    for (const k of ['cycles', 'packets', 'synops', 'hops', 'updates'] as const) this.at[k][t - 1] = (this.at[k][t - 1] ?? 0) + st[k];
    this.maxQueue = Math.max(this.maxQueue, st.maxQueue);
    this.stalls += st.stalls;
  }

  /** Per inference, the load and the first T steps (default: all of them, the layer-major schedule's included). */
  work(sim: CoreSimulator, T = sim.runSteps): CoreWork {
    const n = Math.max(1, this.samples);
    const sum = (k: keyof CycleTally['at']): number => this.at[k].slice(0, T).reduce((a, b) => a + b, 0) / n;
    const cycles = this.load / n + sum('cycles');
    return { steps: T, cycles, seconds: cycles / sim.image.clockHz, loadSynops: this.loadSynops / n, synops: sum('synops'), packets: sum('packets'), hops: sum('hops'), updates: sum('updates') };
  }

  summary(sim: CoreSimulator): CoreTiming {
    const T = sim.runSteps;
    const w = this.work(sim, T);
    let bottleneck = 0;
    for (let c = 0; c < sim.busy.length; c++) if (sim.busy[c] > sim.busy[bottleneck]) bottleneck = c;
    const load = this.load / Math.max(1, this.samples);
    return {
      cyclesPerStep: (w.cycles - load) / T,
      loadCycles: load,
      cyclesPerInference: w.cycles,
      secondsPerInference: w.seconds,
      clockHz: sim.image.clockHz,
      bottleneckCore: bottleneck,
      maxQueue: this.maxQueue,
      stallCycles: this.stalls / Math.max(1, this.samples),
      packetsPerStep: w.packets / T,
      synopsPerStep: w.synops / T,
      cores: sim.image.coreCount,
    };
  }
}

/** One inference: load the sample, run every step; returns the readout sums. */
export function runSample(sim: CoreSimulator, tally: CycleTally, input: ArrayLike<number>, offset = 0): Float64Array {
  tally.addLoad(sim.load(input, offset));
  for (let t = 1; t <= sim.runSteps; t++) tally.addStep(t, sim.step(t));
  return sim.output();
}
