/**
 * snn-fixed graph -> portable, integer-only, event-driven C99.
 *
 * The C follows the reference interpreter's execution plan (ir/engine/plan.ts): the same
 * channel-last storage, the same weight layouts and fan-out tables, the same op order. Work
 * per step scales with events: a projection visits the fan-out of each nonzero input, a
 * population updates its neurons once and lists its spikes. Registers are narrowed exactly as
 * ir/engine/neuron-fixed.ts says, through the runtime header snnc_fixed.h.
 *
 * Names: every C identifier, file-scope statics included, is the model prefix plus a role and an
 * index, never a graph or ONNX name; names appear only inside escaped string literals. So no
 * input can inject code, and several models link (or #include into one translation unit) together.
 */
import { SnncError } from '../../ir/diagnostics.js';
import { buildPlan, type Buf, type Plan, type PlanOp, type Store, type WindowGeom } from '../../ir/engine/plan.js';
import { Arena } from '../../ir/engine/arena.js';
import { layoutParam, leakMuls, leakOfNode, stepTerms } from '../../ir/engine/neuron-fixed.js';
import { maxOf, type Leak } from '../../ir/fixed-arith.js';
import { attrInt, attrStr, attrVector } from '../../ir/ops.js';
import { isLayerMajor, runSteps, tppOf, TPP_RANDOM_BITS, type TppParams } from '../../ir/tpp.js';
import { intFormat, intRange, type Graph, type Node } from '../../ir/types.js';

export interface EmitOptions {
  /** C identifier prefix of every exported symbol. */
  readonly prefix: string;
}

/**
 * A C source file: text, or its UTF-8 bytes for a model's .c file, whose weight tables may pass
 * the longest string JavaScript can hold (VGG-11's are about 600 MB of text).
 */
export interface EmittedFile {
  readonly path: string;
  readonly contents: string | Uint8Array;
}

/** A C string literal for any text: every byte but letters, digits and ` _.-` is a 3-digit octal escape. */
export function cString(text: string): string {
  let out = '"';
  for (const byte of new TextEncoder().encode(text)) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9 _.-]/.test(ch) ? ch : `\\${byte.toString(8).padStart(3, '0')}`;
  }
  return `${out}"`;
}

export function checkPrefix(prefix: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,30}$/.test(prefix)) {
    throw new SnncError('SNN0201', `C prefix '${prefix}' must be a C identifier of at most 31 characters ([A-Za-z_][A-Za-z0-9_]*)`);
  }
}

/** The C target runs folded graphs: no projection biases, no vinit / shift / stepbias. */
export function legalize(g: Graph): void {
  if (g.stage !== 'snn-fixed') throw new SnncError('SNN0205', `the C target emits snn-fixed graphs, found stage ${g.stage}`);
  for (const n of g.nodes) {
    const where = `%${n.id}`;
    if ((n.op === 'conv2d' || n.op === 'dense') && n.inputs[2]) throw new SnncError('SNN0205', 'projection has a bias: run fold-temporal-bias first', where);
    if (n.op === 'if') {
      for (const a of ['vinit', 'shift', 'stepbias']) if (n.attrs[a] !== undefined) throw new SnncError('SNN0205', `population has '${a}': run fold-temporal-bias first`, where);
      if (attrInt(n, 'vbits') > 32) throw new SnncError('SNN0205', `membranes wider than 32 bits (${attrInt(n, 'vbits')}) are not supported by the C target`, where);
    }
    if (n.op === 'readout' && attrInt(n, 'sumbits') > 62) throw new SnncError('SNN0205', 'readout sums wider than 62 bits', where);
  }
}

class CWriter {
  private readonly lines: string[] = [];
  private depth = 0;
  line(text = ''): this {
    this.lines.push(text ? `${'    '.repeat(this.depth)}${text}` : '');
    return this;
  }
  open(text: string): this {
    this.line(`${text} {`);
    this.depth++;
    return this;
  }
  close(text = '}'): this {
    this.depth--;
    return this.line(text);
  }
  /** `decl = { values };` with 24 values per line (an empty table holds one 0). */
  array(decl: string, values: ArrayLike<number>, perLine = 24): this {
    if (!values.length) return this.line(`${decl} = { 0 };`);
    this.line(`${decl} = {`);
    for (let i = 0; i < values.length; i += perLine) {
      const end = Math.min(values.length, i + perLine);
      const row: string[] = [];
      for (let k = i; k < end; k++) row.push(String(values[k]));
      this.lines.push(`    ${row.join(', ')}${end < values.length ? ',' : ''}`);
    }
    this.lines.push('};');
    return this;
  }
  /** Another writer's lines, then an empty line. */
  append(w: CWriter): this {
    for (const l of w.lines) this.lines.push(l);
    this.lines.push('');
    return this;
  }
  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
  /** The text as UTF-8, encoded a block of lines at a time (never one string of the whole). */
  toBytes(): Uint8Array {
    const enc = new TextEncoder();
    const parts: Uint8Array[] = [];
    for (let i = 0; i < this.lines.length; i += 4096) parts.push(enc.encode(`${this.lines.slice(i, i + 4096).join('\n')}\n`));
    const out = new Uint8Array(parts.reduce((a, q) => a + q.length, 0));
    let at = 0;
    for (const q of parts) {
      out.set(q, at);
      at += q.length;
    }
    return out;
  }
}

