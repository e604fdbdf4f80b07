/**
 * The canonical printer of .snnir text. Deterministic: nodes in graph order, attributes and
 * meta keys sorted, numbers in the shortest form that reads back to the same double.
 * print(parse(print(g))) === print(g) for every graph (tested for every fixture).
 *
 * Constant data is written inline (a literal list for small tensors, otherwise hex of the byte
 * encoding) or, with `sidecar`, into one binary blob whose sha256 the header records.
 */
import { createHash } from 'node:crypto';
import { formatType, isConstRef, type AttrValue, type Const, type Graph, type Node } from '../types.js';
import { encodeData, toHex } from './encoding.js';

export const SNNIR_VERSION = 1;

export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

function formatString(s: string): string {
  return JSON.stringify(s);
}

function formatAttr(v: AttrValue): string {
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'string') return formatString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (isConstRef(v)) return `@${v.const}`;
  return `[${(v as readonly number[]).map(formatNumber).join(',')}]`;
}

export function formatNode(n: Node): string {
  const ops = n.inputs.map((r) => (r.kind === 'value' ? `%${r.id}` : `@${r.id}`)).join(', ');
  const keys = Object.keys(n.attrs).sort();
  const attrs = keys.length ? ` {${keys.map((k) => `${k}=${formatAttr(n.attrs[k])}`).join(', ')}}` : '';
  const loc = n.loc !== undefined ? ` loc(${formatString(n.loc)})` : '';
  return `%${n.id} = ${n.op}(${ops})${attrs} : ${formatType(n.type)}${loc}`;
}

/** Small constants print as a literal list so that hand-written tests stay readable. */
function inlineAsList(c: Const): boolean {
  return c.data.length <= (c.type.dtype === 'f32' ? 16 : 64);
}

export interface PrintOptions {
  /** Put large constants into one binary sidecar with this file name (relative to the text). */
  readonly sidecar?: string;
  /** For people: replace large constants by a comment that summarises them (not parseable back). */
  readonly elide?: boolean;
}

function summarizeConst(c: Const): string {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of c.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return `// const @${c.id} : ${formatType(c.type)} = ...  (${c.data.length} values in [${formatNumber(lo)}, ${formatNumber(hi)}])`;
}

export interface Printed {
  readonly text: string;
  readonly sidecar?: Uint8Array;
}

export function printGraph(g: Graph, opts: PrintOptions = {}): Printed {
  const lines: string[] = [];
  const constLines: string[] = [];
  const blobs: Uint8Array[] = [];
  let offset = 0;
  for (const c of g.consts.values()) {
    let data: string;
    if (opts.elide && c.data.length > 4) {
      constLines.push(summarizeConst(c));
      continue;
    }
    if (inlineAsList(c)) data = `[${Array.from(c.data, formatNumber).join(',')}]`;
    else if (opts.sidecar !== undefined) {
      const bytes = encodeData(c.type, c.data);
      const pad = (4 - (offset % 4)) % 4;
      if (pad) blobs.push(new Uint8Array(pad));
      offset += pad;
      data = `bin(${offset})`;
      blobs.push(bytes);
      offset += bytes.length;
    } else data = `hex"${toHex(encodeData(c.type, c.data))}"`;
    constLines.push(`const @${c.id} : ${formatType(c.type)} = ${data}`);
  }
  let sidecar: Uint8Array | undefined;
  const header = [`graph @${g.name}`, `stage=${g.stage}`];
  if (g.steps !== undefined) header.push(`steps=${g.steps}`);
  if (opts.sidecar !== undefined) {
    sidecar = new Uint8Array(offset);
    let at = 0;
    for (const b of blobs) {
      sidecar.set(b, at);
      at += b.length;
    }
    header.push(`weights=${formatString(opts.sidecar)}`, `sha256=${formatString(createHash('sha256').update(sidecar).digest('hex'))}`);
  }
  lines.push(`snnir ${SNNIR_VERSION}`);
  lines.push(`${header.join(' ')} {`);
  for (const k of Object.keys(g.meta).sort()) lines.push(`  meta ${formatString(k)} = ${formatString(g.meta[k])}`);
  for (const n of g.nodes) lines.push(`  ${formatNode(n)}`);
  lines.push(`  output ${g.outputs.map((o) => `%${o}`).join(', ')}`);
  lines.push('}');
  lines.push(...constLines);
  return { text: `${lines.join('\n')}\n`, ...(sidecar ? { sidecar } : {}) };
}

export function printText(g: Graph): string {
  return printGraph(g).text;
}
