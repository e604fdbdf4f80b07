/**
 * Diagnostics as data: every user-facing error or warning has a stable code, a category (which
 * decides the CLI exit code) and a one-line summary. Call sites add the specifics (what was
 * expected, what was found, where). Tests match codes, not prose.
 *
 * Ranges: SNN00xx IR text, SNN01xx verifier, SNN02xx quantization and targets, SNN03xx ONNX
 * and NIR import (NIR from SNN0321), SNN04xx data files and CLI input, SNN05xx conversion passes, SNN06xx verification runs.
 */

export type Category = 'usage' | 'model' | 'unsupported' | 'data' | 'overflow' | 'mismatch' | 'io';

export interface DiagnosticInfo {
  readonly category: Category;
  readonly summary: string;
}

export const DIAGNOSTICS = {
  SNN0001: { category: 'model', summary: 'IR text: lexical error' },
  SNN0002: { category: 'model', summary: 'IR text: syntax error' },
  SNN0003: { category: 'model', summary: 'IR text: malformed literal or constant data' },
  SNN0004: { category: 'model', summary: 'IR text: weights sidecar missing, unreadable or hash mismatch' },

  SNN0101: { category: 'model', summary: 'verifier: unknown op' },
  SNN0102: { category: 'model', summary: 'verifier: op not legal at this stage' },
  SNN0103: { category: 'model', summary: 'verifier: operand refers to an undefined value or constant' },
  SNN0104: { category: 'model', summary: 'verifier: duplicate value id' },
  SNN0105: { category: 'model', summary: 'verifier: wrong number of operands' },
  SNN0106: { category: 'model', summary: 'verifier: missing, unknown or ill-typed attribute' },
  SNN0107: { category: 'model', summary: 'verifier: declared result type differs from the inferred type' },
  SNN0108: { category: 'model', summary: 'verifier: operand type or shape is invalid for this op' },
  SNN0109: { category: 'model', summary: 'verifier: graph output refers to an undefined value' },
  SNN0110: { category: 'model', summary: 'verifier: constant data does not match its declared type' },
  SNN0111: { category: 'model', summary: 'verifier: graph-level field invalid for this stage' },
  SNN0112: { category: 'model', summary: 'verifier: integer value range cannot be represented exactly' },
  SNN0113: { category: 'model', summary: 'verifier: spiking graph structure the executors cannot run (rank, layout, operand form)' },
  SNN0114: { category: 'model', summary: 'verifier: a layer-major (TPP) graph whose schedule or neurons the executors cannot run' },

  SNN0201: { category: 'usage', summary: 'target: unknown target or invalid target option' },
  SNN0202: { category: 'unsupported', summary: 'quantize: structure cannot be expressed in integers' },
  SNN0203: { category: 'overflow', summary: 'quantize: a parameter does not fit its integer format' },
  SNN0204: { category: 'overflow', summary: 'worst-case accumulator or membrane value can overflow (warning)' },
  SNN0205: { category: 'unsupported', summary: 'target: graph not legal for the target' },
  SNN0206: { category: 'overflow', summary: 'run: a value saturated or wrapped at run time (warning)' },
  SNN0207: { category: 'unsupported', summary: 'core target: the network does not fit the cores (a layer, its binding limit and the numbers)' },
  SNN0208: { category: 'unsupported', summary: 'target: a one-step synaptic delay makes a step-major network hear its input late (warning)' },

  SNN0301: { category: 'model', summary: 'ONNX: file is not a readable ONNX model' },
  SNN0302: { category: 'unsupported', summary: 'ONNX: unsupported op' },
  SNN0303: { category: 'unsupported', summary: 'ONNX: unsupported opset or domain' },
  SNN0304: { category: 'unsupported', summary: 'ONNX: unsupported attribute value or input form' },
  SNN0305: { category: 'model', summary: 'ONNX: missing initializer or undefined input' },
  SNN0306: { category: 'model', summary: 'ONNX: shape mismatch' },
  SNN0307: { category: 'model', summary: 'ONNX: tensor data invalid (size, type or dims)' },
  SNN0308: { category: 'model', summary: 'ONNX: external data path rejected or unreadable' },
  SNN0309: { category: 'unsupported', summary: 'ONNX: dynamic dimension other than the batch axis' },
  SNN0321: { category: 'model', summary: 'NIR: file is not a readable NIR graph (HDF5, layout or version)' },
  SNN0322: { category: 'unsupported', summary: 'NIR: unsupported primitive' },
  SNN0323: { category: 'model', summary: 'NIR: parameter missing, or shapes that do not match (a parameter, or the two ends of an edge)' },
  SNN0324: { category: 'unsupported', summary: 'NIR: graph form or parameter value snnc cannot run (a cycle, several inputs, a per-neuron time constant, ...)' },
  SNN0325: { category: 'unsupported', summary: 'NIR export: the network uses a feature NIR cannot express' },
  SNN0326: { category: 'model', summary: 'NIR: an IF or I node integrates a tiny part of its input per step at this dt (is R per step? pass --dt) (warning)' },

  SNN0401: { category: 'data', summary: 'data: not a readable .npy file' },
  SNN0402: { category: 'data', summary: 'data: dtype not supported' },
  SNN0403: { category: 'data', summary: 'data: shape does not match the model input' },
  SNN0404: { category: 'data', summary: 'data: labels do not match the images' },
  SNN0405: { category: 'data', summary: 'data: NaN or infinite values' },
  SNN0406: { category: 'data', summary: 'data: empty data set' },
  SNN0407: { category: 'usage', summary: 'usage: invalid option value' },
  SNN0408: { category: 'io', summary: 'io: file or directory cannot be read or written' },
  SNN0409: { category: 'data', summary: 'data: input value outside the integer input format' },
  SNN0410: { category: 'data', summary: 'data: calibration and evaluation data have clearly different ranges (warning)' },

  SNN0501: { category: 'unsupported', summary: 'convert: op cannot be converted to a spiking network' },
  SNN0502: { category: 'unsupported', summary: 'fold-batchnorm: batch normalisation cannot be folded' },
  SNN0503: { category: 'data', summary: 'calibrate: activation statistics unusable (layer never active)' },
  SNN0504: { category: 'usage', summary: 'pass: missing or invalid pass option' },
  SNN0505: { category: 'model', summary: 'pass: verifier failed after a pass (compiler bug)' },
  SNN0506: { category: 'mismatch', summary: 'calibrate: the onnxruntime forward disagrees with the float executor' },
  SNN0507: { category: 'unsupported', summary: 'calibrate: an op of the ann graph has no onnxruntime form' },
  SNN0508: { category: 'unsupported', summary: 'replicate-neurons: the network has no replicated form (K neurons per activation)' },

  SNN0601: { category: 'mismatch', summary: 'verify: executors disagree' },
  SNN0701: { category: 'model', summary: 'core image: not a snnc core image, or another version' },
  SNN0702: { category: 'model', summary: 'core image: truncated, or a length or count that does not fit the file' },
  SNN0703: { category: 'model', summary: 'core image: inconsistent content (an index or parameter out of range)' },
  SNN0602: { category: 'io', summary: 'verify: C compiler or compiled program failed' },
} as const satisfies Record<string, DiagnosticInfo>;