function ctypeOf(dtype: string): 'int32_t' | 'int64_t' {
  const f = intFormat(dtype);
  if (!f) throw new Error(`internal: non-integer dtype ${dtype}`);
  return f.bits <= 32 && !(f.bits === 32 && !f.signed) ? 'int32_t' : 'int64_t';
}

function weightType(dtype: string): string {
  const f = intFormat(dtype)!;
  return f.bits <= 8 ? 'int8_t' : f.bits <= 16 ? 'int16_t' : 'int32_t';
}

const OVERFLOW_FN = { saturate: 'snnc_saturate', wrap: 'snnc_wrap' } as const;
const ROUND_CONST = { floor: 'SNNC_ROUND_FLOOR', trunc: 'SNNC_ROUND_TRUNC', 'half-up': 'SNNC_ROUND_HALF_UP' } as const;

/** The C expression of a leak applied to `value` (an int64 expression); `mul`: the multiplier's expression when not the scalar one. */
function leakC(leak: Leak, value: string, mul = String(leak.mul)): string {
  if (leak.kind === 'none') return value;
  if (leak.kind === 'shift') return `snnc_leak_shift(${value}, ${leak.shift}, ${ROUND_CONST[leak.round]})`;
  return `snnc_leak_mul(${value}, ${mul}, ${leak.shift}, ${ROUND_CONST[leak.round]})`;
}

interface StoreInfo {
  readonly k: number;
  readonly ctype: 'int32_t' | 'int64_t';
  readonly size: number;
  /** The producer keeps an event list. */
  readonly sparse: boolean;
}

