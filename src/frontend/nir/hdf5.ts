/**
 * HDF5 through h5wasm (the HDF5 C library compiled to WebAssembly: no native build), reduced to
 * what NIR files use: a tree of groups whose leaves are datasets of numbers or strings.
 *
 * Reading copies the whole tree into plain values (numbers as float64, integers included; strings
 * as strings) and closes the file, so nothing of h5wasm's virtual file system outlives a call.
 * Writing builds the file in that virtual file system and returns its bytes; the caller writes
 * them to disk atomically.
 */
import * as h5wasm from 'h5wasm/node';
import { SnncError } from '../../../ir/diagnostics.js';

export interface H5Dataset {
  readonly kind: 'dataset';
  readonly shape: readonly number[];
  /** Numbers (any numeric HDF5 type, as float64) or strings, row-major. */
  readonly data: Float64Array | readonly string[];
  /** The HDF5 type as h5wasm names it ('<f' float32, '<d' float64, '<q' int64, 'S' string, ...). */
  readonly dtype: string;
}

export interface H5Group {
  readonly kind: 'group';
  readonly children: ReadonlyMap<string, H5Node>;
}

export type H5Node = H5Dataset | H5Group;

/** What a writer hands over: numbers stored as float32, float64 or int64, or strings. */
export type H5WriteNode =
  | { readonly kind: 'group'; readonly children: ReadonlyMap<string, H5WriteNode> }
  | { readonly kind: 'floats'; readonly shape: readonly number[]; readonly data: ArrayLike<number>; readonly precision?: 32 | 64 }
  | { readonly kind: 'ints'; readonly shape: readonly number[]; readonly data: ArrayLike<number> }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'strings'; readonly shape: readonly number[]; readonly data: readonly string[] };

let loaded: Promise<void> | undefined;
let fileCounter = 0;

async function h5(): Promise<typeof h5wasm> {
  loaded ??= h5wasm.ready.then(() => undefined);
  await loaded;
  return h5wasm;
}

function fs(lib: typeof h5wasm): NonNullable<typeof h5wasm.FS> {
  if (!lib.FS) throw new Error('internal: h5wasm has no file system after ready');
  return lib.FS;
}

function scratchName(): string {
  return `/snnc-${process.pid}-${++fileCounter}.h5`;
}

function readDataset(ds: h5wasm.Dataset, path: string): H5Dataset {
  const shape = (ds.shape ?? []).map(Number);
  const dtype = String(ds.dtype);
  const value = ds.value;
  const flat = (v: unknown): unknown[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
  if (typeof value === 'string' || (Array.isArray(value) && flat(value).every((x) => typeof x === 'string'))) {
    return { kind: 'dataset', shape, dtype, data: flat(value) as string[] };
  }
  if (ArrayBuffer.isView(value)) {
    const arr = value as unknown as ArrayLike<number | bigint>;
    return { kind: 'dataset', shape, dtype, data: Float64Array.from({ length: arr.length }, (_, i) => Number(arr[i])) };
  }
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
    return { kind: 'dataset', shape, dtype, data: Float64Array.of(Number(value)) };
  }
  throw new SnncError('SNN0321', `HDF5 dataset ${path} has a type snnc does not read (${dtype})`);
}

function readGroup(g: h5wasm.Group, path: string): H5Group {
  const children = new Map<string, H5Node>();
  for (const key of g.keys()) {
    const item = g.get(key);
    const at = `${path}/${key}`;
    if (item instanceof h5wasm.Group) children.set(key, readGroup(item, at));
    else if (item instanceof h5wasm.Dataset) children.set(key, readDataset(item, at));
    else throw new SnncError('SNN0321', `HDF5 object ${at} is neither a group nor a dataset`);
  }
  return { kind: 'group', children };
}

/** The whole tree of an HDF5 file's bytes; a clear error when they are not HDF5. */
export async function readHdf5(bytes: Uint8Array, label: string): Promise<H5Group> {
  const lib = await h5();
  // HDF5's signature, at offset 0 (files with a user block put it at 512, 1024, ...)
  const signature = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  const hasSignature = (at: number): boolean => bytes.length >= at + 8 && signature.every((b, i) => bytes[at + i] === b);
  let found = false;
  for (let at = 0; at + 8 <= bytes.length && !found; at = at === 0 ? 512 : at * 2) found = hasSignature(at);
  if (!found) throw new SnncError('SNN0321', `${label} is not an HDF5 file (no HDF5 signature)`);
  const name = scratchName();
  fs(lib).writeFile(name, bytes);
  let file: h5wasm.File | undefined;
  try {
    file = new lib.File(name, 'r');
    if (!file.file_id || Number(file.file_id) < 0) throw new Error('HDF5 could not open it');
    return readGroup(file, '');
  } catch (e) {
    if (e instanceof SnncError) throw e;
    throw new SnncError('SNN0321', `${label} is not a readable HDF5 file: ${(e as Error).message}`);
  } finally {
    try {
      file?.close();
    } catch {
      // already failed: the error above says why
    }
    fs(lib).unlink(name);
  }
}

function writeGroup(lib: typeof h5wasm, g: h5wasm.Group, node: Extract<H5WriteNode, { kind: 'group' }>): void {
  for (const [key, child] of node.children) {
    switch (child.kind) {
      case 'group':
        writeGroup(lib, g.create_group(key), child);
        break;
      case 'floats': {
        const data = child.precision === 64 ? Float64Array.from(child.data) : Float32Array.from(child.data);
        g.create_dataset({ name: key, data, shape: [...child.shape], dtype: child.precision === 64 ? '<d' : '<f' });
        break;
      }
      case 'ints':
        g.create_dataset({ name: key, data: BigInt64Array.from(Array.from(child.data, (v) => BigInt(v))), shape: [...child.shape], dtype: '<q' });
        break;
      case 'string':
        g.create_dataset({ name: key, data: child.value });
        break;
      case 'strings':
        g.create_dataset({ name: key, data: [...child.data], shape: [...child.shape] });
        break;
    }
  }
}

/** The bytes of an HDF5 file holding `root`. */
export async function writeHdf5(root: Extract<H5WriteNode, { kind: 'group' }>): Promise<Uint8Array> {
  const lib = await h5();
  const name = scratchName();
  const file = new lib.File(name, 'w');
  try {
    writeGroup(lib, file, root);
  } finally {
    file.close();
  }
  const bytes = fs(lib).readFile(name) as Uint8Array;
  fs(lib).unlink(name);
  return bytes;
}
