/**
 * ONNX bytes -> a checked ModelProto, and TensorProto -> typed arrays. No graph logic here.
 *
 * Tensor data may be in raw_data (little-endian) or in the typed fields (float_data,
 * double_data, int32_data — which also carries int8/16, uint8/16, bool and float16 —,
 * int64_data), or in an external file inside the model's folder.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { endianness } from 'node:os';
import { readFileOrFail } from '../../util/fs.js';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import { SnncError } from '../../../ir/diagnostics.js';

export const onnx = onnxProto.onnx;
export type ModelProto = OnnxTypes.ModelProto;
export type TensorProto = OnnxTypes.ITensorProto;
export type NodeProto = OnnxTypes.INodeProto;
export type AttributeProto = OnnxTypes.IAttributeProto;
export type ValueInfoProto = OnnxTypes.IValueInfoProto;
type LongLike = number | { toNumber(): number };

/** Elements allowed in one tensor (a guard against absurd dims before allocation). */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/** An ONNX int64 as a JS number; int32-range values come back as small integers (V8 Smis). */
export function toNum(v: LongLike | null | undefined): number {
  if (v === null || v === undefined) return 0;
  const n = typeof v === 'number' ? v : v.toNumber();
  return n === (n | 0) ? n | 0 : n;
}

/** Decoded tensor: float data as Float32Array; integer and bool data as Float64Array. */
export interface DecodedTensor {
  readonly kind: 'float' | 'int';
  readonly dims: number[];
  readonly data: Float32Array | Float64Array;
}

const DT = onnx.TensorProto.DataType;

export function dataTypeName(t: number): string {
  return (DT as unknown as Record<number, string>)[t] ?? `type ${t}`;
}

export function decodeModel(bytes: Uint8Array, label: string): ModelProto {
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new SnncError('SNN0301', `${label} is not a readable ONNX model (protobuf decoding failed: ${(e as Error).message})`);
  }
  const opsets = model.opsetImport ?? [];
  if (!model.graph || opsets.length === 0 || toNum(model.irVersion as LongLike) <= 0) {
    throw new SnncError('SNN0301', `${label} is not an ONNX model: ${!model.graph ? 'no graph' : opsets.length === 0 ? 'no opset_import' : 'no ir_version'}`);
  }
  if ((model.graph.node ?? []).length === 0 && (model.graph.output ?? []).length === 0) {
    throw new SnncError('SNN0301', `${label} is not an ONNX model: the graph has no nodes and no outputs`);
  }
  return model;
}

export function readModelFile(path: string): ModelProto {
  return decodeModel(readFileOrFail(path), path);
}

function checkDims(dims: number[], where: string): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 0) throw new SnncError('SNN0307', `tensor has invalid dimension ${d} in [${dims.join(',')}]`, where);
    n *= d;
  }
  if (n > MAX_TENSOR_ELEMENTS) throw new SnncError('SNN0307', `tensor dims [${dims.join(',')}] give ${n} elements; the limit is ${MAX_TENSOR_ELEMENTS}`, where);
  return n;
}

/** Resolve an external-data location strictly inside `dir` (no absolute paths, no `..`, no escaping links). */
function externalBytes(t: TensorProto, dir: string, where: string): Uint8Array {
  const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (!location) throw new SnncError('SNN0308', 'external data without a location', where);
  if (isAbsolute(location) || /^[A-Za-z]:/.test(location) || location.split(/[\\/]/).includes('..')) {
    throw new SnncError('SNN0308', `external data location '${location}' must be a relative path inside the model's folder`, where);
  }
  const full = resolve(dir, location);
  let real: string;
  let realDir: string;
  try {
    real = realpathSync(full);
    realDir = realpathSync(dir);
  } catch {
    throw new SnncError('SNN0308', `external data file '${location}' not found next to the model`, where);
  }
  const rel = relative(realDir, real);
  if (rel.startsWith('..') || isAbsolute(rel) || rel.split(sep)[0] === '..') throw new SnncError('SNN0308', `external data file '${location}' resolves outside the model's folder`, where);
  const offset = Number(entries.get('offset') ?? '0');
  const file = readFileSync(join(realDir, rel));
  const length = entries.has('length') ? Number(entries.get('length')) : file.length - offset;
  if (!(offset >= 0 && length >= 0 && offset + length <= file.length)) {
    throw new SnncError('SNN0308', `external data range offset ${offset} length ${length} lies outside '${location}' (${file.length} bytes)`, where);
  }
  return new Uint8Array(file.buffer, file.byteOffset + offset, length);
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

function bf16ToFloat(h: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setUint32(0, (h & 0xffff) << 16);
  return b.getFloat32(0);
}

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * float32 raw_data as a Float32Array without copying the weights: a view of the model file's
 * bytes when they sit on a 4-byte boundary; otherwise the bytes are first moved back to the
 * boundary below, over the 1-3 last bytes of this field's own tag and length (a raw_data field of
 * 128 bytes or more has at least 3 header bytes, which nothing reads once the model is decoded).
 * Small or external tensors, and big-endian hosts, are copied.
 */