export function emitC(g: Graph, o: EmitOptions): EmittedFile[] {
  checkPrefix(o.prefix);
  legalize(g);
  const p = o.prefix;
  const plan: Plan = buildPlan(g, new Arena());
  const nodes = new Map(g.nodes.map((n) => [n.id, n]));
  const stores = new Map<Store, StoreInfo>();
  const globals = new CWriter();
  const state: string[] = [];
  const geomIds = new Map<WindowGeom, number>();
  const layerMajor = isLayerMajor(g);

  // ---------------------------------------------------------------- storage
  const producerSparse = (op: PlanOp | undefined): boolean =>
    !op || op.kind === 'neuron' || op.kind === 'pool' || op.kind === 'gpool' || op.kind === 'spikemaxpool' || op.kind === 'concat' || op.kind === 'delay';
  const producerOf = new Map<Store, PlanOp>();
  for (const op of [...plan.staticOps, ...plan.stepOps]) producerOf.set(op.out.store, op);
  const info = (b: Buf): StoreInfo => {
    let s = stores.get(b.store);
    if (!s) {
      const node = nodes.get(b.id)!;
      s = { k: stores.size, ctype: ctypeOf(node.type.dtype), size: b.size, sparse: producerSparse(producerOf.get(b.store)) };
      stores.set(b.store, s);
      state.push(`${s.ctype} x${s.k}[${s.size}];`);
      state.push(`int32_t e${s.k}[${s.size}];`);
      state.push(`int32_t n${s.k};`);
    }
    return s;
  };
  for (const b of plan.bufs.values()) info(b);

  /** Fan-out tables of a pooling window geometry (input position -> output positions). */
  const fanTables = (geom: WindowGeom): number => {
    let id = geomIds.get(geom);
    if (id === undefined) {
      id = geomIds.size;
      geomIds.set(geom, id);
      globals.array(`static const int32_t ${p}_fan_start${id}[${geom.fanStart.length}]`, geom.fanStart);
      globals.array(`static const int32_t ${p}_fan_out${id}[${Math.max(1, geom.fanOut.length)}]`, geom.fanOut);
    }
    return id;
  };

  // ---------------------------------------------------------------- op bodies
  let opIndex = 0;
  const populations: { name: string; c: number; h: number; w: number; spikes: string; v: string }[] = [];
  const units: { name: string; acc: string; v: string }[] = [];
  const resets: string[] = [];
  let outputExpr = '';

  /** Code that makes `ev`/`n` the events of buffer b (its list, or a scan of its values). */
  const eventsOf = (w: CWriter, b: Buf): void => {
    const s = info(b);
    if (!s.sparse) {
      w.line(`s->n${s.k} = 0;`);
      w.line(`for (int32_t i = 0; i < ${s.size}; i++) if (s->x${s.k}[i] != 0) s->e${s.k}[s->n${s.k}++] = i;`);
    }
    w.line(`const int32_t *ev = s->e${s.k};`);
    w.line(`const int32_t n = s->n${s.k};`);
  };
  const scanEvents = (w: CWriter, b: Buf): void => {
    const s = info(b);
    w.line(`s->n${s.k} = 0;`);
    w.line(`for (int32_t i = 0; i < ${s.size}; i++) if (s->x${s.k}[i] != 0) s->e${s.k}[s->n${s.k}++] = i;`);
  };

  /** Weights, a zeroed accumulator and the open loop over the input events (i, val) of a projection. */
  const projectionPrologue = (w: CWriter, k: number, input: Buf, output: Buf, node: Node, weights: ArrayLike<number>): string => {
    const inS = info(input);
    const out = info(output);
    const wt = weightType(g.consts.get(node.inputs[1].id)!.type.dtype);
    globals.array(`static const ${wt} ${p}_w${k}[${weights.length}]`, weights);
    w.line(`${out.ctype} *acc = s->x${out.k};`);
    w.line(`memset(acc, 0, sizeof(s->x${out.k}));`);
    eventsOf(w, input);
    w.open('for (int32_t e = 0; e < n; e++)');
    w.line('const int32_t i = ev[e];');
    w.line(`const ${out.ctype} val = (${out.ctype})s->x${inS.k}[i];`);
    return wt;
  };

  const emitOp = (w: CWriter, op: PlanOp): void => {
    const k = opIndex++;
    const node: Node = op.node;
    const out = info(op.out);
    w.open(`/* ${op.node.op} #${k} */`);
    switch (op.kind) {
      case 'conv': {
        const wt = projectionPrologue(w, k, op.in, op.out, node, op.w);
        globals.array(`static const int32_t ${p}_seg_start${k}[${op.seg.start.length}]`, op.seg.start);
        for (const [name, arr] of [['out', op.seg.out], ['w', op.seg.w], ['len', op.seg.len]] as const) globals.array(`static const int32_t ${p}_seg_${name}${k}[${Math.max(1, arr.length)}]`, arr);
        w.line(`const int32_t p = i / ${op.in.C}, c = i - p * ${op.in.C};`);
        w.line(`const int32_t obase = (c / ${op.Cg}) * ${op.Og};`);
        w.open(`for (int32_t g = ${p}_seg_start${k}[p]; g < ${p}_seg_start${k}[p + 1]; g++)`);
        w.line(`${out.ctype} *a = acc + ${p}_seg_out${k}[g] + obase;`);
        w.line(`const ${wt} *wr = ${p}_w${k} + c * ${op.kk * op.Og} + ${p}_seg_w${k}[g];`);
        w.line(`for (int32_t j = 0; j < ${p}_seg_len${k}[g]; j++) a[j] += val * wr[j];`);
        w.close();
        w.close();
        break;
      }
      case 'dense': {
        const wt = projectionPrologue(w, k, op.in, op.out, node, op.wT);
        w.line(`const ${wt} *wr = ${p}_w${k} + i * ${op.M};`);
        w.line(`for (int32_t m = 0; m < ${op.M}; m++) acc[m] += val * wr[m];`);
        w.close();
        break;
      }
      case 'add': {
        const a = info(op.a);
        const b = info(op.b);
        w.line(`for (int32_t i = 0; i < ${out.size}; i++) s->x${out.k}[i] = (${out.ctype})s->x${a.k}[i] + (${out.ctype})s->x${b.k}[i];`);
        break;
      }
      case 'mul': {
        const inS = info(op.in);
        globals.array(`static const int32_t ${p}_k${k}[${op.scale.length}]`, op.scale);
        w.line(`for (int32_t q = 0; q < ${out.size}; q += ${op.in.C})`);
        w.line(`    for (int32_t c = 0; c < ${op.in.C}; c++) s->x${out.k}[q + c] = (${out.ctype})s->x${inS.k}[q + c] * ${p}_k${k}[c];`);
        break;
      }
      case 'pool': {
        const inS = info(op.in);
        const C = op.in.C;
        if (op.mode === 'max') {
          const { Ho, Wo, kh, kw, sh, sw, pt, pl, dh, dw } = op.geom;
          w.open(`for (int32_t oy = 0; oy < ${Ho}; oy++) for (int32_t ox = 0; ox < ${Wo}; ox++) for (int32_t c = 0; c < ${C}; c++)`);
          w.line(`${out.ctype} m = 0;`);
          w.line('int first = 1;');
          w.open(`for (int32_t ky = 0; ky < ${kh}; ky++)`);
          w.line(`const int32_t iy = oy * ${sh} + ky * ${dh} - ${pt};`);
          w.line(`if (iy < 0 || iy >= ${op.in.H}) continue;`);
          w.open(`for (int32_t kx = 0; kx < ${kw}; kx++)`);
          w.line(`const int32_t ix = ox * ${sw} + kx * ${dw} - ${pl};`);
          w.line(`if (ix < 0 || ix >= ${op.in.W}) continue;`);
          w.line(`const ${out.ctype} v = s->x${inS.k}[(iy * ${op.in.W} + ix) * ${C} + c];`);
          w.line('if (first || v > m) { m = v; first = 0; }');
          w.close();
          w.close();
          w.line(`s->x${out.k}[(oy * ${Wo} + ox) * ${C} + c] = m;`);
          w.close();
        } else {
          if (op.mode === 'avg') throw new SnncError('SNN0205', 'average pooling is not integer: quantize turns it into sum pooling', `%${node.id}`);
          const f = fanTables(op.geom);
          w.line(`memset(s->x${out.k}, 0, sizeof(s->x${out.k}));`);
          eventsOf(w, op.in);
          w.open('for (int32_t e = 0; e < n; e++)');
          w.line('const int32_t i = ev[e];');
          w.line(`const int32_t p = i / ${C}, c = i - p * ${C};`);
          w.line(`for (int32_t f = ${p}_fan_start${f}[p]; f < ${p}_fan_start${f}[p + 1]; f++) s->x${out.k}[${p}_fan_out${f}[f] * ${C} + c] += s->x${inS.k}[i];`);
          w.close();
        }
        scanEvents(w, op.out);
        break;
      }
      case 'gpool': {
        const inS = info(op.in);
        w.line(`memset(s->x${out.k}, 0, sizeof(s->x${out.k}));`);
        eventsOf(w, op.in);
        w.line(`for (int32_t e = 0; e < n; e++) s->x${out.k}[ev[e] % ${op.in.C}] += s->x${inS.k}[ev[e]];`);
        scanEvents(w, op.out);
        break;
      }
      case 'spikemaxpool': {
        const inS = info(op.in);
        const C = op.in.C;
        state.push(`int32_t counts${k}[${op.in.size}];`);
        resets.push(`memset(s->counts${k}, 0, sizeof(s->counts${k}));`);
        const { Ho, Wo, kh, kw, sh, sw, pt, pl } = op.geom;
        eventsOf(w, op.in);
        w.line(`for (int32_t e = 0; e < n; e++) s->counts${k}[ev[e]] += 1;`);
        w.open(`for (int32_t oy = 0; oy < ${Ho}; oy++) for (int32_t ox = 0; ox < ${Wo}; ox++) for (int32_t c = 0; c < ${C}; c++)`);
        w.line('int32_t best = -1, best_count = -1;');
        w.open(`for (int32_t ky = 0; ky < ${kh}; ky++)`);
        w.line(`const int32_t iy = oy * ${sh} + ky - ${pt};`);
        w.line(`if (iy < 0 || iy >= ${op.in.H}) continue;`);
        w.open(`for (int32_t kx = 0; kx < ${kw}; kx++)`);
        w.line(`const int32_t ix = ox * ${sw} + kx - ${pl};`);
        w.line(`if (ix < 0 || ix >= ${op.in.W}) continue;`);
        w.line(`const int32_t i = (iy * ${op.in.W} + ix) * ${C} + c;`);
        w.line(`if (s->counts${k}[i] > best_count) { best_count = s->counts${k}[i]; best = i; }`);
        w.close();
        w.close();
        w.line(`s->x${out.k}[(oy * ${Wo} + ox) * ${C} + c] = best >= 0 ? s->x${inS.k}[best] : 0;`);
        w.close();
        scanEvents(w, op.out);
        break;
      }
      case 'delay': {
        const inS = info(op.in);
        if (op.back) {
          // a recurrent edge: the input still holds step t-1 (its producer runs later in the step)
          w.line(`for (int32_t i = 0; i < ${op.in.size}; i++) s->x${out.k}[i] = t == 1 ? 0 : s->x${inS.k}[i];`);
        } else {
          state.push(`${inS.ctype} prev${k}[${op.in.size}];`);
          resets.push(`memset(s->prev${k}, 0, sizeof(s->prev${k}));`);
          w.line(`for (int32_t i = 0; i < ${op.in.size}; i++) { s->x${out.k}[i] = s->prev${k}[i]; s->prev${k}[i] = s->x${inS.k}[i]; }`);
        }
        scanEvents(w, op.out);
        break;
      }
      case 'concat': {
        let c0 = 0;
        const P = op.out.H * op.out.W;
        for (const b of op.ins) {
          const s = info(b);
          w.line(`for (int32_t q = 0; q < ${P}; q++) for (int32_t c = 0; c < ${b.C}; c++) s->x${out.k}[q * ${op.out.C} + ${c0} + c] = s->x${s.k}[q * ${b.C} + c];`);
          c0 += b.C;
        }
        scanEvents(w, op.out);
        break;
      }
      case 'neuron': {
        const inS = info(op.in);
        const C = op.out.C;
        const size = op.out.size;
        const theta = layoutParam(attrVector(node, 'threshold', g.consts)!, op.out);
        const thIndex = theta.perNeuron ? 'i' : 'c';
        globals.array(`static const int32_t ${p}_th${k}[${theta.data.length}]`, theta.data);
        const terms = stepTerms(node, g, op.out);
        const R = terms.rows.length;
        const width = terms.rows[0].length;
        const hasTerms = terms.rows.some((r) => r.some((v) => v !== 0));
        if (hasTerms) globals.array(`static const int32_t ${p}_bias${k}[${R * width}]`, terms.rows.flatMap((r) => Array.from(r)));
        state.push(`int32_t v${k}[${size}];`, `uint64_t ovf_acc${k};`, `uint64_t ovf_v${k};`);
        resets.push(`memset(s->v${k}, 0, sizeof(s->v${k}));`);
        populations.push({ name: node.id, c: C, h: op.out.H, w: op.out.W, spikes: `x${out.k}`, v: `v${k}` });
        units.push({ name: node.id, acc: `ovf_acc${k}`, v: `ovf_v${k}` });
        const accBits = attrInt(node, 'accbits');
        const vBits = attrInt(node, 'vbits');
        const narrowFn = OVERFLOW_FN[attrStr(node, 'overflow') as 'saturate' | 'wrap'];
        const leak = leakOfNode(node);
        // a multiplier per channel or per neuron is a table
        const muls = leakMuls(node, g, op.out);
        if (muls) globals.array(`static const int32_t ${p}_lm${k}[${muls.data.length}]`, muls.data);
        const mul = muls ? `${p}_lm${k}[${muls.perNeuron ? 'i' : 'c'}]` : String(leak.mul);
        const leakExpr = leakC(leak, '(int64_t)v[i]', mul);
        const subtract = attrStr(node, 'reset') === 'subtract';
        w.line(`const ${inS.ctype} *x = s->x${inS.k};`);
        w.line(`int32_t *v = s->v${k};`);
        w.line(`int32_t *spk = s->x${out.k};`);
        w.line(`int32_t *ev = s->e${out.k};`);
        w.line(`for (int32_t e = 0; e < s->n${out.k}; e++) spk[ev[e]] = 0;`);
        const tpp = tppOf(node);
        if (tpp) {
          emitTpp(w, tpp, { T: g.steps!, C, size, accBits, vBits, narrowFn, k, th: `${p}_th${k}[${thIndex}]`, bias: hasTerms ? { table: `${p}_bias${k}`, R, width, index: terms.perNeuron ? 'i' : 'c' } : undefined });
          w.line(`s->n${out.k} = n;`);
          break;
        }
        if (hasTerms) w.line(`const int32_t *row = ${p}_bias${k} + (t < ${R} ? t - 1 : ${R - 1}) * ${width};`);
        w.line('int32_t n = 0;');
        w.open(`for (int32_t q = 0; q < ${size}; q += ${C}) for (int32_t c = 0; c < ${C}; c++)`);
        w.line('const int32_t i = q + c;');
        w.line('int64_t a = x[i];');
        w.line(narrowC('a', accBits, narrowFn, `ovf_acc${k}`));
        w.line(`int64_t u = ${leakExpr} + a${hasTerms ? ` + row[${terms.perNeuron ? 'i' : 'c'}]` : ''};`);
        w.line(narrowC('u', vBits, narrowFn, `ovf_v${k}`));
        w.line(`if (u >= ${p}_th${k}[${thIndex}]) { u = ${subtract ? `u - ${p}_th${k}[${thIndex}]` : '0'}; ev[n++] = i; spk[i] = 1; }`);
        w.line('v[i] = (int32_t)u;');
        w.close();
        w.line(`s->n${out.k} = n;`);
        break;
      }
      case 'synapse': {
        // i = narrow(leak(i) + x, ibits): the state is the op's own store
        const inS = info(op.in);
        state.push(`uint64_t ovf_acc${k};`, `uint64_t ovf_v${k};`);
        resets.push(`memset(s->x${out.k}, 0, sizeof(s->x${out.k}));`);
        units.push({ name: node.id, acc: `ovf_acc${k}`, v: `ovf_v${k}` });
        const bits = attrInt(node, 'ibits');
        const narrowFn = OVERFLOW_FN[attrStr(node, 'overflow') as 'saturate' | 'wrap'];
        const leak = leakOfNode(node);
        w.open(`for (int32_t i = 0; i < ${op.out.size}; i++)`);
        w.line(`int64_t u = ${leakC(leak, `(int64_t)s->x${out.k}[i]`)} + (int64_t)s->x${inS.k}[i];`);
        w.line(narrowC('u', bits, narrowFn, `ovf_v${k}`));
        w.line(`s->x${out.k}[i] = (${out.ctype})u;`);
        w.close();
        break;
      }
      case 'readout': {
        const inS = info(op.in);
        const size = op.out.size;
        const terms = stepTerms(node, g, op.out);
        const R = terms.rows.length;
        const hasTerms = terms.rows.some((r) => r.some((v) => v !== 0));
        const width = terms.rows[0].length;
        if (hasTerms) globals.array(`static const int32_t ${p}_bias${k}[${R * width}]`, terms.rows.flatMap((r) => Array.from(r)));
        state.push(`int64_t sum${k}[${size}];`, `uint64_t ovf_acc${k};`, `uint64_t ovf_v${k};`);
        resets.push(`memset(s->sum${k}, 0, sizeof(s->sum${k}));`);
        units.push({ name: node.id, acc: `ovf_acc${k}`, v: `ovf_v${k}` });
        const bits = attrInt(node, 'sumbits');
        const narrowFn = OVERFLOW_FN[attrStr(node, 'overflow') as 'saturate' | 'wrap'];
        // a layer-major readout adds in its own window only: local step tl = t - window in 1..T
        const window = attrInt(node, 'window', 0);
        const tl = layerMajor ? 'tl' : 't';
        if (layerMajor) {
          w.line(`const int32_t tl = t - ${window};`);
          w.open(`if (tl >= 1 && tl <= ${g.steps})`);
        }
        if (hasTerms) w.line(`const int32_t *row = ${p}_bias${k} + (${tl} < ${R} ? ${tl} - 1 : ${R - 1}) * ${width};`);
        w.open(`for (int32_t i = 0; i < ${size}; i++)`);
        w.line(`int64_t u = ${leakC(leakOfNode(node), `s->sum${k}[i]`)} + (int64_t)s->x${inS.k}[i]${hasTerms ? ` + row[${terms.perNeuron ? 'i' : `i % ${op.out.C}`}]` : ''};`);
        w.line(narrowC('u', bits, narrowFn, `ovf_v${k}`));
        w.line(`s->sum${k}[i] = u;`);
        w.close();
        if (layerMajor) w.close();
        if (!outputExpr && node.id === g.outputs[0]) outputExpr = `s->sum${k}`;
        break;
      }
    }
    w.close();
  };

  const begin = new CWriter();
  const inS = info(plan.input);
  const inNode = g.nodes.find((n) => n.op === 'input')!;
  const inRange = intRange(inNode.type.dtype);
  // A temporal input: a sample is T frames; begin keeps a pointer, step t loads frame t.
  const temporal = !plan.input.isStatic;
  const frame = plan.input.size;
  const sampleSize = temporal ? frame * g.steps! : frame;
  if (temporal) state.push('const int32_t *frames;');
  const loadFrame = (w: CWriter, src: string): void => {
    w.line(`/* input: NCHW -> channel-last */`);
    w.line(`for (int32_t ch = 0; ch < ${plan.input.C}; ch++) for (int32_t q = 0; q < ${plan.input.H * plan.input.W}; q++) s->x${inS.k}[q * ${plan.input.C} + ch] = ${src}[ch * ${plan.input.H * plan.input.W} + q];`);
    w.line(`s->n${inS.k} = 0;`);
    w.line(`for (int32_t i = 0; i < ${frame}; i++) if (s->x${inS.k}[i] != 0) s->e${inS.k}[s->n${inS.k}++] = i;`);
  };
  for (const op of plan.staticOps) emitOp(begin, op);
  const step = new CWriter();
  if (temporal) loadFrame(step, `(s->frames + (size_t)(t - 1) * ${frame})`);
  for (const op of plan.stepOps) emitOp(step, op);
  if (!outputExpr) throw new SnncError('SNN0205', 'the graph output must be a readout');

  // ---------------------------------------------------------------- files
  const U = p.toUpperCase();
  const h = new CWriter();
  h.line('/* Generated by snnc: do not edit. */');
  h.line(`#ifndef SNNC_GENERATED_${U}_H`).line(`#define SNNC_GENERATED_${U}_H`).line();
  h.line('#include <stdint.h>').line('#include "snnc_model.h"').line();
  h.line(`#define ${U}_STEPS ${g.steps}`);
  h.line(`#define ${U}_RUN_STEPS ${runSteps(g)}${layerMajor ? ' /* the layer-major schedule: every population accumulates, then fires, in its window */' : ''}`);
  h.line(`#define ${U}_INPUT_SIZE ${sampleSize}${temporal ? ` /* ${g.steps} frames of ${frame}, one per step */` : ''}`);
  h.line(`#define ${U}_OUTPUT_SIZE ${plan.outputs[0].size}`).line();
  h.open('typedef struct');
  for (const s of state) h.line(s);
  h.close(`} ${p}_state;`).line();
  h.line(`void ${p}_init(${p}_state *s);`);
  h.line(
    temporal
      ? `/* Reset the state and keep a pointer to one sample (${g.steps} NCHW frames, read by the steps); -1 if a value is outside [${inRange.min}, ${inRange.max}]. */`
      : `/* Reset the state, load one sample (NCHW integers); -1 if a value is outside [${inRange.min}, ${inRange.max}]. */`,
  );
  h.line(`int ${p}_begin(${p}_state *s, const int32_t *input);`);
  h.line(`/* One step, t = 1..${U}_RUN_STEPS. */`);
  h.line(`void ${p}_step(${p}_state *s, int32_t t);`);
  h.line(`/* begin + all steps; copies the readout sums to output (may be NULL). */`);
  h.line(`int ${p}_run(${p}_state *s, const int32_t *input, int64_t *output);`);
  h.line(`const int64_t *${p}_output(const ${p}_state *s);`);
  h.line(`extern const snnc_model ${p}_model;`).line();
  h.line('#endif');

  const c = new CWriter();
  c.line(`/* Generated by snnc: do not edit. Integer-only, event-driven; see docs/semantics.md. */`);
  c.line('#include <stddef.h>').line('#include <string.h>').line('#include "snnc_fixed.h"').line(`#include "${p}.h"`).line();
  c.append(globals);
  c.open(`void ${p}_init(${p}_state *s)`).line('memset(s, 0, sizeof(*s));').close().line();
  c.open(`int ${p}_begin(${p}_state *s, const int32_t *input)`);
  c.line(`for (int32_t i = 0; i < ${sampleSize}; i++) if (input[i] < ${inRange.min} || input[i] > ${inRange.max}) return -1;`);
  for (const r of resets) c.line(r);
  for (const s of stores.values()) if (s.sparse && s !== inS) c.line(`s->n${s.k} = 0; memset(s->x${s.k}, 0, sizeof(s->x${s.k}));`);
  if (temporal) c.line('s->frames = input;');
  else loadFrame(c, 'input');
  c.line(begin.toString().trimEnd());
  c.line('return 0;');
  c.close().line();
  c.open(`void ${p}_step(${p}_state *s, int32_t t)`);
  c.line(step.toString().trimEnd());
  c.line('(void)t;');
  c.close().line();
  c.open(`int ${p}_run(${p}_state *s, const int32_t *input, int64_t *output)`);
  c.line(`if (${p}_begin(s, input) != 0) return -1;`);
  c.line(`for (int32_t t = 1; t <= ${U}_RUN_STEPS; t++) ${p}_step(s, t);`);
  c.line(`if (output) memcpy(output, ${outputExpr}, sizeof(int64_t) * ${U}_OUTPUT_SIZE);`);
  c.line('return 0;');
  c.close().line();
  c.open(`const int64_t *${p}_output(const ${p}_state *s)`).line(`return ${outputExpr};`).close().line();
  c.line(`static void ${p}_init_any(void *s) { ${p}_init((${p}_state *)s); }`);
  c.line(`static int ${p}_begin_any(void *s, const int32_t *in) { return ${p}_begin((${p}_state *)s, in); }`);
  c.line(`static void ${p}_step_any(void *s, int32_t t) { ${p}_step((${p}_state *)s, t); }`);
  c.line(`static const int64_t *${p}_output_any(const void *s) { return ${p}_output((const ${p}_state *)s); }`).line();
  c.open(`static const snnc_population ${p}_populations[${Math.max(1, populations.length)}] =`);
  for (const q of populations) c.line(`{ ${cString(q.name)}, ${q.c}, ${q.h}, ${q.w}, offsetof(${p}_state, ${q.spikes}), offsetof(${p}_state, ${q.v}) },`);
  if (!populations.length) c.line('{ "", 0, 0, 0, 0, 0 },');
  c.close('};');
  c.open(`static const snnc_unit ${p}_units[${Math.max(1, units.length)}] =`);
  for (const u of units) c.line(`{ ${cString(u.name)}, offsetof(${p}_state, ${u.acc}), offsetof(${p}_state, ${u.v}) },`);
  c.close('};');
  c.open(`const snnc_model ${p}_model =`);
  c.line(`${cString(g.name)}, ${g.steps}, ${runSteps(g)}, ${sampleSize}, ${inRange.min}, ${inRange.max}, ${plan.outputs[0].size}, sizeof(${p}_state),`);
  c.line(`${populations.length}, ${p}_populations, ${units.length}, ${p}_units,`);
  c.line(`${p}_init_any, ${p}_begin_any, ${p}_step_any, ${p}_output_any`);
  c.close('};');

  return [
    { path: `${p}.h`, contents: h.toString() },
    { path: `${p}.c`, contents: c.toBytes() },
  ];
}

