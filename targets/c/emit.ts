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
import { buildPlan } from '../../ir/engine/plan.js';
import { Arena } from '../../ir/engine/arena.js';
import { attrInt } from '../../ir/ops.js';
import { runSteps } from '../../ir/tpp.js';
import { intRange, type Graph } from '../../ir/types.js';
import { emitOp } from './emit-ops.js';
import { Emission } from './emission.js';
import { CWriter } from './writer.js';

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

/** The model's input: its C arrays, NCHW -> channel-last copy, and per-sample size (T frames for a temporal input). */
interface InputInfo {
  readonly k: number;
  readonly frame: number;
  readonly temporal: boolean;
  readonly sampleSize: number;
  readonly range: { min: number; max: number };
}

export function emitC(g: Graph, o: EmitOptions): EmittedFile[] {
  checkPrefix(o.prefix);
  legalize(g);
  const m = new Emission(g, o.prefix, buildPlan(g, new Arena()));
  const { plan } = m;
  // A temporal input: a sample is T frames; begin keeps a pointer, step t loads frame t.
  const temporal = !plan.input.isStatic;
  const frame = plan.input.size;
  const input: InputInfo = { k: m.info(plan.input).k, frame, temporal, sampleSize: temporal ? frame * g.steps! : frame, range: intRange(g.nodes.find((n) => n.op === 'input')!.type.dtype) };
  if (temporal) m.state.push('const int32_t *frames;');
  let opIndex = 0;
  const begin = new CWriter();
  for (const op of plan.staticOps) emitOp(m, begin, op, opIndex++);
  const step = new CWriter();
  if (temporal) loadFrame(m, input, step, `(s->frames + (size_t)(t - 1) * ${frame})`);
  for (const op of plan.stepOps) emitOp(m, step, op, opIndex++);
  if (!m.outputExpr) throw new SnncError('SNN0205', 'the graph output must be a readout');
  return [
    { path: `${m.p}.h`, contents: headerFile(m, input) },
    { path: `${m.p}.c`, contents: sourceFile(m, input, begin, step) },
  ];
}

function loadFrame(m: Emission, input: InputInfo, w: CWriter, src: string): void {
  const { C, H, W } = m.plan.input;
  w.line(`/* input: NCHW -> channel-last */`);
  w.line(`for (int32_t ch = 0; ch < ${C}; ch++) for (int32_t q = 0; q < ${H * W}; q++) s->x${input.k}[q * ${C} + ch] = ${src}[ch * ${H * W} + q];`);
  w.line(`s->n${input.k} = 0;`);
  w.line(`for (int32_t i = 0; i < ${input.frame}; i++) if (s->x${input.k}[i] != 0) s->e${input.k}[s->n${input.k}++] = i;`);
}

/** <prefix>.h: sizes, the state struct, the entry points and the model descriptor. */
function headerFile(m: Emission, input: InputInfo): string {
  const { g, p } = m;
  const U = p.toUpperCase();
  const h = new CWriter();
  h.line('/* Generated by snnc: do not edit. */');
  h.line(`#ifndef SNNC_GENERATED_${U}_H`).line(`#define SNNC_GENERATED_${U}_H`).line();
  h.line('#include <stdint.h>').line('#include "snnc_model.h"').line();
  h.line(`#define ${U}_STEPS ${g.steps}`);
  h.line(`#define ${U}_RUN_STEPS ${runSteps(g)}${m.layerMajor ? ' /* the layer-major schedule: every population accumulates, then fires, in its window */' : ''}`);
  h.line(`#define ${U}_INPUT_SIZE ${input.sampleSize}${input.temporal ? ` /* ${g.steps} frames of ${input.frame}, one per step */` : ''}`);
  h.line(`#define ${U}_OUTPUT_SIZE ${m.plan.outputs[0].size}`).line();
  h.open('typedef struct');
  for (const s of m.state) h.line(s);
  h.close(`} ${p}_state;`).line();
  h.line(`void ${p}_init(${p}_state *s);`);
  const { min, max } = input.range;
  h.line(
    input.temporal
      ? `/* Reset the state and keep a pointer to one sample (${g.steps} NCHW frames, read by the steps); -1 if a value is outside [${min}, ${max}]. */`
      : `/* Reset the state, load one sample (NCHW integers); -1 if a value is outside [${min}, ${max}]. */`,
  );
  h.line(`int ${p}_begin(${p}_state *s, const int32_t *input);`);
  h.line(`/* One step, t = 1..${U}_RUN_STEPS. */`);
  h.line(`void ${p}_step(${p}_state *s, int32_t t);`);
  h.line(`/* begin + all steps; copies the readout sums to output (may be NULL). */`);
  h.line(`int ${p}_run(${p}_state *s, const int32_t *input, int64_t *output);`);
  h.line(`const int64_t *${p}_output(const ${p}_state *s);`);
  h.line(`extern const snnc_model ${p}_model;`).line();
  h.line('#endif');
  return h.toString();
}

/** <prefix>.c: the tables, init / begin / step / run / output, and the descriptor the host program reads. */
function sourceFile(m: Emission, input: InputInfo, begin: CWriter, step: CWriter): Uint8Array {
  const { g, p, populations, units } = m;
  const U = p.toUpperCase();
  const c = new CWriter();
  c.line(`/* Generated by snnc: do not edit. Integer-only, event-driven; see docs/semantics.md. */`);
  c.line('#include <stddef.h>').line('#include <string.h>').line('#include "snnc_fixed.h"').line(`#include "${p}.h"`).line();
  c.append(m.globals);
  c.open(`void ${p}_init(${p}_state *s)`).line('memset(s, 0, sizeof(*s));').close().line();
  c.open(`int ${p}_begin(${p}_state *s, const int32_t *input)`);
  c.line(`for (int32_t i = 0; i < ${input.sampleSize}; i++) if (input[i] < ${input.range.min} || input[i] > ${input.range.max}) return -1;`);
  for (const r of m.resets) c.line(r);
  for (const s of m.stores.values()) if (s.sparse && s.k !== input.k) c.line(`s->n${s.k} = 0; memset(s->x${s.k}, 0, sizeof(s->x${s.k}));`);
  if (input.temporal) c.line('s->frames = input;');
  else loadFrame(m, input, c, 'input');
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
  c.line(`if (output) memcpy(output, ${m.outputExpr}, sizeof(int64_t) * ${U}_OUTPUT_SIZE);`);
  c.line('return 0;');
  c.close().line();
  c.open(`const int64_t *${p}_output(const ${p}_state *s)`).line(`return ${m.outputExpr};`).close().line();
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
  c.line(`${cString(g.name)}, ${g.steps}, ${runSteps(g)}, ${input.sampleSize}, ${input.range.min}, ${input.range.max}, ${m.plan.outputs[0].size}, sizeof(${p}_state),`);
  c.line(`${populations.length}, ${p}_populations, ${units.length}, ${p}_units,`);
  c.line(`${p}_init_any, ${p}_begin_any, ${p}_step_any, ${p}_output_any`);
  c.close('};');
  return c.toBytes();
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