function float32Raw(raw: Uint8Array, n: number, inModelFile: boolean): Float32Array {
  const misalign = raw.byteOffset % 4;
  if (LITTLE_ENDIAN && misalign === 0) return new Float32Array(raw.buffer, raw.byteOffset, n);
  if (LITTLE_ENDIAN && inModelFile && raw.length >= 128) {
    const at = raw.byteOffset - misalign;
    new Uint8Array(raw.buffer).copyWithin(at, raw.byteOffset, raw.byteOffset + raw.length);
    return new Float32Array(raw.buffer, at, n);
  }
  const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = v.getFloat32(i * 4, true);
  return out;
}

/**
 * A tensor's values. Float32 raw data may alias (and re-align in place) the bytes of the decoded
 * model; the field is then pointed at the moved bytes. The data must never be written to.
 */
export function decodeTensor(t: TensorProto, modelDir: string, where: string): DecodedTensor {
  const dims = (t.dims ?? []).map((d) => toNum(d as LongLike));
  const n = checkDims(dims, where);
  const type = t.dataType ?? 0;
  const external = t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL;
  const raw: Uint8Array | undefined = external ? externalBytes(t, modelDir, where) : t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const view = raw ? new DataView(raw.buffer, raw.byteOffset, raw.byteLength) : undefined;
  const needRaw = (width: number): DataView => {
    if (!view) throw new Error('unreachable');
    if (raw!.length !== n * width) throw new SnncError('SNN0307', `raw data holds ${raw!.length} bytes, dims [${dims.join(',')}] of ${dataTypeName(type)} need ${n * width}`, where);
    return view;
  };
  const typed = <T>(arr: T[] | null | undefined, name: string): T[] => {
    const a = arr ?? [];
    if (a.length !== n) throw new SnncError('SNN0307', `${name} holds ${a.length} values, dims [${dims.join(',')}] need ${n}`, where);
    return a;
  };
  switch (type) {
    case DT.FLOAT: {
      if (view) {
        needRaw(4);
        const data = float32Raw(raw!, n, !external);
        // the bytes may have moved: point the field at them, so that a second decode finds them
        if (!external && data.buffer === raw!.buffer) t.rawData = new Uint8Array(data.buffer, data.byteOffset, raw!.length);
        return { kind: 'float', dims, data };
      }
      return { kind: 'float', dims, data: Float32Array.from(typed(t.floatData, 'float_data')) };
    }
    case DT.DOUBLE: {
      if (view) {
        const v = needRaw(8);
        const out = new Float32Array(n);
        for (let i = 0; i < n; i++) out[i] = v.getFloat64(i * 8, true);
        return { kind: 'float', dims, data: out };
      }
      return { kind: 'float', dims, data: Float32Array.from(typed(t.doubleData, 'double_data')) };
    }
    case DT.FLOAT16:
    case DT.BFLOAT16: {
      const conv = type === DT.FLOAT16 ? halfToFloat : bf16ToFloat;
      const out = new Float32Array(n);
      if (view) {
        const v = needRaw(2);
        for (let i = 0; i < n; i++) out[i] = conv(v.getUint16(i * 2, true));
      } else typed(t.int32Data, 'int32_data').forEach((h, i) => (out[i] = conv(h)));
      return { kind: 'float', dims, data: out };
    }
    case DT.INT64:
    case DT.UINT64: {
      const out = new Float64Array(n);
      if (view) {
        const v = needRaw(8);
        for (let i = 0; i < n; i++) out[i] = Number(type === DT.INT64 ? v.getBigInt64(i * 8, true) : v.getBigUint64(i * 8, true));
      } else typed(t.int64Data as LongLike[] | null | undefined, 'int64_data').forEach((x, i) => (out[i] = toNum(x)));
      return { kind: 'int', dims, data: out };
    }
    case DT.INT32:
    case DT.INT16:
    case DT.INT8:
    case DT.UINT16:
    case DT.UINT8:
    case DT.BOOL: {
      const width = type === DT.INT32 ? 4 : type === DT.INT16 || type === DT.UINT16 ? 2 : 1;
      const out = new Float64Array(n);
      if (view) {
        const v = needRaw(width);
        for (let i = 0; i < n; i++) {
          out[i] =
            type === DT.INT32 ? v.getInt32(i * 4, true) : type === DT.INT16 ? v.getInt16(i * 2, true) : type === DT.UINT16 ? v.getUint16(i * 2, true) : type === DT.INT8 ? v.getInt8(i) : v.getUint8(i);
        }
      } else typed(t.int32Data, 'int32_data').forEach((x, i) => (out[i] = x));
      return { kind: 'int', dims, data: out };
    }
    case DT.UINT32: {
      const out = new Float64Array(n);
      if (view) {
        const v = needRaw(4);
        for (let i = 0; i < n; i++) out[i] = v.getUint32(i * 4, true);
      } else typed(t.uint64Data as LongLike[] | null | undefined, 'uint64_data').forEach((x, i) => (out[i] = toNum(x)));
      return { kind: 'int', dims, data: out };
    }
    default:
      throw new SnncError('SNN0307', `tensor data type ${dataTypeName(type)} is not supported (float, double, float16, bfloat16, integer and bool tensors are)`, where);
  }
}