/** C that narrows `x` to `bits` (saturate or wrap, `fn`) and counts the change in the state's `counter`: the semantics' narrow. */
function narrowC(x: string, bits: number, fn: string, counter: string): string {
  return `if (${x} > ${maxOf(bits)}LL || ${x} < ${-maxOf(bits) - 1}LL) { ${x} = ${fn}(${x}, ${bits}); s->${counter}++; }`;
}

/**
 * A TPP population at step t (ir/tpp.ts): accumulate until t = window + T (the bias row of local
 * step t - window when in 1..T), then fire for T steps by the counter-based draws; silent after.
 */
function emitTpp(
  w: CWriter,
  tpp: TppParams,
  o: { T: number; C: number; size: number; accBits: number; vBits: number; narrowFn: string; k: number; th: string; bias?: { table: string; R: number; width: number; index: string } },
): void {
  const { T, C, size, k } = o;
  const end = tpp.window + T;
  w.line('int32_t n = 0;');
  w.open(`if (t <= ${end})`);
  if (o.bias) {
    w.line(`const int32_t tl = t - ${tpp.window};`);
    w.line(`const int32_t *row = tl >= 1 ? ${o.bias.table} + (tl < ${o.bias.R} ? tl - 1 : ${o.bias.R - 1}) * ${o.bias.width} : NULL;`);
  }
  w.open(`for (int32_t q = 0; q < ${size}; q += ${C}) for (int32_t c = 0; c < ${C}; c++)`);
  w.line('const int32_t i = q + c;');
  w.line('int64_t a = x[i];');
  w.line(narrowC('a', o.accBits, o.narrowFn, `ovf_acc${k}`));
  w.line(`int64_t u = (int64_t)v[i] + a${o.bias ? ` + (row ? row[${o.bias.index}] : 0)` : ''};`);
  w.line(narrowC('u', o.vBits, o.narrowFn, `ovf_v${k}`));
  w.line('v[i] = (int32_t)u;');
  w.close();
  w.close();
  w.open(`else if (t <= ${end + T})`);
  if (tpp.rule === 'round') {
    // deterministic: a spike while v >= θ/2, so the window emits clip(round-half-up(V/θ), 0, T)
    w.open(`for (int32_t q = 0; q < ${size}; q += ${C}) for (int32_t c = 0; c < ${C}; c++)`);
    w.line('const int32_t i = q + c;');
    w.line(`const int64_t th = ${o.th};`);
    w.line('if (2 * (int64_t)v[i] >= th) { v[i] = (int32_t)(v[i] - th); ev[n++] = i; spk[i] = 1; }');
    w.close();
    w.close();
    return;
  }
  w.line(`const int32_t kf = t - ${end};`);
  w.line(`const uint32_t stream = snnc_tpp_stream(${tpp.seed}U, ${tpp.key}U, (uint32_t)kf);`);
  w.line(`const int64_t R = ${tpp.rule === 'remaining' ? `${T} - kf + 1` : T};`);
  w.open(`for (int32_t q = 0; q < ${size}; q += ${C}) for (int32_t c = 0; c < ${C}; c++)`);
  w.line('const int32_t i = q + c;');
  w.line(`const int64_t th = ${o.th};`);
  w.line(`const int64_t U = snnc_tpp_draw(stream, (uint32_t)(c * ${size / C} + q / ${C}));`);
  w.line(`if (U * th * R < (int64_t)v[i] * ${2 ** TPP_RANDOM_BITS}LL) { ${tpp.rule === 'remaining' ? 'v[i] = (int32_t)(v[i] - th); ' : ''}ev[n++] = i; spk[i] = 1; }`);
  w.close();
  w.close();
}

/** models.c: the table the host program drives. */
export function emitModelTable(prefixes: readonly string[]): EmittedFile {
  prefixes.forEach(checkPrefix);
  const w = new CWriter();
  w.line('/* Generated by snnc: the models linked into this program. */');
  w.line('#include "snnc_model.h"');
  for (const p of prefixes) w.line(`extern const snnc_model ${p}_model;`);
  w.line(`const snnc_model *const snnc_models[${prefixes.length}] = { ${prefixes.map((p) => `&${p}_model`).join(', ')} };`);
  w.line(`const int snnc_model_count = ${prefixes.length};`);
  return { path: 'models.c', contents: w.toString() };
}
