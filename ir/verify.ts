/**
 * The verifier: the contract every graph must meet after every pass.
 *
 * Checked:
 *  - graph: stage is known; `steps` >= 1 exactly at the spiking stages; outputs name defined values.
 *  - values: ids unique; operands refer to values defined earlier (topological order; only a
 *    delay may read a population defined later, a recurrent edge) or to
 *    constants; operand count and kind (value / constant) as the op table says.
 *  - ops: known, legal at the stage; attributes present when required, known, well typed, string
 *    attributes from their allowed set; the declared result type equals the inferred one.
 *  - constants: data length = number of elements; f32 data in a Float32Array; integer data in an
 *    Int32Array and inside its dtype's range.
 *  - float stages: every value is f32.
 *  - neurons: thresholds > 0, scalar, per channel or per neuron (ir/neuron-params.ts); at snn-float
 *    a spike carries its amplitude (> 0, per channel; θ by default, so a per-neuron θ needs one);
 *    vinit and shift have 1, C or one per neuron entries; tables have the stage's
 *    shape ([T, C or neuron shape] for stepbias, [R <= T, C or neuron shape] for folded bias).
 *  - spiking stages: the structural rules of spiking-rules.ts (what the executors can run);
 *  - snn-fixed: integer dtypes everywhere; widths within limits; the interval analysis
 *    (fixed-ranges.ts) proves every value fits its declared dtype and stays below 2^53 in
 *    magnitude, so the JavaScript interpreter is exact.
 *
 * Not yet checked: that a graph has no dead nodes; that per-neuron `vinit` tables match the
 * neuron shape exactly (they are broadcast).
 */
import { DiagnosticSink, SnncError, type Diagnostic, type DiagnosticCode } from './diagnostics.js';
import { attrSpecs, attrVector, InferError, OPS, type AttrSpec } from './ops.js';
import { computeRanges } from './fixed-ranges.js';
import { spikingRuleViolations } from './spiking-rules.js';
import { isLayerMajor, runSteps, scheduleViolations } from './tpp.js';
import { formatShape, formatType, intFormat, intRange, isConstRef, isValidDType, numel, type AttrValue, type Const, type Graph, type Node, type TensorType } from './types.js';

export function whereOf(node: Node): string {
  const pos = node.pos ? `${node.pos.file}:${node.pos.line}:${node.pos.col} ` : '';
  const loc = node.loc ? ` (onnx node '${node.loc}')` : '';
  return `${pos}%${node.id}${loc}`;
}

function checkAttrValue(spec: AttrSpec, v: AttrValue): string | undefined {
  switch (spec.type) {
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) ? undefined : 'an integer';
    case 'float':
      return typeof v === 'number' ? undefined : 'a number';
    case 'ints':
      return Array.isArray(v) && v.every((x) => Number.isInteger(x)) ? undefined : 'a list of integers';
    case 'floats':
      return Array.isArray(v) ? undefined : 'a list of numbers';
    case 'string':
      if (typeof v !== 'string') return 'a string';
      return spec.values && !spec.values.includes(v) ? `one of ${spec.values.map((s) => `"${s}"`).join(', ')}` : undefined;
    case 'bool':
      return typeof v === 'boolean' ? undefined : 'true or false';
    case 'const':
      return isConstRef(v) ? undefined : 'a constant @name';
    case 'float|const':
      return typeof v === 'number' || isConstRef(v) ? undefined : 'a number or a constant @name';
  }
}

