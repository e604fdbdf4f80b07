/**
 * ONNX ModelProto -> IR graph at stage `ann`.
 *
 * Walks the nodes in order (ONNX requires topological order), keeping an environment from ONNX
 * tensor names to IR values or compile-time constants. Ops come from op-table.ts; anything else
 * is an error naming the node, its op, the opset and the supported ops. The result is verified.
 */
import { dirname, basename } from 'node:path';
import { GraphBuilder, sanitizeId } from '../../../ir/builder.js';
import { SnncError } from '../../../ir/diagnostics.js';
import { verifyOrThrow } from '../../../ir/verify.js';
import { BATCH, formatShape, type Graph } from '../../../ir/types.js';
import { dataTypeName, decodeTensor, onnx, readModelFile, toNum, type ModelProto, type TensorProto, type ValueInfoProto } from './decode.js';
import { ImportState, NodeContext } from './context.js';
import { ONNX_OPS, SUPPORTED_ONNX_OPS } from './op-table.js';

export const MIN_OPSET = 7;
export const MAX_OPSET = 21;

export interface ImportOptions {
  /** Folder that external data paths are relative to. */
  readonly modelDir: string;
  /** Name of the graph (default: the ONNX graph's name). */
  readonly name?: string;
  /** Graph inputs to treat as constants (partial evaluation: snnc compiles fixed weights). */
  readonly bind?: ReadonlyMap<string, TensorProto>;
  /**
   * Axis 0 of every input is the batch (default true; see inputBatch). false keeps ONNX's
   * whole-tensor meaning of fixed shapes: the graph runs on exactly the declared tensors (the
   * ONNX backend node tests), and no spiking stage can be made from it.
   */
  readonly batchAxis?: boolean;
}

function defaultOpset(model: ModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!entry) throw new SnncError('SNN0303', 'the model imports no version of the default ONNX domain');
  const v = toNum(entry.version as number);
  if (v < MIN_OPSET || v > MAX_OPSET) throw new SnncError('SNN0303', `opset ${v} is not supported (snnc reads opsets ${MIN_OPSET} to ${MAX_OPSET})`);
  return v;
}

/** Declared dims; a symbolic dim is BATCH (allowed at axis 0 only). */
function declaredShape(vi: ValueInfoProto, where: string): number[] | undefined {
  const tt = vi.type?.tensorType;
  if (!tt) return undefined;
  if (!tt.shape) return undefined;
  return (tt.shape.dim ?? []).map((d, i) => {
    // `value` is protobufjs's name for the set member of the dim_value / dim_param oneof.
    if ((d as { value?: string }).value === 'dimValue') return toNum(d.dimValue as number);
    if (i === 0) return BATCH;
    throw new SnncError('SNN0309', `dimension ${i} ('${d.dimParam ?? '?'}') of '${vi.name}' is dynamic; only the batch dimension (axis 0) may be`, where);
  });
}

/**
 * The batch of a graph input. Axis 0 of every input is the batch: symbolic (`dim_param`), or a
 * fixed size B when the exporter was given a fixed example (`torch.onnx.export` without
 * `dynamic_axes`). A fixed B becomes the symbolic batch N: every op snnc accepts computes each
 * sample on its own, so a data set runs sample by sample with the outputs of groups of B, and
 * any node that would mix samples (a Reshape across axis 0, a per-sample constant) is refused.
 */
function inputBatch(shape: number[], where: string): number | undefined {
  if (shape.length < 2) throw new SnncError('SNN0306', `input of rank ${shape.length}: snnc expects a batch axis 0 followed by the sample's axes`, where);
  if (shape[0] === BATCH) return undefined;
  if (!(shape[0] >= 1)) throw new SnncError('SNN0306', `batch dimension ${shape[0]} must be >= 1`, where);
  return shape[0];
}

