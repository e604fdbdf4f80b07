/**
 * IR text for the fuzzer: graphs generated from the grammar of ir/text/grammar.ts with ops,
 * attributes and types drawn from the op table (so that many reach the verifier and some the
 * executors), then mutated token by token: deleted, repeated or swapped tokens and lines,
 * numbers replaced by extremes, names by other names.
 */
import { OPS, neuronAttrs, type AttrSpec } from '../../ir/ops.js';
import type { Stage } from '../../ir/types.js';
import type { Rng } from '../../src/util/rng.js';

const STAGES: Stage[] = ['ann', 'snn-float', 'snn-fixed'];
const DTYPES = ['f32', 'u1', 'u8', 'i8', 'i16', 'i24', 'i32', 'i40', 'i64', 'u31', 'i0', 'x7', 'i65'];
const NUMBERS = ['0', '-0', '1', '-1', '2', '3', '0.5', '1e309', '-1e309', '9007199254740993', '2147483648', '-2147483649', 'inf', '-inf', 'nan', '1e-320', '65536', '4294967296'];

function dim(r: Rng): string {
  return r.chance(0.85) ? String(r.int(1, 6)) : r.pick(['0', 'N', '100000', '2147483647', '-1']);
}

function value(r: Rng, spec: AttrSpec | undefined, consts: string[]): string {
  const t = spec?.type ?? r.pick(['int', 'ints', 'string', 'bool', 'const']);
  switch (t) {
    case 'int':
    case 'float':
      return r.chance(0.7) ? String(r.int(0, 4)) : r.pick(NUMBERS);
    case 'ints':
    case 'floats':
      return `[${Array.from({ length: r.pick([2, 2, 4, 1, 0, 3]) }, () => (r.chance(0.8) ? String(r.int(0, 3)) : r.pick(NUMBERS))).join(',')}]`;
    case 'string':
      return `"${spec?.values ? r.pick(spec.values) : r.pick(['subtract', 'zero', 'saturate', 'wrap', 'floor', 'x'])}"`;
    case 'bool':
      return r.pick(['true', 'false']);
    case 'const':
      return consts.length ? r.pick(consts) : '@none';
    default:
      return r.chance(0.5) && consts.length ? r.pick(consts) : String(r.int(1, 9));
  }
}

/** A syntactically valid graph whose semantics are random. */
export function generateIr(r: Rng): string {
  const stage = r.pick(STAGES);
  const lines = ['snnir 1', `graph @fz stage=${stage}${stage === 'ann' ? '' : ` steps=${r.pick(['1', '2', '4', '0', '-1'])}`} {`];
  const consts: string[] = [];
  const constDecls: string[] = [];
  for (let i = r.int(0, 4); i > 0; i--) {
    const shape = Array.from({ length: r.int(1, 4) }, () => r.int(1, 4));
    const n = shape.reduce((a, b) => a * b, 1);
    const dt = r.pick(DTYPES.slice(0, 9));
    const data = Array.from({ length: r.chance(0.9) ? n : r.int(0, n + 2) }, () => (r.chance(0.9) ? String(r.int(-3, 3)) : r.pick(NUMBERS)));
    consts.push(`@c${i}`);
    constDecls.push(`const @c${i} : ${dt}[${shape.join(',')}] = [${data.join(',')}]`);
  }
  const values = ['%x'];
  const dt = stage === 'snn-fixed' ? r.pick(['u8', 'i8', 'u4']) : 'f32';
  const rank = r.pick([2, 4, 4, 3]);
  lines.push(`  %x = input() ${stage === 'snn-fixed' ? '{scale=0.5} ' : ''}: ${dt}[N,${Array.from({ length: rank - 1 }, () => dim(r)).join(',')}]`);
  const ops = Object.keys(OPS).filter((o) => o !== 'input');
  for (let i = 0; i < r.int(1, 6); i++) {
    const op = r.chance(0.95) ? r.pick(ops) : 'nosuchop';
    const spec = OPS[op];
    const specs = op === 'if' ? neuronAttrs(stage) : (spec?.attrs ?? {});
    const nOps = spec ? r.int(spec.operands.min, Math.min(spec.operands.max, 3)) : 1;
    const operands = Array.from({ length: nOps }, (_, k) => (k > 0 && consts.length && r.chance(0.6) ? r.pick(consts) : r.pick(values)));
    const attrs = Object.entries(specs)
      .filter(([, s]) => s.required || r.chance(0.3))
      .map(([name, s]) => `${name}=${value(r, s, consts)}`);
    const shape = Array.from({ length: r.pick([2, 4, 4, 3]) - 1 }, () => dim(r));
    const t = stage === 'snn-fixed' ? r.pick(DTYPES.slice(1)) : 'f32';
    lines.push(`  %v${i} = ${op}(${operands.join(', ')})${attrs.length ? ` {${attrs.join(', ')}}` : ''} : ${t}[N,${shape.join(',')}]`);
    values.push(`%v${i}`);
  }
  lines.push(`  output ${values[values.length - 1]}`, '}', ...constDecls);
  return `${lines.join('\n')}\n`;
}

const TOKEN = /(%[A-Za-z_][\w.]*|@[A-Za-z_][\w.]*|-?[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|"[^"\n]*"|[A-Za-z_][\w-]*|\s+|.)/g;

/** Token- and line-level mutations of IR text. */
export function mutateIr(text: string, r: Rng): string {
  const toks = text.match(TOKEN) ?? [];
  for (let i = r.int(1, 3); i > 0 && toks.length; i--) {
    const at = r.int(0, toks.length - 1);
    const k = r.int(0, 6);
    if (k === 0) toks.splice(at, 1);
    else if (k === 1) toks.splice(at, 0, toks[at]);
    else if (k === 2) toks[at] = r.pick(NUMBERS);
    else if (k === 3) toks[at] = toks[r.int(0, toks.length - 1)];
    else if (k === 4) toks[at] = r.pick(['{', '}', '[', ']', '(', ')', ',', ':', '=', '"', '//', '\n', 'N', 'hex"0f"', 'bin(7)', '\u0000', 'é']);
    else if (k === 5) toks[at] = r.pick(DTYPES);
    else {
      const j = r.int(0, toks.length - 1);
      [toks[at], toks[j]] = [toks[j], toks[at]];
    }
  }
  let out = toks.join('');
  if (r.chance(0.2)) {
    const lines = out.split('\n');
    const a = r.int(0, lines.length - 1);
    const b = r.int(0, lines.length - 1);
    if (r.chance(0.5)) [lines[a], lines[b]] = [lines[b], lines[a]];
    else lines.splice(a, 0, lines[b]);
    out = lines.join('\n');
  }
  return out;
}
