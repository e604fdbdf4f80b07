/**
 * Structure-aware mutations of ONNX models: a seed ModelProto is decoded, one to four of its
 * fields are changed the way broken exporters and hostile files change them, and it is encoded
 * again; now and then the encoded bytes are damaged as well (bit flips, truncation, inserted
 * junk, forged lengths). What snnc must do with each: import it, or refuse it with a coded error.
 */
import { onnx, type ModelProto, type NodeProto } from '../../src/frontend/onnx/decode.js';
import { SUPPORTED_ONNX_OPS } from '../../src/frontend/onnx/op-table.js';
import type { Rng } from '../../src/util/rng.js';

type Mutation = (m: ModelProto, r: Rng) => void;

const EXTREME_INTS = [0, 1, -1, 2, 3, -2, 7, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, 2 ** 53 + 1, -(2 ** 53)];
const EXTREME_FLOATS = [0, -0, 1, -1, 1e-45, 1e38, 3.5e38, -3.5e38, Infinity, -Infinity, NaN, 0.5, 6];
const OP_TYPES = [...SUPPORTED_ONNX_OPS, 'LeakyRelu', 'Softmax', 'If', 'Loop', 'Resize', 'Slice', ''];

function int(r: Rng): number {
  return r.chance(0.6) ? r.pick(EXTREME_INTS) : r.int(-8, 64);
}

function nodes(m: ModelProto): NodeProto[] {
  return m.graph!.node ?? (m.graph!.node = []);
}

/** Every tensor name the graph mentions, plus names nobody defines. */
function names(m: ModelProto): string[] {
  const g = m.graph!;
  const out = ['', 'dangling', 'x'.repeat(300)];
  for (const n of g.node ?? []) out.push(...(n.input ?? []), ...(n.output ?? []));
  for (const t of g.initializer ?? []) out.push(t.name ?? '');
  for (const v of g.input ?? []) out.push(v.name ?? '');
  return out;
}

