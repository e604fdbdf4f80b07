/**
 * NumPy .npy files (format 1.0-3.0, C order, little-endian): read uint8 / int8 / int32 / int64 /
 * float32 / float64 arrays and write float32 / int32 / uint8 ones.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readFileOrFail } from '../util/fs.js';
import { SnncError } from '../../ir/diagnostics.js';

export type NpyDtype = 'u1' | 'i1' | 'i2' | 'u2' | 'i4' | 'i8' | 'f4' | 'f8' | 'b1';

export interface NpyArray {
  readonly dtype: NpyDtype;
  readonly shape: number[];
  /** Values; uint8 arrays keep a Uint8Array, every other dtype is widened to Float64Array or Float32Array. */
  readonly data: Uint8Array | Float32Array | Float64Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];

function parseHeader(text: string, label: string): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new SnncError('SNN0401', `${label}: malformed .npy header ${JSON.stringify(text.trim())}`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const n = Number(s);
      if (!Number.isInteger(n) || n < 0) throw new SnncError('SNN0401', `${label}: invalid dimension '${s}' in .npy shape`);
      return n;
    });
  return { descr, fortran: fortran === 'True', shape };
}

const WIDTHS: Record<NpyDtype, number> = { u1: 1, i1: 1, b1: 1, i2: 2, u2: 2, i4: 4, i8: 8, f4: 4, f8: 8 };

/** Where the header text lies, from the first 12 bytes (magic, version, length) of a .npy file. */
function headerSpan(bytes: Uint8Array, label: string): { start: number; headerLen: number } {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new SnncError('SNN0401', `${label} is not a .npy file (bad magic)`);
  const major = bytes[6];
  if (major < 1 || major > 3) throw new SnncError('SNN0401', `${label}: .npy format version ${major}.${bytes[7]} is not supported (1.0, 2.0 and 3.0 are)`);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start) throw new SnncError('SNN0401', `${label}: truncated .npy header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { start, headerLen: major === 1 ? view.getUint16(8, true) : view.getUint32(8, true) };
}

/** The header of a .npy file from its first bytes: dtype, shape and where the data start. */
function npyHeader(bytes: Uint8Array, label: string): { dtype: NpyDtype; shape: number[]; bodyStart: number; width: number } {
  const { start, headerLen } = headerSpan(bytes, label);
  if (start + headerLen > bytes.length) throw new SnncError('SNN0401', `${label}: truncated .npy header`);
  const header = parseHeader(new TextDecoder('latin1').decode(bytes.subarray(start, start + headerLen)), label);
  if (header.fortran) throw new SnncError('SNN0402', `${label}: Fortran-ordered arrays are not supported (save with C order)`);
  const m = /^([<>|=])([a-z])([0-9]+)$/.exec(header.descr);
  if (!m) throw new SnncError('SNN0402', `${label}: dtype '${header.descr}' is not supported`);
  const [, endian, kind, width] = m;
  const dtype = `${kind}${width}` as NpyDtype;
  if (!(dtype in WIDTHS)) throw new SnncError('SNN0402', `${label}: dtype '${header.descr}' is not supported (uint8, int8/16/32/64, float32/64, bool are)`);
  if (endian === '>' && WIDTHS[dtype] > 1) throw new SnncError('SNN0402', `${label}: big-endian data is not supported`);
  return { dtype, shape: header.shape, bodyStart: start + headerLen, width: WIDTHS[dtype] };
}

/** n values of `dtype` from little-endian bytes (uint8 and bool stay bytes; the rest widen to float). */
function decodeValues(bytes: Uint8Array, dtype: NpyDtype, n: number): Uint8Array | Float32Array | Float64Array {
  const body = new DataView(bytes.buffer, bytes.byteOffset, n * WIDTHS[dtype]);
  switch (dtype) {
    case 'u1':
    case 'b1':
      return bytes.slice(0, n);
    case 'f4': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = body.getFloat32(i * 4, true);
      return out;
    }
    default: {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        out[i] =
          dtype === 'i1' ? body.getInt8(i) : dtype === 'i2' ? body.getInt16(i * 2, true) : dtype === 'u2' ? body.getUint16(i * 2, true) : dtype === 'i4' ? body.getInt32(i * 4, true) : dtype === 'i8' ? Number(body.getBigInt64(i * 8, true)) : body.getFloat64(i * 8, true);
      }
      return out;
    }
  }
}

export function decodeNpy(bytes: Uint8Array, label: string): NpyArray {
  const { dtype, shape, bodyStart, width } = npyHeader(bytes, label);
  const n = shape.reduce((a, b) => a * b, 1);
  const need = n * width;
  if (bytes.length - bodyStart < need) throw truncatedData(label, bytes.length - bodyStart, shape, need);
  return { dtype, shape, data: decodeValues(bytes.subarray(bodyStart, bodyStart + need), dtype, n) };
}

function truncatedData(label: string, have: number, shape: readonly number[], need: number): SnncError {
  return new SnncError('SNN0401', `${label}: truncated data (${have} bytes, shape [${shape.join(',')}] needs ${need})`);
}

/** A .npy file read a range of values at a time: the header is parsed and the size checked when it is opened. */
export interface NpyFile {
  readonly dtype: NpyDtype;
  readonly shape: number[];
  /** Values from .. from + n - 1 (flat, C order). */
  read(from: number, n: number): Uint8Array | Float32Array | Float64Array;
  close(): void;
}

export function openNpy(path: string): NpyFile {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new SnncError('SNN0408', `cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(Math.min(size, 12));
    readSync(fd, head, 0, head.length, 0);
    // the first bytes say how long the header is: read all of it, then parse it
    const { start, headerLen } = headerSpan(head, path);
    const bytes = new Uint8Array(Math.min(size, start + headerLen));
    readSync(fd, bytes, 0, bytes.length, 0);
    const { dtype, shape, bodyStart, width } = npyHeader(bytes, path);
    const n = shape.reduce((a, b) => a * b, 1);
    if (size - bodyStart < n * width) throw truncatedData(path, size - bodyStart, shape, n * width);
    return {
      dtype,
      shape,
      read(from, count) {
        const buf = new Uint8Array(count * width);
        const got = readSync(fd, buf, 0, buf.length, bodyStart + from * width);
        if (got !== buf.length) throw new SnncError('SNN0401', `${path}: short read at value ${from}`);
        return decodeValues(buf, dtype, count);
      },
      close: () => closeSync(fd),
    };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

export function readNpy(path: string): NpyArray {
  return decodeNpy(readFileOrFail(path), path);
}

export function encodeNpy(shape: readonly number[], data: Float32Array | Int32Array | Uint8Array): Uint8Array {
  const descr = data instanceof Float32Array ? '<f4' : data instanceof Int32Array ? '<i4' : '|u1';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
