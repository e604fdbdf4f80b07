/**
 * The importer's per-node view: typed access to inputs and attributes, and `emit`, which adds
 * an IR node whose type comes from the op table's shape rule. Every user-facing error names the
 * ONNX node, its op and the opset.
 */
import { SnncError, type DiagnosticCode } from '../../../ir/diagnostics.js';
import { GraphBuilder } from '../../../ir/builder.js';
import { InferError, OPS } from '../../../ir/ops.js';
import type { AttrValue, Node, Ref, TensorType } from '../../../ir/types.js';
import { decodeTensor, onnx, toNum, type AttributeProto, type NodeProto, type TensorProto } from './decode.js';
import type { ConstTensor } from './consts.js';

export type Val = { readonly kind: 'value'; readonly id: string; readonly type: TensorType } | { readonly kind: 'const'; readonly c: ConstTensor };
export type ValueVal = Extract<Val, { kind: 'value' }>;
/** An output the importer does not produce (e.g. Dropout's mask); an error if anything reads it. */
export interface Unavailable {
  readonly kind: 'unavailable';
  readonly reason: string;
}

const AT = onnx.AttributeProto.AttributeType;

/** State shared by all nodes of one import. */
export class ImportState {
  readonly env = new Map<string, Val | Unavailable>();
  private readonly constIds = new WeakMap<ConstTensor, string>();
  /** ONNX initializer names, used to name the IR constants made from them. */
  readonly constNames = new WeakMap<ConstTensor, string>();
  /** The fixed batch size the inputs were exported with (undefined: symbolic), see import.ts. */
  fixedBatch: number | undefined;
  constructor(
    readonly builder: GraphBuilder,
    readonly opset: number,
    readonly modelDir: string,
  ) {}

  /** The IR constant for a compile-time tensor (one per tensor, shared by all users). */
  irConst(c: ConstTensor, hint: string): string {
    const known = this.constIds.get(c);
    if (known) return known;
    const data = c.kind === 'float' ? (c.data as Float32Array) : Float32Array.from(c.data);
    const id = this.builder.constant(this.constNames.get(c) ?? hint, { dtype: 'f32', shape: [...c.dims] }, data);
    this.constIds.set(c, id);
    return id;
  }
}

export class NodeContext {
  readonly op: string;
  readonly name: string;
  readonly where: string;
  private readonly attrMap: Map<string, AttributeProto>;

  constructor(
    private readonly state: ImportState,
    readonly proto: NodeProto,
  ) {
    this.op = proto.opType ?? '';
    this.name = proto.name || proto.output?.[0] || this.op;
    this.where = `onnx node '${this.name}' (${this.op}, opset ${state.opset})`;
    this.attrMap = new Map((proto.attribute ?? []).map((a) => [a.name ?? '', a]));
  }

  get opset(): number {
    return this.state.opset;
  }

  /** The fixed batch size the model was exported with, if any. */
  get fixedBatch(): number | undefined {
    return this.state.fixedBatch;
  }

  fail(code: DiagnosticCode, message: string): never {
    throw new SnncError(code, message, this.where);
  }

  attributeNames(): string[] {
    return [...this.attrMap.keys()];
  }

  // ------------------------------------------------------------------ inputs

  has(i: number): boolean {
    const name = this.proto.input?.[i];
    return name !== undefined && name !== '';
  }

  get inputCount(): number {
    return this.proto.input?.length ?? 0;
  }

  input(i: number, what: string): Val {
    const name = this.proto.input?.[i];
    if (name === undefined || name === '') this.fail('SNN0305', `missing input ${i} (${what})`);
    const v = this.state.env.get(name);
    if (!v) this.fail('SNN0305', `input ${i} (${what}) '${name}' is not defined: no initializer, graph input or earlier node produces it`);
    if (v.kind === 'unavailable') this.fail('SNN0304', `input ${i} (${what}) '${name}' is ${v.reason}`);
    return v;
  }

