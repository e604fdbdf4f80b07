/**
 * Data sets for the CLI: images from .npy (uint8 with an explicit scale, or float32/float64) in
 * the model's input shape, and integer class labels. Every mismatch is a clear SNN04xx error.
 */
import { SnncError } from '../../ir/diagnostics.js';
import { BATCH, formatShape, type TensorType } from '../../ir/types.js';
import { readNpy } from './npy.js';

export interface Images {
  /** Number of samples. */
  readonly count: number;
  /** Shape of one sample. */
  readonly sampleShape: readonly number[];
  /** Samples in row-major order, as the model sees them (already scaled). */
  readonly data: Float32Array;
  /** The raw uint8 values when the file held uint8 (integer back ends read these directly). */
  readonly raw?: Uint8Array;
  /** Scale applied to raw uint8 values (x = raw * scale). */
  readonly scale?: number;
}

/** Parse a scale such as `1/255`, `0.5` or `2e-3`. */
export function parseScale(text: string): number {
  const m = /^\s*([0-9.eE+-]+)\s*(?:\/\s*([0-9.eE+-]+))?\s*$/.exec(text);
  const v = m ? Number(m[1]) / (m[2] !== undefined ? Number(m[2]) : 1) : NaN;
  if (!Number.isFinite(v) || v <= 0) throw new SnncError('SNN0407', `--input-scale '${text}' is not a positive number or fraction (e.g. 1/255)`);
  return v;
}

export function loadImages(path: string, input: TensorType, scale: number | undefined, limit?: number): Images {
  const arr = readNpy(path);
  const sample = input.shape[0] === BATCH ? input.shape.slice(1) : input.shape;
  const per = sample.reduce((a, b) => a * b, 1);
  const total = arr.shape.reduce((a, b) => a * b, 1);
  if (arr.shape.length === 0 || total === 0) throw new SnncError('SNN0406', `${path} holds no samples (shape ${formatShape(arr.shape)})`);
  // Accept [N, ...sample] or a single sample of exactly the sample shape.
  let count: number;
  const tail = arr.shape.slice(1);
  if (tail.length === sample.length && tail.every((d, i) => d === sample[i])) count = arr.shape[0];
  else if (arr.shape.length === sample.length && arr.shape.every((d, i) => d === sample[i])) count = 1;
  else throw new SnncError('SNN0403', `${path} has shape ${formatShape(arr.shape)}; the model input ${formatShape(input.shape)} expects [count,${sample.join(',')}]`);
  if (limit !== undefined) count = Math.min(count, limit);
  const n = count * per;
  if (arr.dtype === 'u1') {
    if (scale === undefined) throw new SnncError('SNN0407', `${path} holds uint8 values; pass --input-scale to map them to the model's input (the fixtures use --input-scale 1/255)`);
    const raw = (arr.data as Uint8Array).subarray(0, n);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = raw[i] * scale;
    return { count, sampleShape: sample, data, raw, scale };
  }
  if (arr.dtype !== 'f4' && arr.dtype !== 'f8') throw new SnncError('SNN0402', `${path} holds ${arr.dtype} values; images must be uint8 or float32/float64`);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = arr.data[i];
    if (!Number.isFinite(v)) throw new SnncError('SNN0405', `${path}: value ${v} at flat index ${i} (sample ${Math.floor(i / per)}) is not finite`);
    data[i] = scale === undefined ? v : v * scale;
  }
  return { count, sampleShape: sample, data };
}

/** Integer labels for the first `count` images; `exact`: the file must hold exactly `count`. */
export function loadLabels(path: string, count: number, classes?: number, exact = false): Int32Array {
  const arr = readNpy(path);
  if (arr.shape.length !== 1) throw new SnncError('SNN0404', `${path} has shape ${formatShape(arr.shape)}; labels must be a 1-D array`);
  if (arr.shape[0] < count || (exact && arr.shape[0] !== count)) throw new SnncError('SNN0404', `${path} holds ${arr.shape[0]} labels for ${count} images`);
  if (arr.dtype === 'f4' || arr.dtype === 'f8') throw new SnncError('SNN0404', `${path} holds floats; labels must be integers`);
  const out = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const v = arr.data[i];
    if (!Number.isInteger(v) || v < 0 || (classes !== undefined && v >= classes)) {
      throw new SnncError('SNN0404', `${path}: label ${v} at index ${i} is not a class index${classes !== undefined ? ` in 0..${classes - 1}` : ''}`);
    }
    out[i] = v;
  }
  return out;
}

export function argmaxRows(data: Float32Array | Float64Array, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (data[r * cols + c] > data[r * cols + best]) best = c;
    out[r] = best;
  }
  return out;
}

export function accuracy(pred: Int32Array, labels: Int32Array): number {
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) ok++;
  return pred.length ? ok / pred.length : 0;
}
