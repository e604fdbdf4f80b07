/**
 * .snnir text -> Graph. Lexing and parsing errors and malformed literals become SnncErrors with
 * `file:line:col`; the result is not verified here (call `verify`), so that verifier tests can be
 * written in the text form.
 */
import { createHash } from 'node:crypto';
import type { CstNode, IToken } from 'chevrotain';
import { SnncError, type DiagnosticCode } from '../diagnostics.js';
import { isValidDType, numel, BATCH, type AttrValue, type Const, type Graph, type Node, type Ref, type Stage, type TensorType } from '../types.js';
import { snnirLexer, snnirParser } from './grammar.js';
import { bytesPerElement, decodeData, fromHex } from './encoding.js';
import { SNNIR_VERSION } from './print.js';

export interface ParseOptions {
  /** File name used in diagnostics. */
  readonly file?: string;
  /** Reads the weights sidecar named in the header (relative to the text file). */
  readonly readSidecar?: (name: string) => Uint8Array;
}

type Children = Record<string, (CstNode | IToken)[] | undefined>;

function kids(n: CstNode): Children {
  return n.children as Children;
}
function tok(c: Children, key: string, i = 0): IToken | undefined {
  return c[key]?.[i] as IToken | undefined;
}
function sub(c: Children, key: string): CstNode[] {
  return (c[key] ?? []) as CstNode[];
}
function toks(c: Children, key: string): IToken[] {
  return (c[key] ?? []) as IToken[];
}

type Parsed = { kind: 'attr'; v: AttrValue } | { kind: 'word'; text: string };

class TextReader {
  constructor(
    private readonly file: string,
    private readonly opts: ParseOptions,
  ) {}

  fail(code: DiagnosticCode, message: string, t?: IToken): never {
    const where = t ? `${this.file}:${t.startLine}:${t.startColumn}` : this.file;
    throw new SnncError(code, message, where);
  }

  unquote(t: IToken): string {
    try {
      return JSON.parse(t.image) as string;
    } catch {
      return this.fail('SNN0003', `malformed string literal ${t.image}`, t);
    }
  }

  number(n: CstNode): number {
    const c = kids(n);
    const neg = tok(c, 'Minus') !== undefined;
    const lit = tok(c, 'NumberLit');
    const id = tok(c, 'Identifier');
    let v: number;
    if (lit) v = Number(lit.image);
    else if (id && id.image === 'inf') v = Infinity;
    else if (id && id.image === 'nan') v = NaN;
    else return this.fail('SNN0003', `expected a number, found '${id?.image}'`, id);
    return neg ? -v : v;
  }

  value(n: CstNode): Parsed {
    const c = kids(n);
    const num = sub(c, 'number')[0];
    if (num) {
      const nc = kids(num);
      const id = tok(nc, 'Identifier');
      if (id && id.image !== 'inf' && id.image !== 'nan' && !tok(nc, 'Minus')) return { kind: 'word', text: id.image };
      return { kind: 'attr', v: this.number(num) };
    }
    const s = tok(c, 'StringLit');
    if (s) return { kind: 'attr', v: this.unquote(s) };
    if (tok(c, 'TrueKw')) return { kind: 'attr', v: true };
    if (tok(c, 'FalseKw')) return { kind: 'attr', v: false };
    const g = tok(c, 'GlobalId');
    if (g) return { kind: 'attr', v: { const: g.image.slice(1) } };
    const list = sub(c, 'list')[0];
    return { kind: 'attr', v: this.numberList(list) };
  }

  numberList(list: CstNode): number[] {
    const out: number[] = [];
    for (const item of sub(kids(list), 'value')) {
      const v = this.value(item);
      if (v.kind !== 'attr' || typeof v.v !== 'number') {
        const first = this.firstToken(item);
        this.fail('SNN0003', 'lists may hold numbers only', first);
      }
      out.push(v.v);
    }
    return out;
  }

  firstToken(n: CstNode): IToken | undefined {
    for (const v of Object.values(n.children)) {
      for (const x of v) {
        if ('image' in x) return x;
        const t = this.firstToken(x);
        if (t) return t;
      }
    }
    return undefined;
  }