function checkConst(c: Const, sink: DiagnosticSink): void {
  const where = `@${c.id}`;
  if (!isValidDType(c.type.dtype)) return sink.error('SNN0110', `unknown dtype ${c.type.dtype}`, where);
  if (c.type.shape.some((d) => !Number.isInteger(d) || d < 0)) return sink.error('SNN0110', `constant shape ${formatShape(c.type.shape)} has a negative or dynamic dimension`, where);
  const n = numel(c.type.shape);
  if (c.data.length !== n) return sink.error('SNN0110', `constant of type ${formatType(c.type)} needs ${n} values, holds ${c.data.length}`, where);
  if (c.type.dtype === 'f32') {
    if (!(c.data instanceof Float32Array)) sink.error('SNN0110', 'f32 constant must hold Float32Array data', where);
    return;
  }
  const f = intFormat(c.type.dtype);
  if (!f || f.bits > (f.signed ? 32 : 31)) return sink.error('SNN0110', `integer constants are limited to i32 and u31, found ${c.type.dtype}`, where);
  if (!(c.data instanceof Int32Array)) return sink.error('SNN0110', 'integer constant must hold Int32Array data', where);
  const { min, max } = intRange(c.type.dtype);
  for (let i = 0; i < c.data.length; i++) {
    if (c.data[i] < min || c.data[i] > max) return sink.error('SNN0110', `element ${i} = ${c.data[i]} is outside ${c.type.dtype} [${min}, ${max}]`, where);
  }
}

/** Number of entries a per-channel parameter of a neuron with value type `t` may have. */
function channelCount(t: TensorType): number {
  return t.shape.length >= 2 ? t.shape[1] : 1;
}

/**
 * The leak of a population (`if`), a readout or a synaptic current. snn-float: a factor in [0, 1]
 * (0 keeps no memory, NIR's Threshold) — `leak`, or a synapse's `decay` — one, or for a population
 * one per channel or per neuron. snn-fixed: leakshift in 0..30, a rounding, and leakmul a
 * non-negative integer (or, for a population, one per channel or per neuron) whose product with the
 * register stays below 2^53.
 */
function checkLeak(g: Graph, node: Node, sink: DiagnosticSink, sizes?: { perChannel: number; perNeuron: number }): void {
  const where = whereOf(node);
  const values = (v: AttrValue | undefined): number[] => (typeof v === 'number' ? [v] : isConstRef(v) ? Array.from(g.consts.get(v.const)?.data ?? []) : []);
  const sizeOk = (name: string, v: AttrValue | undefined): void => {
    if (!isConstRef(v)) return;
    const n = values(v).length;
    if (!sizes) sink.error('SNN0108', `${name} must be one number for '${node.op}'`, where);
    else if (n !== 1 && n !== sizes.perChannel && n !== sizes.perNeuron) sink.error('SNN0108', `${name} has ${n} values, expected 1, ${sizes.perChannel} (channels) or ${sizes.perNeuron} (neurons)`, where);
  };
  if (g.stage === 'snn-float') {
    const name = node.op === 'synapse' ? 'decay' : 'leak';
    const bad = values(node.attrs[name]).find((l) => !(l >= 0 && l <= 1));
    if (bad !== undefined) sink.error('SNN0108', `${name} ${bad} must be in [0, 1]`, where);
    sizeOk(name, node.attrs[name]);
    return;
  }
  const leak = node.attrs.leak ?? 'none';
  if (leak === 'none') return;
  const k = node.attrs.leakshift;
  if (typeof k !== 'number' || !(k >= 0 && k <= 30)) sink.error('SNN0106', 'leak needs leakshift in 0..30', where);
  const lm = node.attrs.leakmul;
  if (leak === 'mul' && typeof lm !== 'number' && !isConstRef(lm)) sink.error('SNN0106', 'leak = "mul" needs leakmul', where);
  sizeOk('leakmul', lm);
  const bits = node.attrs[node.op === 'if' ? 'vbits' : node.op === 'synapse' ? 'ibits' : 'sumbits'];
  const m = values(lm).find((x) => !(Number.isInteger(x) && x >= 0 && typeof bits === 'number' && x * 2 ** (bits - 1) < 2 ** 53));
  if (leak === 'mul' && m !== undefined && typeof bits === 'number') {
    sink.error('SNN0112', `leakmul ${m} times a ${bits}-bit register exceeds 2^53 or is not a non-negative integer: not exactly representable`, where);
  }
  if (node.attrs.round === undefined) sink.error('SNN0106', 'a leak needs round', where);
}

