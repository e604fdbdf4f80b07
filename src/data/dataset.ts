/**
 * Data sets for the CLI: images from .npy (uint8 with an explicit scale, or float32/float64) in
 * the model's input shape, and integer class labels. Every mismatch is a clear SNN04xx error.
 */
import { SnncError } from '../../ir/diagnostics.js';
import { transposedPositions } from '../../ir/shape.js';
import { BATCH, formatShape, type Graph } from '../../ir/types.js';
import { openNpy, readNpy } from './npy.js';

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

/** Samples read a range at a time, as the model sees them (a data set streamed instead of held whole). */
export interface SampleSource {
  readonly count: number;
  readonly sampleShape: readonly number[];
  /** Samples from .. from + n - 1, row-major. */
  read(from: number, n: number): Float32Array;
}

/** Parse a scale such as `1/255`, `0.5` or `2e-3`. */
export function parseScale(text: string, option = '--input-scale'): number {
  const m = /^\s*([0-9.eE+-]+)\s*(?:\/\s*([0-9.eE+-]+))?\s*$/.exec(text);
  const v = m ? Number(m[1]) / (m[2] !== undefined ? Number(m[2]) : 1) : NaN;
  if (!Number.isFinite(v) || v <= 0) throw new SnncError('SNN0407', `${option} '${text}' is not a positive number or fraction (e.g. 1/255)`);
  return v;
}

/**
 * The model input a data file feeds: the IR shape ([N, ...sample]) and, for an input whose
 * layout transpose was folded (an NHWC model), the permutation from the supplied layout.
 */
export interface InputSpec {
  readonly shape: readonly number[];
  readonly perm?: readonly number[];
}

/** The one input of a graph, as a data file must supply it. */
export function inputSpec(g: Graph): InputSpec {
  const inputs = g.nodes.filter((n) => n.op === 'input');
  if (inputs.length !== 1) throw new SnncError('SNN0407', `the model has ${inputs.length} inputs; snnc feeds exactly one`);
  if (inputs[0].type.shape[0] !== BATCH) throw new SnncError('SNN0407', `the model input ${formatShape(inputs[0].type.shape)} has no batch axis: it computes on one whole tensor, not on samples of a data set`);
  const perm = inputs[0].attrs.perm;
  // a temporal input takes one frame per step: a sample is [T, ...frame]
  if (inputs[0].attrs.temporal === true) return { shape: [BATCH, g.steps!, ...inputs[0].type.shape.slice(1)] };
  return { shape: inputs[0].type.shape, ...(Array.isArray(perm) ? { perm: perm as readonly number[] } : {}) };
}

/** The per-sample shape a data file holds, and the per-sample permutation to the IR's layout. */
function suppliedLayout(input: InputSpec): { shape: number[]; perm?: number[] } {
  const sample = input.shape[0] === BATCH ? input.shape.slice(1) : input.shape;
  if (!input.perm) return { shape: [...sample] };
  const perm = input.perm.slice(1).map((p) => p - 1);
  const shape = new Array<number>(sample.length);
  perm.forEach((p, i) => (shape[p] = sample[i]));
  return { shape, perm };
}

function pixelsNeedScale(path: string): SnncError {
  return new SnncError('SNN0407', `${path} holds uint8 values; pass --input-scale to map them to the model's input (the fixtures use --input-scale 1/255)`);
}

/** The number of samples an array of shape `shape` holds for `input`, or a coded error. */
function sampleCount(path: string, shape: readonly number[], input: InputSpec): number {
  const layout = suppliedLayout(input);
  const total = shape.reduce((a, b) => a * b, 1);
  if (shape.length === 0 || total === 0) throw new SnncError('SNN0406', `${path} holds no samples (shape ${formatShape(shape)})`);
  // Accept [N, ...sample] or a single sample of exactly the sample shape.
  const want = layout.shape;
  const tail = shape.slice(1);
  if (tail.length === want.length && tail.every((d, i) => d === want[i])) return shape[0];
  if (shape.length === want.length && shape.every((d, i) => d === want[i])) return 1;
  throw new SnncError('SNN0403', `${path} has shape ${formatShape(shape)}; the model input expects [count,${want.join(',')}]${layout.perm ? ' (the layout the ONNX model declares; snnc transposes it)' : ''}`);
}

