/**
 * Byte encoding of constant data, shared by the printer (hex and sidecar) and the parser:
 * little-endian; f32 as IEEE single; integers in the smallest of 1, 2 or 4 bytes that holds
 * their dtype, two's complement when signed.
 */
import { intFormat, numel, type TensorData, type TensorType } from '../types.js';

export function bytesPerElement(dtype: string): number {
  if (dtype === 'f32') return 4;
  const f = intFormat(dtype);
  if (!f || f.bits > 32) throw new Error(`no byte encoding for dtype ${dtype}`);
  return f.bits <= 8 ? 1 : f.bits <= 16 ? 2 : 4;
}

export function encodeData(type: TensorType, data: TensorData): Uint8Array {
  const width = bytesPerElement(type.dtype);
  const out = new Uint8Array(data.length * width);
  const view = new DataView(out.buffer);
  const signed = type.dtype === 'f32' || intFormat(type.dtype)!.signed;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (type.dtype === 'f32') view.setFloat32(i * 4, v, true);
    else if (width === 1) signed ? view.setInt8(i, v) : view.setUint8(i, v);
    else if (width === 2) signed ? view.setInt16(i * 2, v, true) : view.setUint16(i * 2, v, true);
    else signed ? view.setInt32(i * 4, v, true) : view.setUint32(i * 4, v, true);
  }
  return out;
}

/** Decode `numel(type.shape)` elements from `bytes` at `offset`; throws RangeError if short. */
export function decodeData(type: TensorType, bytes: Uint8Array, offset = 0): TensorData {
  const n = numel(type.shape);
  const width = bytesPerElement(type.dtype);
  if (offset < 0 || offset + n * width > bytes.length) {
    throw new RangeError(`needs ${n * width} bytes at offset ${offset}, only ${Math.max(0, bytes.length - offset)} available`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, n * width);
  if (type.dtype === 'f32') {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  const signed = intFormat(type.dtype)!.signed;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (width === 1) out[i] = signed ? view.getInt8(i) : view.getUint8(i);
    else if (width === 2) out[i] = signed ? view.getInt16(i * 2, true) : view.getUint16(i * 2, true);
    else out[i] = signed ? view.getInt32(i * 4, true) : view.getUint32(i * 4, true);
  }
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}