const MUTATIONS: Mutation[] = [
  // op type: supported, unsupported, empty
  (m, r) => {
    const ns = nodes(m);
    if (ns.length) r.pick(ns).opType = r.pick(OP_TYPES);
  },
  // attribute values and types
  (m, r) => {
    const ns = nodes(m).filter((n) => n.attribute?.length);
    if (!ns.length) return;
    const a = r.pick(r.pick(ns).attribute!);
    const k = r.int(0, 5);
    if (k === 0) a.ints = Array.from({ length: r.int(0, 6) }, () => int(r));
    else if (k === 1) a.i = int(r);
    else if (k === 2) a.f = r.pick(EXTREME_FLOATS);
    else if (k === 3) a.type = r.int(0, 14);
    else if (k === 4) a.name = r.pick(['axis', 'perm', 'pads', 'strides', 'group', 'kernel_shape', 'dilations', 'auto_pad', 'nonsense']);
    else a.s = new TextEncoder().encode(r.pick(['SAME_UPPER', 'VALID', 'reflect', 'NOTSET', '\u0000']));
  },
  // an extra attribute on some node
  (m, r) => {
    const ns = nodes(m);
    if (!ns.length) return;
    const n = r.pick(ns);
    (n.attribute ??= []).push(onnx.AttributeProto.create({ name: r.pick(['axis', 'perm', 'group', 'pads', 'strides', 'bogus']), type: 7, ints: [int(r), int(r)] }));
  },
  // node inputs: dangling, empty, another value, a later output (a cycle)
  (m, r) => {
    const ns = nodes(m);
    if (!ns.length) return;
    const n = r.pick(ns);
    const ins = (n.input ??= []);
    const at = r.int(0, ins.length);
    ins[at] = r.pick(names(m));
  },
  // node outputs: duplicate names, empty
  (m, r) => {
    const ns = nodes(m);
    if (ns.length < 2) return;
    r.pick(ns).output = [r.pick(names(m))];
  },
  // node order: remove, duplicate, swap
  (m, r) => {
    const ns = nodes(m);
    if (!ns.length) return;
    const i = r.int(0, ns.length - 1);
    const k = r.int(0, 2);
    if (k === 0) ns.splice(i, 1);
    else if (k === 1) ns.splice(i, 0, onnx.NodeProto.decode(onnx.NodeProto.encode(ns[i]).finish()));
    else {
      const j = r.int(0, ns.length - 1);
      [ns[i], ns[j]] = [ns[j], ns[i]];
    }
  },
  // initializers: dims, data type, data length, external data
  (m, r) => {
    const inits = m.graph!.initializer ?? [];
    if (!inits.length) return;
    const t = r.pick(inits);
    const k = r.int(0, 5);
    if (k === 0) t.dims = Array.from({ length: r.int(0, 5) }, () => (r.chance(0.5) ? int(r) : r.int(0, 9)));
    else if (k === 1) t.dataType = r.int(0, 17);
    else if (k === 2 && t.rawData?.length) t.rawData = t.rawData.subarray(0, r.int(0, t.rawData.length));
    else if (k === 3) {
      t.floatData = Array.from({ length: r.int(0, 8) }, () => r.pick(EXTREME_FLOATS));
      t.rawData = new Uint8Array();
    } else if (k === 4) {
      t.dataLocation = 1;
      t.externalData = [onnx.StringStringEntryProto.create({ key: 'location', value: r.pick(['../../etc/passwd', '/etc/hostname', 'missing.bin', '', 'a\u0000b']) })];
    } else t.int64Data = Array.from({ length: r.int(0, 8) }, () => int(r));
  },
  // graph inputs: dims, symbolic dims elsewhere, element type, no shape
  (m, r) => {
    const ins = m.graph!.input ?? [];
    if (!ins.length) return;
    const tt = r.pick(ins).type?.tensorType;
    if (!tt) return;
    const k = r.int(0, 3);
    if (k === 0 && tt.shape?.dim?.length) r.pick(tt.shape.dim).dimValue = r.chance(0.5) ? int(r) : r.int(0, 5);
    else if (k === 1 && tt.shape?.dim?.length) tt.shape.dim[r.int(0, tt.shape.dim.length - 1)] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'B' });
    else if (k === 2) tt.elemType = r.int(0, 16);
    else tt.shape = r.chance(0.5) ? null : onnx.TensorShapeProto.create({ dim: Array.from({ length: r.int(0, 6) }, () => onnx.TensorShapeProto.Dimension.create({ dimValue: r.int(0, 4) })) });
  },
  // opset and domains
  (m, r) => {
    const o = m.opsetImport?.[0];
    if (o) {
      if (r.chance(0.7)) o.version = r.pick([0, 1, 6, 7, 9, 11, 13, 17, 21, 22, 99, -1]);
      else o.domain = r.pick(['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft']);
    }
    if (r.chance(0.2)) {
      const ns = nodes(m);
      if (ns.length) r.pick(ns).domain = r.pick(['ai.onnx.ml', 'custom', '']);
    }
  },
  // graph outputs: dangling, constant, declared shapes
  (m, r) => {
    const outs = m.graph!.output ?? [];
    if (!outs.length) return;
    const o = r.pick(outs);
    if (r.chance(0.5)) o.name = r.pick(names(m));
    else {
      const dims = o.type?.tensorType?.shape?.dim;
      if (dims?.length) r.pick(dims).dimValue = r.int(0, 20);
    }
  },
];

/** Damage encoded bytes: flip bits, truncate, insert junk, forge a varint length. */
function damageBytes(b: Uint8Array, r: Rng): Uint8Array {
  const k = r.int(0, 3);
  if (b.length === 0) return b;
  if (k === 0) {
    const c = b.slice();
    for (let i = r.int(1, 8); i > 0; i--) c[r.int(0, c.length - 1)] ^= 1 << r.int(0, 7);
    return c;
  }
  if (k === 1) return b.subarray(0, r.int(0, b.length - 1));
  if (k === 2) {
    const at = r.int(0, b.length);
    const junk = Uint8Array.from({ length: r.int(1, 16) }, () => r.int(0, 255));
    const c = new Uint8Array(b.length + junk.length);
    c.set(b.subarray(0, at));
    c.set(junk, at);
    c.set(b.subarray(at), at + junk.length);
    return c;
  }
  const c = b.slice();
  const at = r.int(0, c.length - 5);
  c.set([0xff, 0xff, 0xff, 0xff, 0x0f].slice(0, Math.min(5, c.length - at)), at);
  return c;
}

/** A mutated model, as bytes. */
export function mutateOnnx(seed: Uint8Array, r: Rng): Uint8Array {
  const m = onnx.ModelProto.decode(seed);
  for (let i = r.int(1, 4); i > 0; i--) r.pick(MUTATIONS)(m, r);
  const bytes = onnx.ModelProto.encode(m).finish();
  return r.chance(0.15) ? damageBytes(bytes, r) : bytes;
}
