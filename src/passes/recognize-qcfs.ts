/**
 * recognize-qcfs (ann -> ann): find the QCFS activation as PyTorch exports it and replace the
 * chain by one `qcfs` node (λ, L), so that `convert` can set θ = λ and v(0) = θ/2.
 *
 *   QCFS(x) = λ clip(floor(x L/λ + 1/2) / L, 0, 1)
 *
 * Accepted chains (every intermediate value read only by the next op; x/λ may be x*(1/λ)):
 *   A (old code, the fixture):  div(x,λ) mul(L) add(0.5) floor div(L) clip(0,1) mul(λ)
 *   B (new code):               div(x,λ) clip(0,1) mul(L) add(0.5) floor div(L) mul(λ)
 * Both compute the same function; `qcfs` evaluates it in float32 in the order of A. λ is a
 * scalar or one value per channel as ONNX broadcasts it (every dimension 1 but the one that
 * lines up with axis 1 of x, counting from the right: [1, C, 1, 1] or [C, 1, 1] on NCHW, [C] on
 * [N, C]); any other shape (a [C] on NCHW scales the last axis) leaves the chain alone. L is a
 * positive integer.
 */
import { attrNum } from '../../ir/ops.js';
import type { Graph, Node, Ref } from '../../ir/types.js';
import type { Pass } from './pass.js';
import { Rewriter } from './rewriter.js';

type Step = { op: string; value?: 'L' | 'lambda' | 'half' } | { op: 'clip01' };
const PATTERN_A: Step[] = [{ op: 'mul', value: 'L' }, { op: 'add', value: 'half' }, { op: 'floor' }, { op: 'div', value: 'L' }, { op: 'clip01' }, { op: 'mul', value: 'lambda' }];
const PATTERN_B: Step[] = [{ op: 'clip01' }, { op: 'mul', value: 'L' }, { op: 'add', value: 'half' }, { op: 'floor' }, { op: 'div', value: 'L' }, { op: 'mul', value: 'lambda' }];

function constValues(g: Graph, r: Ref | undefined): Float32Array | undefined {
  return r?.kind === 'const' ? (g.consts.get(r.id)!.data as Float32Array) : undefined;
}

/** The values of a λ constant applied to x, if it is one value or one per channel of x (see the header). */
function lambdaValues(g: Graph, r: Ref | undefined, x: readonly number[]): Float32Array | undefined {
  if (r?.kind !== 'const') return undefined;
  const { type, data } = g.consts.get(r.id)!;
  const shape = type.shape;
  if (shape.every((d) => d === 1)) return data as Float32Array;
  const wide = shape.flatMap((d, i) => (d === 1 ? [] : [i]));
  const perChannel = x.length >= 2 && shape.length <= x.length && wide.length === 1 && shape.length - wide[0] === x.length - 1 && shape[wide[0]] === x[1];
  return perChannel ? (data as Float32Array) : undefined;
}

function sameValues(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  return a.length === b.length && Array.prototype.every.call(a, (v: number, i: number) => Math.fround(v) === Math.fround(b[i]));
}

interface Match {
  readonly input: Ref;
  readonly lambda: Float32Array;
  readonly levels: number;
  readonly chain: Node[];
}

function match(rw: Rewriter, start: Node): Match | undefined {
  const g = rw.g;
  if (start.inputs[0]?.kind !== 'value') return undefined;
  let lambda: Float32Array | undefined;
  const x = start.type.shape;
  const k = lambdaValues(g, start.inputs[1], x);
  if (!k) return undefined;
  if (start.op === 'div') lambda = k;
  else if (start.op === 'mul') lambda = Float32Array.from(k, (v) => 1 / v);
  else return undefined;
  for (const pattern of [PATTERN_A, PATTERN_B]) {
    const chain = [start];
    let levels: number | undefined;
    let ok = true;
    for (const step of pattern) {
      const prev = chain[chain.length - 1];
      const next = rw.singleUse(prev.id) ? rw.users.get(prev.id)![0] : undefined;
      if (!next) {
        ok = false;
        break;
      }
      if (step.op === 'clip01') ok = next.op === 'clip' && attrNum(next, 'min') === 0 && attrNum(next, 'max') === 1;
      else if (next.op !== step.op || next.inputs[0].kind !== 'value' || next.inputs[0].id !== prev.id) ok = false;
      else if ('value' in step && step.value) {
        const c = step.value === 'lambda' ? lambdaValues(g, next.inputs[1], x) : constValues(g, next.inputs[1]);
        if (!c) ok = false;
        else if (step.value === 'L') {
          ok = c.length === 1 && Number.isInteger(c[0]) && c[0] >= 1 && (levels === undefined || levels === c[0]);
          levels = c[0];
        } else if (step.value === 'half') ok = c.length === 1 && c[0] === 0.5;
        else ok = sameValues(c, lambda);
      }
      if (!ok) break;
      chain.push(next);
    }
    if (ok && levels !== undefined) return { input: start.inputs[0], lambda, levels, chain };
  }
  return undefined;
}

export const recognizeQcfs: Pass<void> = {
  name: 'recognize-qcfs',
  summary: 'replace exported QCFS clip-floor chains by qcfs(λ, L) nodes',
  from: 'ann',
  to: 'ann',
  run(g) {
    const rw = new Rewriter(g);
    const consumed = new Set<string>();
    for (const node of g.nodes) {
      if (consumed.has(node.id)) continue;
      const m = node.op === 'div' || node.op === 'mul' ? match(rw, node) : undefined;
      if (!m) {
        rw.keep(node);
        continue;
      }
      for (const n of m.chain) consumed.add(n.id);
      const last = m.chain[m.chain.length - 1];
      const lambda = m.lambda.length === 1 ? m.lambda[0] : { const: rw.b.constant(`${last.id}.lambda`, { dtype: 'f32', shape: [m.lambda.length] }, m.lambda) };
      rw.keep({ id: last.id, op: 'qcfs', inputs: [m.input], attrs: { lambda, levels: m.levels }, type: last.type, ...(last.loc !== undefined ? { loc: last.loc } : {}) });
    }
    return rw.finish();
  },
};
