/**
 * What the C of one model is assembled from while its ops are emitted (emit-ops.ts): the fields
 * of its state struct, the static tables, the resets of `begin`, the populations and overflow
 * units the host program reads, and the readout the output is. Every value store of the plan is
 * one `x<k>` array with its event list `e<k>` / `n<k>`; every identifier is the prefix plus a role
 * and an index (emit.ts says why).
 */
import { intFormat, type Graph, type Node } from '../../ir/types.js';
import type { Buf, Plan, PlanOp, Store, WindowGeom } from '../../ir/engine/plan.js';
import { isLayerMajor } from '../../ir/tpp.js';
import { CWriter } from './writer.js';

export interface StoreInfo {
  readonly k: number;
  readonly ctype: 'int32_t' | 'int64_t';
  readonly size: number;
  /** The producer keeps an event list. */
  readonly sparse: boolean;
}

export function ctypeOf(dtype: string): 'int32_t' | 'int64_t' {
  const f = intFormat(dtype);
  if (!f) throw new Error(`internal: non-integer dtype ${dtype}`);
  return f.bits <= 32 && !(f.bits === 32 && !f.signed) ? 'int32_t' : 'int64_t';
}

export function weightType(dtype: string): string {
  const f = intFormat(dtype)!;
  return f.bits <= 8 ? 'int8_t' : f.bits <= 16 ? 'int16_t' : 'int32_t';
}

/** Ops that leave an event list behind them (the others' consumers scan their values). */
function keepsEvents(op: PlanOp | undefined): boolean {
  return !op || op.kind === 'neuron' || op.kind === 'pool' || op.kind === 'gpool' || op.kind === 'spikemaxpool' || op.kind === 'concat' || op.kind === 'delay';
}

export class Emission {
  /** Static tables (weights, thresholds, bias rows, fan-out tables). */
  readonly globals = new CWriter();
  /** Fields of the state struct. */
  readonly state: string[] = [];
  /** Statements of `begin` that reset per-sample state. */
  readonly resets: string[] = [];
  readonly populations: { name: string; c: number; h: number; w: number; spikes: string; v: string }[] = [];
  readonly units: { name: string; acc: string; v: string }[] = [];
  /** The C expression of the graph output's sums (set by its readout). */
  outputExpr = '';
  readonly layerMajor: boolean;
  readonly stores = new Map<Store, StoreInfo>();
  private readonly nodes: Map<string, Node>;
  private readonly producerOf = new Map<Store, PlanOp>();
  private readonly geomIds = new Map<WindowGeom, number>();

  constructor(
    readonly g: Graph,
    /** The C prefix. */
    readonly p: string,
    readonly plan: Plan,
  ) {
    this.nodes = new Map(g.nodes.map((n) => [n.id, n]));
    this.layerMajor = isLayerMajor(g);
    for (const op of [...plan.staticOps, ...plan.stepOps]) this.producerOf.set(op.out.store, op);
    for (const b of plan.bufs.values()) this.info(b);
  }

  /** The C arrays of buffer b's store (declared in the state the first time). */
  info(b: Buf): StoreInfo {
    let s = this.stores.get(b.store);
    if (!s) {
      const node = this.nodes.get(b.id)!;
      s = { k: this.stores.size, ctype: ctypeOf(node.type.dtype), size: b.size, sparse: keepsEvents(this.producerOf.get(b.store)) };
      this.stores.set(b.store, s);
      this.state.push(`${s.ctype} x${s.k}[${s.size}];`);
      this.state.push(`int32_t e${s.k}[${s.size}];`);
      this.state.push(`int32_t n${s.k};`);
    }
    return s;
  }

  /** Fan-out tables of a pooling window geometry (input position -> output positions), emitted once. */
  fanTables(geom: WindowGeom): number {
    let id = this.geomIds.get(geom);
    if (id === undefined) {
      id = this.geomIds.size;
      this.geomIds.set(geom, id);
      this.globals.array(`static const int32_t ${this.p}_fan_start${id}[${geom.fanStart.length}]`, geom.fanStart);
      this.globals.array(`static const int32_t ${this.p}_fan_out${id}[${Math.max(1, geom.fanOut.length)}]`, geom.fanOut);
    }
    return id;
  }

  /** Code that makes `ev`/`n` the events of buffer b (its list, or a scan of its values). */
  eventsOf(w: CWriter, b: Buf): void {
    const s = this.info(b);
    if (!s.sparse) this.scanEvents(w, b);
    w.line(`const int32_t *ev = s->e${s.k};`);
    w.line(`const int32_t n = s->n${s.k};`);
  }

  /** Code that lists the nonzero values of buffer b as its events. */
  scanEvents(w: CWriter, b: Buf): void {
    const s = this.info(b);
    w.line(`s->n${s.k} = 0;`);
    w.line(`for (int32_t i = 0; i < ${s.size}; i++) if (s->x${s.k}[i] != 0) s->e${s.k}[s->n${s.k}++] = i;`);
  }
}