  type(n: CstNode): TensorType {
    const c = kids(n);
    const dt = tok(c, 'dtype')!;
    if (!isValidDType(dt.image)) this.fail('SNN0003', `unknown dtype '${dt.image}' (expected f32, iB or uB)`, dt);
    const dims: number[] = [];
    const all = [...toks(c, 'NumberLit'), ...toks(c, 'Identifier').filter((t) => t !== dt)].sort((a, b) => a.startOffset - b.startOffset);
    for (const t of all) {
      if (t.image === 'N') dims.push(BATCH);
      else if (/^[0-9]+$/.test(t.image)) dims.push(Number(t.image));
      else this.fail('SNN0003', `dimension must be a non-negative integer or N, found '${t.image}'`, t);
    }
    return { dtype: dt.image, shape: dims };
  }

  constData(n: CstNode, type: TensorType, sidecar: () => Uint8Array): Const['data'] {
    const c = kids(n);
    const at = tok(c, 'name')!;
    const count = numel(type.shape);
    if (type.shape.includes(BATCH)) this.fail('SNN0003', 'constants cannot have a batch dimension', at);
    try {
      const hex = tok(c, 'Hex');
      if (hex) {
        const digits = hex.image.slice(4, -1);
        if (digits.length % 2) this.fail('SNN0003', 'hex data has an odd number of digits', hex);
        const bytes = fromHex(digits);
        const needed = count * bytesPerElement(type.dtype);
        if (bytes.length !== needed) this.fail('SNN0003', `hex data holds ${bytes.length} bytes, type ${type.dtype} x ${count} needs ${needed}`, hex);
        return decodeData(type, bytes);
      }
      const off = tok(c, 'offset');
      if (off) return decodeData(type, sidecar(), Number(off.image));
    } catch (e) {
      if (e instanceof RangeError) this.fail('SNN0003', `constant @${at.image.slice(1)}: ${e.message}`, at);
      throw e;
    }
    const values = this.numberList(sub(c, 'list')[0]);
    if (values.length !== count) this.fail('SNN0003', `constant @${at.image.slice(1)} of ${count} elements has ${values.length} values`, at);
    if (type.dtype === 'f32') return Float32Array.from(values);
    if (!values.every((v) => Number.isInteger(v))) this.fail('SNN0003', `integer constant @${at.image.slice(1)} has a non-integer value`, at);
    return Int32Array.from(values);
  }

  graph(root: CstNode): Graph {
    const fc = kids(root);
    const version = tok(fc, 'version')!;
    if (Number(version.image) !== SNNIR_VERSION) this.fail('SNN0003', `unsupported snnir version ${version.image} (this snnc reads version ${SNNIR_VERSION})`, version);
    const g = sub(fc, 'graph')[0];
    const gc = kids(g);
    const name = tok(gc, 'name')!.image.slice(1);
    const header: Record<string, AttrValue | string> = {};
    for (const h of sub(gc, 'headerAttr')) {
      const hc = kids(h);
      const key = tok(hc, 'key')!;
      const v = this.value(sub(hc, 'value')[0]);
      header[key.image] = v.kind === 'word' ? v.text : v.v;
    }
    const stage = header.stage;
    if (stage !== 'ann' && stage !== 'snn-float' && stage !== 'snn-fixed') this.fail('SNN0003', `graph needs stage=ann, snn-float or snn-fixed, found ${String(stage)}`, tok(gc, 'name'));
    const steps = header.steps;
    if (steps !== undefined && typeof steps !== 'number') this.fail('SNN0003', 'steps must be a number', tok(gc, 'name'));
    const unknown = Object.keys(header).filter((k) => !['stage', 'steps', 'weights', 'sha256'].includes(k));
    if (unknown.length) this.fail('SNN0003', `unknown graph header field '${unknown[0]}'`, tok(gc, 'name'));

    let blob: Uint8Array | undefined;
    const sidecar = (): Uint8Array => {
      if (blob) return blob;
      const file = header.weights;
      if (typeof file !== 'string') return this.fail('SNN0004', 'constant uses bin(...) but the graph header names no weights file', tok(gc, 'name'));
      if (!this.opts.readSidecar) return this.fail('SNN0004', `weights file ${file} cannot be read here`, tok(gc, 'name'));
      let bytes: Uint8Array;
      try {
        bytes = this.opts.readSidecar(file);
      } catch (e) {
        return this.fail('SNN0004', `weights file ${file} cannot be read: ${(e as Error).message}`, tok(gc, 'name'));
      }
      const digest = createHash('sha256').update(bytes).digest('hex');
      if (digest !== header.sha256) this.fail('SNN0004', `weights file ${file} has sha256 ${digest}, the graph expects ${String(header.sha256)}`, tok(gc, 'name'));
      blob = bytes;
      return bytes;
    };

    const consts = new Map<string, Const>();
    for (const cd of sub(fc, 'constDecl')) {
      const cc = kids(cd);
      const at = tok(cc, 'name')!;
      const id = at.image.slice(1);
      if (consts.has(id)) this.fail('SNN0003', `constant @${id} is defined twice`, at);
      const type = this.type(sub(cc, 'type')[0]);
      consts.set(id, { id, type, data: this.constData(cd, type, sidecar) });
    }

    const meta: Record<string, string> = {};
    const nodes: Node[] = [];
    const outputs: string[] = [];
    for (const item of sub(gc, 'item')) {
      const ic = kids(item);
      const m = sub(ic, 'metaItem')[0];
      if (m) {
        const mc = kids(m);
        meta[this.unquote(tok(mc, 'key')!)] = this.unquote(tok(mc, 'val')!);
        continue;
      }
      const o = sub(ic, 'outputItem')[0];
      if (o) {
        for (const t of toks(kids(o), 'ValueId')) outputs.push(t.image.slice(1));
        continue;
      }
      nodes.push(this.node(sub(ic, 'nodeItem')[0]));
    }
    return {
      name,
      stage: stage as Stage,
      ...(steps !== undefined ? { steps: steps as number } : {}),
      nodes,
      consts,
      outputs,
      meta,
    };
  }

