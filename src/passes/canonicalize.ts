/**
 * canonicalize (ann -> ann): local rewrites that remove export artefacts.
 *
 *  - pad-noop:          pad(x) with all pads 0                      ==> x
 *  - pad-into-conv:     conv2d(pad(x, p, 0))                        ==> conv2d(x) with pads += p
 *  - pad-into-avgpool:  avgpool2d(pad(x, p, 0)), pads 0 or counting ==> avgpool2d(x) with pads += p, countIncludePad
 *  - bias-add:          add(dense|conv2d(x), c), c one value per output channel ==> the bias += c
 *  - transpose-pair:    transpose(transpose(x, p), q)                ==> transpose(x, p∘q); transpose(x, id) ==> x
 *  - input-layout:      transpose(input, p) (an NHWC input)          ==> input{perm = p}: the data are
 *                       transposed as they are read, the graph sees NCHW
 *  - flatten-order:     dense(flatten(transpose(x, p)), W)           ==> dense(flatten(x), W P), where P
 *                       permutes W's columns from the transposed order to x's (Keras flattens NHWC)
 *
 * (p∘q)[i] = p[q[i]]: transposing by p, then by q, is one transpose by p∘q. Folded pads must be
 * zero-valued and spatial (axes 2, 3 of a 4-D tensor), and a folded producer must have no other
 * reader. Each rule is exact.
 */
import { attrBool, attrInts, attrNum } from '../../ir/ops.js';
import { transposedPositions } from '../../ir/shape.js';
import { numel, type Graph, type Node } from '../../ir/types.js';
import type { Pass } from './pass.js';
import { Rewriter } from './rewriter.js';

function spatialPads(pad: Node): number[] | undefined {
  const p = attrInts(pad, 'pads');
  if (p.length !== 8 || attrNum(pad, 'value') !== 0) return undefined;
  if (p[0] || p[1] || p[4] || p[5] || p.some((v) => v < 0)) return undefined;
  return [p[2], p[3], p[6], p[7]]; // top, left, bottom, right
}

/**
 * An average pool can take a zero pad as its own padding when the pad is counted in the divisor
 * (or it had none) and every window still sees one input (pads < kernel, as the op requires).
 */
function avgpoolTakesPads(pool: Node, extra: readonly number[]): boolean {
  if (pool.op !== 'avgpool2d') return false;
  const pads = attrInts(pool, 'pads');
  if (!attrBool(pool, 'countIncludePad') && pads.some((v) => v !== 0)) return false;
  const [kh, kw] = attrInts(pool, 'kernel');
  return pads.every((v, i) => v + extra[i] < (i % 2 === 0 ? kh : kw));
}

function biasVector(g: Graph, producer: Node, c: Node['inputs'][number]): Float32Array | undefined {
  if (c.kind !== 'const') return undefined;
  const k = g.consts.get(c.id)!;
  const channels = producer.type.shape[1];
  const outRank = producer.type.shape.length;
  if (numel(k.type.shape) !== channels) return undefined;
  // Shape must broadcast onto the channel axis: [C] for dense, [C,1,1] / [1,C,1,1] for conv.
  const dims = [...k.type.shape];
  while (dims.length && dims[0] === 1 && dims.length > 1) dims.shift();
  const ok = producer.op === 'dense' ? outRank === 2 && dims.length === 1 : dims.length === 3 && dims[1] === 1 && dims[2] === 1;
  return ok ? (k.data as Float32Array) : undefined;
}

function composePerm(p: readonly number[], q: readonly number[]): number[] {
  return q.map((i) => p[i]);
}

function isIdentityPerm(p: readonly number[]): boolean {
  return p.every((v, i) => v === i);
}

/** transpose-pair and input-layout; true when `node` was absorbed. */
function foldTranspose(rw: Rewriter, node: Node): boolean {
  const perm = attrInts(node, 'perm');
  if (isIdentityPerm(perm)) {
    rw.replace(node.id, node.inputs[0].id);
    return true;
  }
  const src = rw.producer(node.inputs[0]);
  if (!src || !rw.singleUse(src.id)) return false;
  if (src.op === 'transpose') {
    const p = composePerm(attrInts(src, 'perm'), perm);
    if (isIdentityPerm(p)) {
      rw.drop(src);
      rw.replace(node.id, src.inputs[0].id);
    } else {
      rw.amend(src, { attrs: { perm: p }, type: node.type });
      rw.replace(node.id, src.id);
    }
    return true;
  }
  if (src.op === 'input') {
    const before = src.attrs.perm === undefined ? perm.map((_, i) => i) : attrInts(src, 'perm');
    rw.amend(src, { attrs: { ...src.attrs, perm: composePerm(before, perm) }, type: node.type });
    rw.replace(node.id, src.id);
    return true;
  }
  return false;
}