function checkNeuronParams(g: Graph, node: Node, sink: DiagnosticSink): void {
  const where = whereOf(node);
  const C = channelCount(node.type);
  const perNeuron = numel(node.type.shape.slice(1));
  const sizeOf = (name: string): number | undefined => {
    const v = node.attrs[name];
    if (v === undefined) return undefined;
    if (typeof v === 'number') return 1;
    if (isConstRef(v)) return g.consts.get(v.const)?.data.length;
    return undefined;
  };
  const th = node.attrs.threshold;
  if (typeof th === 'number' ? !(th > 0) : isConstRef(th) && [...(g.consts.get(th.const)?.data ?? [])].some((x) => !(x > 0))) {
    sink.error('SNN0108', 'threshold must be > 0', where);
  }
  const thn = sizeOf('threshold');
  if (thn !== undefined && thn !== 1 && thn !== C && thn !== perNeuron) {
    sink.error('SNN0108', `threshold has ${thn} values, expected 1, ${C} (channels) or ${perNeuron} (neurons)`, where);
  }
  if (g.stage === 'snn-float') {
    // a float spike carries its channel's amplitude, which a projection folds into its weights: per channel
    const amp = node.attrs.amplitude;
    const ampn = sizeOf('amplitude');
    if (ampn === undefined && thn !== undefined && thn !== 1 && thn !== C) sink.error('SNN0108', `threshold has ${thn} values (per neuron), so the spike needs an amplitude of 1 or ${C} values (a spike carries θ by default, and a projection reads one value per channel)`, where);
    if (ampn !== undefined && ampn !== 1 && ampn !== C) sink.error('SNN0108', `amplitude has ${ampn} values, expected 1 or ${C} (channels)`, where);
    if (typeof amp === 'number' ? !(amp > 0) : isConstRef(amp) && [...(g.consts.get(amp.const)?.data ?? [])].some((x) => !(x > 0))) sink.error('SNN0108', 'amplitude must be > 0', where);
  }
  for (const name of ['vinit', 'shift'] as const) {
    const n = sizeOf(name);
    if (n !== undefined && n !== 1 && n !== C && n !== perNeuron) sink.error('SNN0108', `${name} has ${n} values, expected 1, ${C} (channels) or ${perNeuron} (neurons)`, where);
  }
  const T = g.steps ?? 0;
  const sb = node.attrs.stepbias;
  if (isConstRef(sb)) {
    const c = g.consts.get(sb.const);
    const rest = c ? numel(c.type.shape.slice(1)) : 0;
    if (c && !(c.type.shape[0] === T && c.type.shape.length >= 2 && (rest === C || rest === perNeuron))) sink.error('SNN0108', `stepbias has shape ${formatShape(c.type.shape)}, expected [${T},${C}] ([steps, channels]) or [${T},...neuron shape]`, where);
  }
  const bias = node.attrs.bias;
  if (isConstRef(bias)) {
    const c = g.consts.get(bias.const);
    const rows = c?.type.shape[0] ?? 0;
    const rest = c ? numel(c.type.shape.slice(1)) : 0;
    // a step-major population waiting d steps for delayed input has d leading zero rows (insert-delays)
    const most = isLayerMajor(g) ? T : runSteps(g);
    if (c && !(rows >= 1 && rows <= most && (rest === C || rest === perNeuron))) {
      sink.error('SNN0108', `bias table has shape ${formatShape(c.type.shape)}, expected [R,${C}] or [R,...neuron shape] with 1 <= R <= ${most}`, where);
    }
  }
  checkLeak(g, node, sink, { perChannel: C, perNeuron });
  if (g.stage === 'snn-float') return;
  for (const name of ['accbits', 'vbits'] as const) {
    const b = node.attrs[name];
    if (typeof b === 'number' && !(b >= 2 && b <= 48)) sink.error('SNN0108', `${name} ${b} must be between 2 and 48`, where);
  }
  for (const name of ['threshold', 'vinit', 'shift'] as const) {
    const v = node.attrs[name];
    if (typeof v === 'number' && !Number.isInteger(v)) sink.error('SNN0108', `${name} must be an integer at snn-fixed, found ${v}`, where);
    if (isConstRef(v)) {
      const c = g.consts.get(v.const);
      if (c && c.type.dtype === 'f32') sink.error('SNN0108', `${name} must be an integer constant at snn-fixed`, where);
    }
  }
}

