/**
 * The C of each op of the plan, one function per kind, in the order and with the arithmetic of
 * the reference interpreter (ir/engine/): a projection visits the fan-out of each nonzero input,
 * a population updates its neurons once, narrows as ir/engine/neuron-fixed.ts says (through
 * snnc_fixed.h) and lists its spikes. Each writes into one op block `/* op #k *\/` of `begin`
 * (static ops) or `step` (the others), with `s` the state and `t` the step.
 */
import { SnncError } from '../../ir/diagnostics.js';
import type { Buf, PlanOp } from '../../ir/engine/plan.js';
import { layoutParam, leakMuls, leakOfNode, stepTerms } from '../../ir/engine/neuron-fixed.js';
import { maxOf, type Leak } from '../../ir/fixed-arith.js';
import { attrInt, attrStr, attrVector } from '../../ir/ops.js';
import { tppOf, TPP_RANDOM_BITS, type TppParams } from '../../ir/tpp.js';
import type { Node } from '../../ir/types.js';
import { weightType, type Emission } from './emission.js';
import type { CWriter } from './writer.js';

type Op<K extends PlanOp['kind']> = Extract<PlanOp, { kind: K }>;
type OpEmitter<K extends PlanOp['kind']> = (m: Emission, w: CWriter, op: Op<K>, k: number) => void;

const OVERFLOW_FN = { saturate: 'snnc_saturate', wrap: 'snnc_wrap' } as const;
const ROUND_CONST = { floor: 'SNNC_ROUND_FLOOR', trunc: 'SNNC_ROUND_TRUNC', 'half-up': 'SNNC_ROUND_HALF_UP' } as const;

const narrowFnOf = (node: Node): string => OVERFLOW_FN[attrStr(node, 'overflow') as 'saturate' | 'wrap'];

/** The C expression of a leak applied to `value` (an int64 expression); `mul`: the multiplier's expression when not the scalar one. */
function leakC(leak: Leak, value: string, mul = String(leak.mul)): string {
  if (leak.kind === 'none') return value;
  if (leak.kind === 'shift') return `snnc_leak_shift(${value}, ${leak.shift}, ${ROUND_CONST[leak.round]})`;
  return `snnc_leak_mul(${value}, ${mul}, ${leak.shift}, ${ROUND_CONST[leak.round]})`;
}

/** C that narrows `x` to `bits` (saturate or wrap, `fn`) and counts the change in the state's `counter`: the semantics' narrow. */
function narrowC(x: string, bits: number, fn: string, counter: string): string {
  return `if (${x} > ${maxOf(bits)}LL || ${x} < ${-maxOf(bits) - 1}LL) { ${x} = ${fn}(${x}, ${bits}); s->${counter}++; }`;
}

/** Weights, a zeroed accumulator and the open loop over the input events (i, val) of a projection. */
function projectionPrologue(m: Emission, w: CWriter, k: number, input: Buf, output: Buf, node: Node, weights: ArrayLike<number>): string {
  const inS = m.info(input);
  const out = m.info(output);
  const wt = weightType(m.g.consts.get(node.inputs[1].id)!.type.dtype);
  m.globals.array(`static const ${wt} ${m.p}_w${k}[${weights.length}]`, weights);
  w.line(`${out.ctype} *acc = s->x${out.k};`);
  w.line(`memset(acc, 0, sizeof(s->x${out.k}));`);
  m.eventsOf(w, input);
  w.open('for (int32_t e = 0; e < n; e++)');
  w.line('const int32_t i = ev[e];');
  w.line(`const ${out.ctype} val = (${out.ctype})s->x${inS.k}[i];`);
  return wt;
}

const emitConv: OpEmitter<'conv'> = (m, w, op, k) => {
  const { p, globals } = m;
  const out = m.info(op.out);
  const wt = projectionPrologue(m, w, k, op.in, op.out, op.node, op.w);
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
};

const emitDense: OpEmitter<'dense'> = (m, w, op, k) => {
  const wt = projectionPrologue(m, w, k, op.in, op.out, op.node, op.wT);
  w.line(`const ${wt} *wr = ${m.p}_w${k} + i * ${op.M};`);
  w.line(`for (int32_t m = 0; m < ${op.M}; m++) acc[m] += val * wr[m];`);
  w.close();
};

const emitAdd: OpEmitter<'add'> = (m, w, op) => {
  const out = m.info(op.out);
  const a = m.info(op.a);
  const b = m.info(op.b);
  w.line(`for (int32_t i = 0; i < ${out.size}; i++) s->x${out.k}[i] = (${out.ctype})s->x${a.k}[i] + (${out.ctype})s->x${b.k}[i];`);
};