/** flatten-order: the dense layer reading flatten(transpose(x)) reads flatten(x) with permuted columns. */
function foldFlattenOrder(rw: Rewriter, dense: Node): boolean {
  const flat = rw.producer(dense.inputs[0]);
  if (!flat || (flat.op !== 'flatten' && flat.op !== 'reshape') || flat.type.shape.length !== 2 || !rw.singleUse(flat.id)) return false;
  const t = rw.producer(flat.inputs[0]);
  if (!t || t.op !== 'transpose' || !rw.singleUse(t.id)) return false;
  const x = t.inputs[0];
  const xShape = rw.b.nodes.find((n) => n.id === x.id)!.type.shape;
  const from = transposedPositions(xShape.slice(1), attrInts(t, 'perm').slice(1).map((p) => p - 1));
  const w = rw.b.consts.get(dense.inputs[1].id)!;
  const [M, K] = w.type.shape;
  const data = new Float32Array(M * K);
  for (let m = 0; m < M; m++) for (let k = 0; k < K; k++) data[m * K + from[k]] = w.data[m * K + k];
  const wq = rw.b.constant(`${w.id}.unpermuted`, w.type, data);
  rw.amend(flat, { inputs: [x] });
  rw.drop(t);
  rw.keep(dense, { inputs: [dense.inputs[0], { kind: 'const', id: wq }, ...dense.inputs.slice(2)] });
  return true;
}

export const canonicalize: Pass<void> = {
  name: 'canonicalize',
  summary: 'remove no-op pads and layout transposes, fold zero pads into conv/avgpool and bias adds into their layer',
  from: 'ann',
  to: 'ann',
  run(g) {
    const rw = new Rewriter(g);
    const folded = new Map<string, Node>(); // pads folded into their reader
    for (const node of g.nodes) {
      if (node.op === 'transpose' && foldTranspose(rw, node)) continue;
      if (node.op === 'dense' && foldFlattenOrder(rw, node)) continue;
      if (node.op === 'pad') {
        const p = attrInts(node, 'pads');
        if (p.every((v) => v === 0)) {
          rw.replace(node.id, node.inputs[0].id);
          continue;
        }
        const sp = spatialPads(node);
        const reader = rw.users.get(node.id);
        if (sp && rw.singleUse(node.id) && reader && (reader[0].op === 'conv2d' || avgpoolTakesPads(reader[0], sp))) {
          folded.set(node.id, node);
          continue;
        }
      }
      if ((node.op === 'conv2d' || node.op === 'avgpool2d') && node.inputs[0].kind === 'value' && folded.has(node.inputs[0].id)) {
        const pad = folded.get(node.inputs[0].id)!;
        const sp = spatialPads(pad)!;
        const pads = attrInts(node, 'pads').map((v, i) => v + sp[i]);
        const attrs = node.op === 'avgpool2d' ? { ...node.attrs, pads, countIncludePad: true } : { ...node.attrs, pads };
        rw.keep(node, { inputs: [pad.inputs[0], ...node.inputs.slice(1)], attrs });
        continue;
      }
      if (node.op === 'add') {
        const [a, c] = node.inputs[0].kind === 'value' ? [node.inputs[0], node.inputs[1]] : [node.inputs[1], node.inputs[0]];
        const producer = rw.producer(a);
        if (producer && (producer.op === 'dense' || producer.op === 'conv2d') && rw.singleUse(a.id)) {
          const extra = biasVector(g, producer, c);
          if (extra) {
            const old = producer.inputs[2] ? (rw.b.consts.get(producer.inputs[2].id)!.data as Float32Array) : new Float32Array(extra.length);
            const bias = rw.b.constant(`${producer.id}.bias`, { dtype: 'f32', shape: [extra.length] }, Float32Array.from(old, (v, i) => v + extra[i]));
            rw.amend(producer, { inputs: [producer.inputs[0], producer.inputs[1], { kind: 'const', id: bias }] });
            rw.replace(node.id, producer.id);
            continue;
          }
        }
      }
      rw.keep(node);
    }
    return rw.finish();
  },
};