export function importModel(model: ModelProto, opts: ImportOptions): Graph {
  const opset = defaultOpset(model);
  const g = model.graph!;
  const name = sanitizeId(opts.name || g.name || 'model');
  const builder = new GraphBuilder(name, 'ann');
  const state = new ImportState(builder, opset, opts.modelDir);
  builder.meta = {
    'onnx.opset': String(opset),
    ...(g.name ? { 'onnx.graph': g.name } : {}),
    ...(model.producerName ? { 'onnx.producer': `${model.producerName} ${model.producerVersion ?? ''}`.trim() } : {}),
  };

  for (const init of [...(g.initializer ?? []), ...(opts.bind?.values() ?? [])]) {
    const where = `onnx initializer '${init.name}'`;
    const t = decodeTensor(init, opts.modelDir, where);
    const c = { kind: t.kind, dims: t.dims, data: t.data };
    state.constNames.set(c, init.name ?? 'init');
    state.env.set(init.name ?? '', { kind: 'const', c });
  }

  for (const vi of g.input ?? []) {
    const inName = vi.name ?? '';
    if (state.env.has(inName)) continue; // an initializer listed as input (IR version < 4)
    const where = `onnx graph input '${inName}'`;
    const tt = vi.type?.tensorType;
    if (!tt) throw new SnncError('SNN0304', 'only tensor inputs are supported', where);
    if (tt.elemType !== onnx.TensorProto.DataType.FLOAT) {
      throw new SnncError('SNN0304', `input type ${dataTypeName(tt.elemType ?? 0)} is not supported (float inputs are; cast integer images in the data, e.g. --input-scale)`, where);
    }
    const declared = declaredShape(vi, where);
    if (!declared) throw new SnncError('SNN0306', 'input has no shape', where);
    const fixed = opts.batchAxis === false ? undefined : inputBatch(declared, where);
    if (fixed !== undefined) {
      if (state.fixedBatch !== undefined && state.fixedBatch !== fixed) throw new SnncError('SNN0306', `inputs declare different fixed batch sizes (${state.fixedBatch} and ${fixed})`, where);
      state.fixedBatch = fixed;
      builder.meta['onnx.batch'] = String(fixed);
    }
    const shape = opts.batchAxis === false ? declared : [BATCH, ...declared.slice(1)];
    const node = builder.node(inName, 'input', [], {}, { dtype: 'f32', shape }, inName);
    state.env.set(inName, { kind: 'value', id: node.id, type: node.type });
  }

  for (const proto of g.node ?? []) {
    const ctx = new NodeContext(state, proto);
    if (proto.domain && proto.domain !== 'ai.onnx') {
      throw new SnncError('SNN0303', `domain '${proto.domain}' is not supported (only the default ONNX domain is)`, ctx.where);
    }
    const entry = ONNX_OPS[ctx.op];
    if (!entry) {
      throw new SnncError('SNN0302', `op '${ctx.op}' is not supported; supported ops: ${SUPPORTED_ONNX_OPS.join(', ')}`, ctx.where);
    }
    for (const a of ctx.attributeNames()) {
      if (!entry.attrs.includes(a)) throw new SnncError('SNN0304', `attribute '${a}' is not supported for ${ctx.op} (supported: ${entry.attrs.join(', ') || 'none'})`, ctx.where);
    }
    const outs = entry.import(ctx);
    (proto.output ?? []).forEach((o, i) => {
      if (!o) return;
      state.env.set(o, i < outs.length ? outs[i] : { kind: 'unavailable', reason: `output ${i} of ${ctx.op} node '${ctx.name}', which snnc does not produce` });
    });
  }

  if ((g.output ?? []).length === 0) throw new SnncError('SNN0305', 'the graph declares no outputs', `onnx graph '${g.name ?? ''}'`);
  for (const vi of g.output ?? []) {
    const outName = vi.name ?? '';
    const where = `onnx graph output '${outName}'`;
    const v = state.env.get(outName);
    if (!v) throw new SnncError('SNN0305', 'no node produces this output', where);
    if (v.kind === 'unavailable') throw new SnncError('SNN0304', `this output is ${v.reason}`, where);
    if (v.kind === 'const') throw new SnncError('SNN0304', 'this output is a compile-time constant (it does not depend on the inputs); snnc graphs compute their outputs', where);
    const declared = declaredShape(vi, where);
    if (declared && declared.length > 0) {
      const got = v.type.shape;
      const batchOk = (d: number): boolean => d === BATCH || d === state.fixedBatch;
      const ok = declared.length === got.length && declared.every((d, i) => d === got[i] || (i === 0 && got[i] === BATCH && batchOk(d)));
      if (!ok) throw new SnncError('SNN0306', `declared shape ${formatShape(declared)} differs from the computed shape ${formatShape(got)}`, where);
    }
    builder.outputs.push(v.id);
  }
  const graph = builder.build();
  verifyOrThrow(graph, 'onnx import');
  return graph;
}

/** Read and import an .onnx file. */
export function importOnnxFile(path: string): Graph {
  const model = readModelFile(path);
  return importModel(model, { modelDir: dirname(path), name: basename(path).replace(/\.onnx$/i, '') });
}