const emitMul: OpEmitter<'mul'> = (m, w, op, k) => {
  const out = m.info(op.out);
  const inS = m.info(op.in);
  m.globals.array(`static const int32_t ${m.p}_k${k}[${op.scale.length}]`, op.scale);
  w.line(`for (int32_t q = 0; q < ${out.size}; q += ${op.in.C})`);
  w.line(`    for (int32_t c = 0; c < ${op.in.C}; c++) s->x${out.k}[q + c] = (${out.ctype})s->x${inS.k}[q + c] * ${m.p}_k${k}[c];`);
};

const emitPool: OpEmitter<'pool'> = (m, w, op) => {
  const out = m.info(op.out);
  const inS = m.info(op.in);
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
    if (op.mode === 'avg') throw new SnncError('SNN0205', 'average pooling is not integer: quantize turns it into sum pooling', `%${op.node.id}`);
    const f = m.fanTables(op.geom);
    const p = m.p;
    w.line(`memset(s->x${out.k}, 0, sizeof(s->x${out.k}));`);
    m.eventsOf(w, op.in);
    w.open('for (int32_t e = 0; e < n; e++)');
    w.line('const int32_t i = ev[e];');
    w.line(`const int32_t p = i / ${C}, c = i - p * ${C};`);
    w.line(`for (int32_t f = ${p}_fan_start${f}[p]; f < ${p}_fan_start${f}[p + 1]; f++) s->x${out.k}[${p}_fan_out${f}[f] * ${C} + c] += s->x${inS.k}[i];`);
    w.close();
  }
  m.scanEvents(w, op.out);
};

const emitGpool: OpEmitter<'gpool'> = (m, w, op) => {
  const out = m.info(op.out);
  const inS = m.info(op.in);
  w.line(`memset(s->x${out.k}, 0, sizeof(s->x${out.k}));`);
  m.eventsOf(w, op.in);
  w.line(`for (int32_t e = 0; e < n; e++) s->x${out.k}[ev[e] % ${op.in.C}] += s->x${inS.k}[ev[e]];`);
  m.scanEvents(w, op.out);
};

/** The gated max pool: each window passes its input with the most spikes so far (the first such on ties). */
const emitSpikeMaxPool: OpEmitter<'spikemaxpool'> = (m, w, op, k) => {
  const out = m.info(op.out);
  const inS = m.info(op.in);
  const C = op.in.C;
  m.state.push(`int32_t counts${k}[${op.in.size}];`);
  m.resets.push(`memset(s->counts${k}, 0, sizeof(s->counts${k}));`);
  const { Ho, Wo, kh, kw, sh, sw, pt, pl } = op.geom;
  m.eventsOf(w, op.in);
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
  m.scanEvents(w, op.out);
};

const emitDelay: OpEmitter<'delay'> = (m, w, op, k) => {
  const out = m.info(op.out);
  const inS = m.info(op.in);
  if (op.back) {
    // a recurrent edge: the input still holds step t-1 (its producer runs later in the step)
    w.line(`for (int32_t i = 0; i < ${op.in.size}; i++) s->x${out.k}[i] = t == 1 ? 0 : s->x${inS.k}[i];`);
  } else {
    m.state.push(`${inS.ctype} prev${k}[${op.in.size}];`);
    m.resets.push(`memset(s->prev${k}, 0, sizeof(s->prev${k}));`);
    w.line(`for (int32_t i = 0; i < ${op.in.size}; i++) { s->x${out.k}[i] = s->prev${k}[i]; s->prev${k}[i] = s->x${inS.k}[i]; }`);
  }
  m.scanEvents(w, op.out);
};

const emitConcat: OpEmitter<'concat'> = (m, w, op) => {
  const out = m.info(op.out);
  let c0 = 0;
  const P = op.out.H * op.out.W;
  for (const b of op.ins) {
    const s = m.info(b);
    w.line(`for (int32_t q = 0; q < ${P}; q++) for (int32_t c = 0; c < ${b.C}; c++) s->x${out.k}[q * ${op.out.C} + ${c0} + c] = s->x${s.k}[q * ${b.C} + c];`);
    c0 += b.C;
  }
  m.scanEvents(w, op.out);
};

/** An integrate-and-fire population (or a TPP one, emitTpp): narrow the current, integrate, fire, reset. */
const emitNeuron: OpEmitter<'neuron'> = (m, w, op, k) => {
  const { g, p, globals } = m;
  const node = op.node;
  const out = m.info(op.out);
  const inS = m.info(op.in);
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
  m.state.push(`int32_t v${k}[${size}];`, `uint64_t ovf_acc${k};`, `uint64_t ovf_v${k};`);
  m.resets.push(`memset(s->v${k}, 0, sizeof(s->v${k}));`);
  m.populations.push({ name: node.id, c: C, h: op.out.H, w: op.out.W, spikes: `x${out.k}`, v: `v${k}` });
  m.units.push({ name: node.id, acc: `ovf_acc${k}`, v: `ovf_v${k}` });
  const accBits = attrInt(node, 'accbits');
  const vBits = attrInt(node, 'vbits');
  const narrowFn = narrowFnOf(node);
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
    return;
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
};