/**
 * Converts samples as stored (supplied layout, uint8 or float) into the model's view: transposed
 * to the graph's layout and scaled (uint8), each value checked finite. `first` numbers the
 * samples in diagnostics.
 */
function toModelView(path: string, values: Uint8Array | Float32Array | Float64Array, dtype: string, input: InputSpec, scale: number | undefined, first: number): { data: Float32Array; raw?: Uint8Array } {
  const layout = suppliedLayout(input);
  const per = layout.shape.reduce((a, b) => a * b, 1);
  const n = values.length;
  // an NHWC model's samples are read through the transpose to the graph's layout
  const from = layout.perm ? transposedPositions(layout.shape, layout.perm) : undefined;
  const at = (i: number): number => (from ? i - (i % per) + from[i % per] : i);
  const data = new Float32Array(n);
  if (dtype === 'u1') {
    if (scale === undefined) throw pixelsNeedScale(path);
    const bytes = values as Uint8Array;
    const raw = from ? Uint8Array.from({ length: n }, (_, i) => bytes[at(i)]) : bytes;
    for (let i = 0; i < n; i++) data[i] = raw[i] * scale;
    return { data, raw };
  }
  if (dtype !== 'f4' && dtype !== 'f8') throw new SnncError('SNN0402', `${path} holds ${dtype} values; images must be uint8 or float32/float64`);
  for (let i = 0; i < n; i++) {
    const v = values[at(i)];
    if (!Number.isFinite(v)) throw new SnncError('SNN0405', `${path}: value ${v} at flat index ${first * per + at(i)} (sample ${first + Math.floor(i / per)}) is not finite`);
    data[i] = v;
  }
  return { data };
}

/**
 * Samples from an .npy file: [count, ...sample] or one sample. uint8 values are pixels and need
 * `scale` (x = pixel * scale); float values are the model's input as they are and are never
 * scaled (a command whose files are all float refuses a scale: see options.ts).
 */
export function loadImages(path: string, input: InputSpec, scale: number | undefined, limit?: number): Images {
  const arr = readNpy(path);
  const sample = input.shape[0] === BATCH ? input.shape.slice(1) : input.shape;
  const per = sample.reduce((a, b) => a * b, 1);
  let count = sampleCount(path, arr.shape, input);
  if (limit !== undefined) count = Math.min(count, limit);
  const { data, raw } = toModelView(path, arr.data.subarray(0, count * per), arr.dtype, input, scale, 0);
  return { count, sampleShape: sample, data, ...(raw ? { raw, scale } : {}) };
}

/**
 * The samples of a .npy file read a chunk at a time instead of whole (calibration of large data
 * sets): the same checks and the same values as loadImages, sample range by sample range.
 * `close` releases the file.
 */
export function streamImages(path: string, input: InputSpec, scale: number | undefined, limit?: number): SampleSource & { readonly scale?: number; close(): void } {
  const file = openNpy(path);
  const sample = input.shape[0] === BATCH ? input.shape.slice(1) : input.shape;
  const per = sample.reduce((a, b) => a * b, 1);
  let count = sampleCount(path, file.shape, input);
  if (limit !== undefined) count = Math.min(count, limit);
  if (file.dtype === 'u1' && scale === undefined) throw pixelsNeedScale(path);
  return {
    count,
    sampleShape: sample,
    ...(file.dtype === 'u1' ? { scale } : {}),
    read: (from, n) => toModelView(path, file.read(from * per, n * per), file.dtype, input, scale, from).data,
    close: () => file.close(),
  };
}

/** The range of the values of a data set (as the model sees them). */
export function valueRange(images: Images | SampleSource): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  const scan = (d: Float32Array): void => {
    for (const v of d) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  };
  if ('data' in images) scan(images.data);
  else for (let at = 0; at < images.count; at += 64) scan(images.read(at, Math.min(64, images.count - at)));
  return { min, max };
}

/** Calibration data as a command reads them: loaded whole, or streamed from the file. */
export type CalibrationData = (Images | SampleSource) & { readonly scale?: number };

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
