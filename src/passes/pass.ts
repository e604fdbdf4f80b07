/**
 * A pass is a named, pure graph -> graph function between two stages. `runPass` checks the
 * stages, runs the verifier on the result (naming the pass when it fails) and records the pass
 * in the graph's meta, so every .snnir file says how it was made.
 */
import { SnncError } from '../../ir/diagnostics.js';
import { verifyOrThrow } from '../../ir/verify.js';
import type { Graph, Stage } from '../../ir/types.js';

export interface Pass<O> {
  readonly name: string;
  readonly summary: string;
  readonly from: Stage;
  readonly to: Stage;
  run(g: Graph, options: O): Graph;
}

export function runPass<O>(pass: Pass<O>, g: Graph, options: O): Graph {
  if (g.stage !== pass.from) throw new SnncError('SNN0504', `pass '${pass.name}' runs on stage ${pass.from}, the graph is at stage ${g.stage}`);
  const out = pass.run(g, options);
  if (out.stage !== pass.to) throw new Error(`internal: pass '${pass.name}' produced stage ${out.stage}, expected ${pass.to}`);
  verifyOrThrow(out, `pass '${pass.name}'`);
  const history = out.meta.passes ? `${out.meta.passes},${pass.name}` : pass.name;
  return { ...out, meta: { ...out.meta, passes: history } };
}