/** A synaptic current: i = narrow(leak(i) + x, ibits); the state is the op's own store. */
const emitSynapse: OpEmitter<'synapse'> = (m, w, op, k) => {
  const node = op.node;
  const out = m.info(op.out);
  const inS = m.info(op.in);
  m.state.push(`uint64_t ovf_acc${k};`, `uint64_t ovf_v${k};`);
  m.resets.push(`memset(s->x${out.k}, 0, sizeof(s->x${out.k}));`);
  m.units.push({ name: node.id, acc: `ovf_acc${k}`, v: `ovf_v${k}` });
  w.open(`for (int32_t i = 0; i < ${op.out.size}; i++)`);
  w.line(`int64_t u = ${leakC(leakOfNode(node), `(int64_t)s->x${out.k}[i]`)} + (int64_t)s->x${inS.k}[i];`);
  w.line(narrowC('u', attrInt(node, 'ibits'), narrowFnOf(node), `ovf_v${k}`));
  w.line(`s->x${out.k}[i] = (${out.ctype})u;`);
  w.close();
};

/** The readout: sum = narrow(leak(sum) + x + bias row, sumbits); a layer-major one adds in its own window only. */
const emitReadout: OpEmitter<'readout'> = (m, w, op, k) => {
  const { g, p } = m;
  const node = op.node;
  const inS = m.info(op.in);
  const size = op.out.size;
  const terms = stepTerms(node, g, op.out);
  const R = terms.rows.length;
  const hasTerms = terms.rows.some((r) => r.some((v) => v !== 0));
  const width = terms.rows[0].length;
  if (hasTerms) m.globals.array(`static const int32_t ${p}_bias${k}[${R * width}]`, terms.rows.flatMap((r) => Array.from(r)));
  m.state.push(`int64_t sum${k}[${size}];`, `uint64_t ovf_acc${k};`, `uint64_t ovf_v${k};`);
  m.resets.push(`memset(s->sum${k}, 0, sizeof(s->sum${k}));`);
  m.units.push({ name: node.id, acc: `ovf_acc${k}`, v: `ovf_v${k}` });
  // a layer-major readout, or one that waits for delayed input, adds in its own window only: local step tl = t - window in 1..T
  const windowed = m.layerMajor || attrInt(node, 'window', 0) > 0;
  const tl = windowed ? 'tl' : 't';
  if (windowed) {
    w.line(`const int32_t tl = t - ${attrInt(node, 'window', 0)};`);
    w.open(`if (tl >= 1 && tl <= ${g.steps})`);
  }
  if (hasTerms) w.line(`const int32_t *row = ${p}_bias${k} + (${tl} < ${R} ? ${tl} - 1 : ${R - 1}) * ${width};`);
  w.open(`for (int32_t i = 0; i < ${size}; i++)`);
  w.line(`int64_t u = ${leakC(leakOfNode(node), `s->sum${k}[i]`)} + (int64_t)s->x${inS.k}[i]${hasTerms ? ` + row[${terms.perNeuron ? 'i' : `i % ${op.out.C}`}]` : ''};`);
  w.line(narrowC('u', attrInt(node, 'sumbits'), narrowFnOf(node), `ovf_v${k}`));
  w.line(`s->sum${k}[i] = u;`);
  w.close();
  if (windowed) w.close();
  if (!m.outputExpr && node.id === g.outputs[0]) m.outputExpr = `s->sum${k}`;
};

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

const EMITTERS: { readonly [K in PlanOp['kind']]: OpEmitter<K> } = {
  conv: emitConv,
  dense: emitDense,
  add: emitAdd,
  mul: emitMul,
  pool: emitPool,
  gpool: emitGpool,
  spikemaxpool: emitSpikeMaxPool,
  delay: emitDelay,
  concat: emitConcat,
  neuron: emitNeuron,
  synapse: emitSynapse,
  readout: emitReadout,
};

/** The block of op number k (its index in the model): `/* op #k *\/ { ... }`. */
export function emitOp(m: Emission, w: CWriter, op: PlanOp, k: number): void {
  m.info(op.out);
  w.open(`/* ${op.node.op} #${k} */`);
  (EMITTERS[op.kind] as OpEmitter<PlanOp['kind']>)(m, w, op as never, k);
  w.close();
}
