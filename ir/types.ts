/**
 * The snnc IR: one typed dataflow graph type for every stage.
 *
 *  - `ann`       float network as imported from ONNX (conv2d, dense, relu, batchnorm, ...).
 *  - `snn-float` spiking network with float parameters, discrete time (`steps` = T).
 *  - `snn-fixed` spiking network in which every parameter and every run-time value is an
 *                integer of a stated width; rounding and overflow are node fields.
 *
 * Nodes are listed in topological order; each node defines exactly one value named by its id
 * (printed `%id`). Constants live in a separate table (printed `@id`). Which ops are legal at
 * which stage, their attributes and their shape rules are data in `ops.ts`.
 */

export type Stage = 'ann' | 'snn-float' | 'snn-fixed';

/**
 * Element types. `f32` is IEEE single. `iB` / `uB` are signed / unsigned integers of B bits
 * (1 <= B <= 64); `u1` is a spike. Integer constants are stored in an Int32Array (B <= 32).
 */
export type DType = string;

/** The dynamic batch dimension; only legal at axis 0 of a value type. Printed `N`. */
export const BATCH = -1;

export interface TensorType {
  readonly dtype: DType;
  /** Dimensions; `BATCH` (-1) at axis 0 marks a dynamic batch. */
  readonly shape: readonly number[];
}

export type TensorData = Float32Array | Int32Array;

export interface Const {
  readonly id: string;
  readonly type: TensorType;
  /** Row-major data; Float32Array for f32, Int32Array for integer types of <= 32 bits. */
  readonly data: TensorData;
}

/** An operand: a value defined by a node, or a constant. */
export type Ref = { readonly kind: 'value'; readonly id: string } | { readonly kind: 'const'; readonly id: string };

export type AttrValue = number | string | boolean | readonly number[] | ConstRef;
export interface ConstRef {
  readonly const: string;
}

export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export interface Node {
  readonly id: string;
  readonly op: string;
  readonly inputs: readonly Ref[];
  readonly attrs: Readonly<Record<string, AttrValue>>;
  readonly type: TensorType;
  /** Provenance kept across passes and printed: the ONNX node name, or what a pass derived it from. */
  readonly loc?: string;
  /** Position in a parsed .snnir file (for diagnostics only; never printed). */
  readonly pos?: SourcePos;
}

export interface Graph {
  readonly name: string;
  readonly stage: Stage;
  /** Time steps T of a spiking stage (absent at stage ann). */
  readonly steps?: number;
  readonly nodes: readonly Node[];
  readonly consts: ReadonlyMap<string, Const>;
  readonly outputs: readonly string[];
  /** Free-form provenance: producer, opset, calibration parameters, pass history. */
  readonly meta: Readonly<Record<string, string>>;
}

export function isConstRef(v: AttrValue | undefined): v is ConstRef {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && 'const' in v;
}

/** Number of elements of a shape in which the batch dimension counts as `batch`. */
export function numel(shape: readonly number[], batch = 1): number {
  let n = 1;
  for (const d of shape) n *= d === BATCH ? batch : d;
  return n;
}

/** The per-sample shape (drops a dynamic batch axis). */
export function sampleShape(t: TensorType): readonly number[] {
  return t.shape[0] === BATCH ? t.shape.slice(1) : t.shape;
}

export function isBatched(t: TensorType): boolean {
  return t.shape.length > 0 && t.shape[0] === BATCH;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.map((d) => (d === BATCH ? 'N' : String(d))).join(',')}]`;
}

export function formatType(t: TensorType): string {
  return `${t.dtype}${formatShape(t.shape)}`;
}


/** Parsed integer dtype: signedness and bit width; undefined for f32 or malformed names. */
export function intFormat(dtype: DType): { signed: boolean; bits: number } | undefined {
  const m = /^([iu])([0-9]+)$/.exec(dtype);
  if (!m) return undefined;
  const bits = Number(m[2]);
  if (bits < 1 || bits > 64) return undefined;
  return { signed: m[1] === 'i', bits };
}

export function isValidDType(dtype: string): boolean {
  return dtype === 'f32' || intFormat(dtype) !== undefined;
}

/** Inclusive range of an integer dtype. */
export function intRange(dtype: DType): { min: number; max: number } {
  const f = intFormat(dtype);
  if (!f) throw new Error(`not an integer dtype: ${dtype}`);
  return f.signed ? { min: -(2 ** (f.bits - 1)), max: 2 ** (f.bits - 1) - 1 } : { min: 0, max: 2 ** f.bits - 1 };
}