export function verify(g: Graph): Diagnostic[] {
  const sink = new DiagnosticSink();
  const spiking = g.stage === 'snn-float' || g.stage === 'snn-fixed';
  if (g.stage !== 'ann' && !spiking) sink.error('SNN0111', `unknown stage ${String(g.stage)}`);
  if (spiking && !(Number.isInteger(g.steps) && (g.steps ?? 0) >= 1)) sink.error('SNN0111', `stage ${g.stage} needs steps >= 1, found ${g.steps}`);
  if (!spiking && g.steps !== undefined) sink.error('SNN0111', `stage ann has no time steps, found steps=${g.steps}`);

  for (const c of g.consts.values()) checkConst(c, sink);

  const types = new Map<string, TensorType>();
  const later = new Map(g.nodes.map((n) => [n.id, n]));
  for (const node of g.nodes) {
    const where = whereOf(node);
    const before = sink.errors.length;
    if (types.has(node.id)) sink.error('SNN0104', `value %${node.id} is defined twice`, where);
    const spec = OPS[node.op];
    if (!spec) {
      sink.error('SNN0101', `unknown op '${node.op}'`, where);
      types.set(node.id, node.type);
      continue;
    }
    if (!spec.stages.includes(g.stage)) sink.error('SNN0102', `op '${node.op}' is not legal at stage ${g.stage} (legal at: ${spec.stages.join(', ')})`, where);
    if (!isValidDType(node.type.dtype)) sink.error('SNN0107', `unknown dtype ${node.type.dtype}`, where);
    if (g.stage !== 'snn-fixed' && node.type.dtype !== 'f32') sink.error('SNN0107', `values are f32 at stage ${g.stage}, found ${node.type.dtype}`, where);
    if (g.stage === 'snn-fixed' && node.type.dtype === 'f32') sink.error('SNN0107', 'values are integers at stage snn-fixed, found f32', where);

    const { min, max } = spec.operands;
    if (node.inputs.length < min || node.inputs.length > max) {
      sink.error('SNN0105', `op '${node.op}' takes ${min === max ? min : `${min} to ${max}`} operands, found ${node.inputs.length}`, where);
    }
    const inTypes: TensorType[] = [];
    const inConst: boolean[] = [];
    node.inputs.forEach((r, i) => {
      const kind = spec.operandKinds[Math.min(i, spec.operandKinds.length - 1)] ?? 'any';
      if (kind !== 'any' && kind !== r.kind) sink.error('SNN0108', `operand ${i} of '${node.op}' must be a ${kind === 'const' ? 'constant @name' : 'value %name'}`, where);
      let t = r.kind === 'value' ? types.get(r.id) : g.consts.get(r.id)?.type;
      // a recurrent edge: a delay may read the spikes of a population later in the step
      const back = r.kind === 'value' && !t && node.op === 'delay' && spiking ? later.get(r.id) : undefined;
      if (back) {
        const spikes = back.op === 'if' || (back.op === 'delay' && later.get(back.inputs[0]?.id ?? '')?.op === 'if');
        if (spikes) t = back.type;
        else sink.error('SNN0103', `delay reads %${r.id}, defined later: a recurrent edge must read a population's spikes ('if', or a delay of them), found '${back.op}'`, where);
      }
      if (!t) {
        if (!back) sink.error('SNN0103', `operand ${i} refers to undefined ${r.kind === 'value' ? `value %${r.id}` : `constant @${r.id}`}`, where);
      } else {
        inTypes.push(t);
        inConst.push(r.kind === 'const');
      }
    });

    const specs = attrSpecs(node.op, g.stage);
    for (const [name, v] of Object.entries(node.attrs)) {
      const s = specs[name];
      if (!s || (s.stages && !s.stages.includes(g.stage))) {
        sink.error('SNN0106', `unknown attribute '${name}' for op '${node.op}' at stage ${g.stage}`, where);
        continue;
      }
      const expected = checkAttrValue(s, v);
      if (expected) sink.error('SNN0106', `attribute '${name}' must be ${expected}`, where);
      if (isConstRef(v) && !g.consts.has(v.const)) sink.error('SNN0103', `attribute '${name}' refers to undefined constant @${v.const}`, where);
    }
    for (const [name, s] of Object.entries(specs)) {
      if (s.required && (!s.stages || s.stages.includes(g.stage)) && node.attrs[name] === undefined) sink.error('SNN0106', `missing required attribute '${name}' of op '${node.op}'`, where);
    }

    if (sink.errors.length === before && inTypes.length === node.inputs.length) {
      try {
        const r = spec.infer({ node, stage: g.stage, inputs: inTypes, inputIsConst: inConst, consts: g.consts });
        const declared = node.type;
        const shapeOk = r.shape.length === declared.shape.length && r.shape.every((d, i) => d === declared.shape[i]);
        if (!shapeOk || (r.dtype !== undefined && r.dtype !== declared.dtype)) {
          sink.error('SNN0107', `declared type ${formatType(declared)} differs from inferred ${r.dtype ?? 'int'}${formatShape(r.shape)}`, where);
        }
        if (g.stage === 'snn-fixed' && r.dtype === undefined && !intFormat(declared.dtype)) sink.error('SNN0107', `expected an integer dtype, found ${declared.dtype}`, where);
      } catch (e) {
        if (!(e instanceof InferError)) throw e;
        sink.error('SNN0108', `${node.op}: ${e.message}`, where);
      }
      if (node.op === 'if') checkNeuronParams(g, node, sink);
      if (node.op === 'readout' || node.op === 'synapse') checkLeak(g, node, sink);
      const ibits = node.attrs.ibits;
      if (node.op === 'synapse' && typeof ibits === 'number' && !(ibits >= 2 && ibits <= 48)) sink.error('SNN0108', `ibits ${ibits} must be between 2 and 48`, where);
      const sumbits = node.attrs.sumbits;
      if (node.op === 'readout' && typeof sumbits === 'number' && !(sumbits >= 2 && sumbits <= 53)) {
        sink.error('SNN0108', `sumbits ${sumbits} must be between 2 and 53 (the reference interpreter is exact below 2^53)`, where);
      }
    }
    types.set(node.id, node.type);
  }

  for (const o of g.outputs) if (!types.has(o)) sink.error('SNN0109', `graph output %${o} is not defined`);
  if (g.outputs.length === 0) sink.error('SNN0109', 'graph has no outputs');
  if (sink.errors.length === 0) for (const v of spikingRuleViolations(g)) sink.error('SNN0113', v.message, v.where);
  if (sink.errors.length === 0 && spiking) {
    const maxThreshold = (n: Node): number => Math.max(...(attrVector(n, 'threshold', g.consts) ?? [0]));
    for (const v of scheduleViolations(g, maxThreshold)) sink.error('SNN0114', v.message, `%${v.id}`);
  }

  if (g.stage === 'snn-fixed' && sink.errors.length === 0) {
    const ranges = computeRanges(g);
    for (const node of g.nodes) {
      const r = ranges.get(node.id);
      const f = intFormat(node.type.dtype);
      if (!r || !f) continue;
      const { min, max } = intRange(node.type.dtype);
      if (Math.max(Math.abs(r.min), Math.abs(r.max)) >= 2 ** 53) {
        sink.error('SNN0112', `worst-case value range [${r.min}, ${r.max}] exceeds 2^53: not exactly representable`, whereOf(node));
      } else if (r.min < min || r.max > max) {
        sink.error('SNN0112', `worst-case value range [${r.min}, ${r.max}] does not fit declared ${node.type.dtype} [${min}, ${max}]`, whereOf(node));
      }
    }
  }
  return sink.items;
}

/** Verify and throw the first error (with all diagnostics attached). `context` names the pass. */
export function verifyOrThrow(g: Graph, context?: string, code: DiagnosticCode = 'SNN0505'): void {
  const diags = verify(g).filter((d) => d.severity === 'error');
  if (diags.length === 0) return;
  const first = diags[0];
  const prefix = context ? `verifier failed after ${context}: ` : '';
  throw new SnncError(context ? code : first.code, `${prefix}${first.message}${diags.length > 1 ? ` (and ${diags.length - 1} more)` : ''}`, first.where, diags);
}