export type DiagnosticCode = keyof typeof DIAGNOSTICS;

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  /** Where: `file:line:col`, or `onnx node 'name'`, or `%value`. */
  readonly where?: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.severity} ${d.code}${d.where ? ` ${d.where}` : ''}: ${d.message}`;
}

/** A user-facing error: bad input, unsupported feature, failed verification. Never a bug. */
export class SnncError extends Error {
  readonly code: DiagnosticCode;
  readonly where: string | undefined;
  readonly diagnostics: readonly Diagnostic[];

  constructor(code: DiagnosticCode, message: string, where?: string, more: readonly Diagnostic[] = []) {
    super(message);
    this.name = 'SnncError';
    this.code = code;
    this.where = where;
    this.diagnostics = [{ code, severity: 'error', message, ...(where ? { where } : {}) }, ...more];
  }

  get category(): Category {
    return DIAGNOSTICS[this.code].category;
  }

  /** One line, as printed on stderr by the CLI. */
  format(): string {
    return formatDiagnostic(this.diagnostics[0]);
  }
}

export function fail(code: DiagnosticCode, message: string, where?: string): never {
  throw new SnncError(code, message, where);
}

/** Collects warnings (and errors in verifiers that report many at once). */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  warn(code: DiagnosticCode, message: string, where?: string): void {
    this.items.push({ code, severity: 'warning', message, ...(where ? { where } : {}) });
  }
  error(code: DiagnosticCode, message: string, where?: string): void {
    this.items.push({ code, severity: 'error', message, ...(where ? { where } : {}) });
  }
  get errors(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'error');
  }
  get warnings(): Diagnostic[] {
    return this.items.filter((d) => d.severity === 'warning');
  }
}