  value(i: number, what: string): ValueVal {
    const v = this.input(i, what);
    if (v.kind !== 'value') this.fail('SNN0304', `input ${i} (${what}) must be a computed tensor here, found a constant`);
    return v;
  }

  constant(i: number, what: string): ConstTensor {
    const v = this.input(i, what);
    if (v.kind !== 'const') this.fail('SNN0304', `input ${i} (${what}) must be a constant (initializer or Constant node), found a computed tensor`);
    return v.c;
  }

  optionalConstant(i: number, what: string): ConstTensor | undefined {
    return this.has(i) ? this.constant(i, what) : undefined;
  }

  // ------------------------------------------------------------------ attributes

  private attr(name: string, types: number[], typeName: string): AttributeProto | undefined {
    const a = this.attrMap.get(name);
    if (!a) return undefined;
    if (a.refAttrName) this.fail('SNN0304', `attribute ${name} refers to a function attribute; functions are not supported`);
    if (a.type !== undefined && a.type !== null && a.type !== AT.UNDEFINED && !types.includes(a.type)) this.fail('SNN0304', `attribute ${name} must be ${typeName}`);
    return a;
  }

  int(name: string, fallback: number): number {
    const a = this.attr(name, [AT.INT], 'an int');
    return a ? toNum(a.i as number) : fallback;
  }

  ints(name: string, fallback: readonly number[] | undefined): readonly number[] | undefined {
    const a = this.attr(name, [AT.INTS], 'a list of ints');
    return a ? (a.ints ?? []).map((v) => toNum(v as number)) : fallback;
  }

  float(name: string, fallback: number): number {
    const a = this.attr(name, [AT.FLOAT], 'a float');
    return a ? (a.f ?? 0) : fallback;
  }

  floats(name: string): readonly number[] | undefined {
    const a = this.attr(name, [AT.FLOATS], 'a list of floats');
    return a ? [...(a.floats ?? [])] : undefined;
  }

  str(name: string, fallback: string): string {
    const a = this.attr(name, [AT.STRING], 'a string');
    return a ? new TextDecoder().decode(a.s ?? new Uint8Array()) : fallback;
  }

  tensorAttr(name: string): ConstTensor | undefined {
    const a = this.attr(name, [AT.TENSOR], 'a tensor');
    if (!a) return undefined;
    if (!a.t) this.fail('SNN0307', `attribute ${name} holds no tensor`);
    const t = decodeTensor(a.t as TensorProto, this.state.modelDir, this.where);
    return { kind: t.kind, dims: t.dims, data: t.data };
  }

  // ------------------------------------------------------------------ emission

  /** Add an IR node; its type comes from the op table. Constants become IR constants. */
  emit(op: string, inputs: readonly Val[], attrs: Record<string, AttrValue>, hint?: string): ValueVal {
    const b = this.state.builder;
    const refs: Ref[] = inputs.map((v, i) => (v.kind === 'value' ? { kind: 'value', id: v.id } : { kind: 'const', id: this.state.irConst(v.c, `${this.name}.${i}`) }));
    const types = refs.map((r, i) => {
      const v = inputs[i];
      return v.kind === 'value' ? v.type : b.consts.get(r.id)!.type;
    });
    const probe: Node = { id: '?', op, inputs: refs, attrs, type: { dtype: 'f32', shape: [] } };
    let shape: readonly number[];
    try {
      shape = OPS[op].infer({ node: probe, stage: 'ann', inputs: types, inputIsConst: refs.map((r) => r.kind === 'const'), consts: b.consts }).shape;
    } catch (e) {
      if (e instanceof InferError) this.fail('SNN0306', e.message);
      throw e;
    }
    const node = b.node(hint ?? this.name, op, refs, attrs, { dtype: 'f32', shape }, this.name);
    return { kind: 'value', id: node.id, type: node.type };
  }
}