  node(n: CstNode): Node {
    const c = kids(n);
    const result = tok(c, 'result')!;
    const op = tok(c, 'op')!.image;
    const inputs: Ref[] = sub(c, 'operand').map((o) => {
      const oc = kids(o);
      const v = tok(oc, 'ValueId');
      if (v) return { kind: 'value', id: v.image.slice(1) };
      return { kind: 'const', id: tok(oc, 'GlobalId')!.image.slice(1) };
    });
    const attrs: Record<string, AttrValue> = {};
    const dict = sub(c, 'attrDict')[0];
    if (dict) {
      for (const a of sub(kids(dict), 'attr')) {
        const ac = kids(a);
        const key = tok(ac, 'key')!;
        if (key.image in attrs) this.fail('SNN0003', `attribute '${key.image}' given twice`, key);
        const v = this.value(sub(ac, 'value')[0]);
        if (v.kind === 'word') this.fail('SNN0003', `attribute '${key.image}': strings must be quoted ("${v.text}")`, key);
        attrs[key.image] = v.v;
      }
    }
    const type = this.type(sub(c, 'type')[0]);
    const locTok = tok(c, 'loc');
    return {
      id: result.image.slice(1),
      op,
      inputs,
      attrs,
      type,
      ...(locTok ? { loc: this.unquote(locTok) } : {}),
      pos: { file: this.file, line: result.startLine ?? 0, col: result.startColumn ?? 0 },
    };
  }
}

/** How tokens read in diagnostics. */
const TOKEN_NAMES: Record<string, string> = {
  Identifier: 'a name',
  ValueId: 'a value %name',
  GlobalId: 'a constant @name',
  StringLit: 'a string',
  NumberLit: 'a number',
  Equals: "'='",
  Comma: "','",
  Colon: "':'",
  LParen: "'('",
  RParen: "')'",
  LCurly: "'{'",
  RCurly: "'}'",
  LSquare: "'['",
  RSquare: "']'",
};

export function parseGraph(text: string, opts: ParseOptions = {}): Graph {
  const file = opts.file ?? '<text>';
  const lexed = snnirLexer.tokenize(text);
  if (lexed.errors.length) {
    const e = lexed.errors[0];
    throw new SnncError('SNN0001', `unexpected character '${text.substr(e.offset, 1)}'`, `${file}:${e.line}:${e.column}`);
  }
  snnirParser.input = lexed.tokens;
  const cst = snnirParser.file();
  if (snnirParser.errors.length) {
    const e = snnirParser.errors[0];
    const t = e.token;
    const line = Number.isFinite(t.startLine) ? t.startLine : (lexed.tokens.at(-1)?.endLine ?? 1);
    const col = Number.isFinite(t.startColumn) ? t.startColumn : (lexed.tokens.at(-1)?.endColumn ?? 1);
    const found = t.image === '' ? 'end of input' : `'${t.image}'`;
    const want = /Expecting token of type --> (\w+) <--/.exec(e.message)?.[1];
    const what = want ? `expected ${TOKEN_NAMES[want] ?? want}` : 'unexpected token';
    throw new SnncError('SNN0002', `${what}, found ${found}`, `${file}:${line}:${col}`);
  }
  return new TextReader(file, opts).graph(cst);
}
