/**
 * What the spiking executors can run, as rules on the graph, so that "verified" means
 * "executable". The verifier reports each violation (SNN0113); the engine's plan builder asserts
 * them once more before it lays out memory. The executors store a per-sample [C, H, W] map
 * channel-last (HWC) and a flattened map as a view of that storage, which is what the rules
 * about flattened maps protect: only a dense projection re-orders its columns to read one.
 *
 *  - one input, batched; every value is a per-sample vector [F] or map [C, H, W] (rank 1 or 3);
 *  - flatten / reshape keep the data in place: a map may become a vector, not another map;
 *  - a flattened map with H·W > 1 is read only by dense (or by a further flatten / reshape to a
 *    vector) and is not a graph output: its storage order is HWC, not the NCHW order of the IR;
 *  - dense reads a vector; mul scales a value by a constant with 1 or C entries; add adds two
 *    values of one shape; concat joins values along the channel axis 1.
 */
import { attrInt } from './ops.js';
import { BATCH, sampleShape as sampleOf, type Graph, type Node } from './types.js';

const sampleShape = (n: Node): readonly number[] => sampleOf(n.type);

export interface RuleViolation {
  readonly message: string;
  readonly where: string;
}

export function spikingRuleViolations(g: Graph): RuleViolation[] {
  const out: RuleViolation[] = [];
  if (g.stage === 'ann') return out;
  const byId = new Map(g.nodes.map((n) => [n.id, n]));
  /** Values that are flattened maps with H·W > 1 (stored HWC). */
  const flatMap = new Set<string>();
  const inputs = g.nodes.filter((n) => n.op === 'input');
  if (inputs.length !== 1) out.push({ message: `a spiking graph takes exactly one input, found ${inputs.length}`, where: g.name });
  for (const x of inputs) if (x.type.shape[0] !== BATCH) out.push({ message: 'the input has no batch axis: spiking graphs run sample by sample', where: `%${x.id}` });
  for (const n of g.nodes) {
    const where = `%${n.id}`;
    const fail = (message: string): void => void out.push({ message, where });
    const s = sampleShape(n);
    if (s.length !== 1 && s.length !== 3) fail(`spiking graphs carry per-sample vectors [F] or maps [C,H,W]; %${n.id} has per-sample shape [${s.join(',')}]`);
    const operand = (i: number): Node | undefined => (n.inputs[i]?.kind === 'value' ? byId.get(n.inputs[i].id) : undefined);
    const x = operand(0);
    for (const r of n.inputs) {
      if (r.kind === 'value' && flatMap.has(r.id) && n.op !== 'dense' && !((n.op === 'flatten' || n.op === 'reshape') && s.length === 1)) {
        fail(`'${n.op}' reads %${r.id}, a flattened feature map (stored channel-last); only a dense layer can read one in a spiking graph`);
      }
    }
    switch (n.op) {
      case 'flatten':
      case 'reshape': {
        const xs = x ? sampleShape(x) : [];
        if (s.length === 3 && xs.length === 3 && (s[0] !== xs[0] || s[1] !== xs[1] || s[2] !== xs[2])) fail(`reshape of a [${xs.join(',')}] map to [${s.join(',')}] is not supported in spiking graphs (flattening to a vector is)`);
        if (s.length === 1 && x && ((xs.length === 3 && xs[1] * xs[2] > 1) || flatMap.has(x.id))) flatMap.add(n.id);
        break;
      }
      case 'dense':
        if (x && sampleShape(x).length !== 1) fail(`dense reads a per-sample vector; %${x.id} has per-sample shape [${sampleShape(x).join(',')}] (flatten it first)`);
        break;
      case 'mul': {
        const k = n.inputs[1];
        if (!x || k?.kind !== 'const') fail('mul in a spiking graph scales a value by a constant');
        else {
          const C = sampleShape(x)[0];
          const len = g.consts.get(k.id)?.data.length;
          if (len !== undefined && len !== 1 && len !== C) fail(`mul constant has ${len} values; expected 1 or ${C} (channels)`);
        }
        break;
      }
      case 'add': {
        const y = operand(1);
        if (!x || !y) fail('add in a spiking graph adds two values (fold a constant into a bias)');
        else if (x.type.shape.join() !== y.type.shape.join()) fail(`add in a spiking graph adds values of one shape, found [${x.type.shape.join(',')}] and [${y.type.shape.join(',')}]`);
        break;
      }
      case 'concat':
        if (n.inputs.some((r) => r.kind !== 'value')) fail('concat of constants in a spiking graph');
        if (attrInt(n, 'axis', 1) !== 1) fail(`concat along axis ${attrInt(n, 'axis', 1)} is not supported in spiking graphs (the channel axis 1 is)`);
        break;
    }
  }
  for (const o of g.outputs) {
    const s = byId.get(o) ? sampleShape(byId.get(o)!) : [];
    if (flatMap.has(o) || (s.length === 3 && s[1] * s[2] > 1)) {
      out.push({ message: `graph output %${o} is a feature map (stored channel-last, H·W > 1); end the graph with a dense layer or a global pool`, where: `%${o}` });
    }
  }
  return out;
}
