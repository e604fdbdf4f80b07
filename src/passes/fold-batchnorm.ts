/**
 * fold-batchnorm (ann -> ann): fold inference batch normalisation into the conv2d or dense
 * layer that produces its input, along the dataflow edge:
 *
 *   σ_c = sqrt(var_c + ε),   W'[c, ...] = W[c, ...] γ_c / σ_c,   b'_c = (b_c - μ_c) γ_c / σ_c + β_c
 *
 * (b = 0 when the layer has no bias). Computed in double precision, stored as float32. A
 * batchnorm whose input is not the sole output of a conv2d / dense is an error (SNN0502): the
 * spiking stages have no batchnorm.
 */
import { SnncError } from '../../ir/diagnostics.js';
import { attrNum } from '../../ir/ops.js';
import { whereOf } from '../../ir/verify.js';
import type { Pass } from './pass.js';
import { Rewriter } from './rewriter.js';

export const foldBatchNorm: Pass<void> = {
  name: 'fold-batchnorm',
  summary: 'fold batchnorm into the preceding conv2d / dense',
  from: 'ann',
  to: 'ann',
  run(g) {
    const rw = new Rewriter(g);
    for (const node of g.nodes) {
      if (node.op !== 'batchnorm') {
        rw.keep(node);
        continue;
      }
      const src = node.inputs[0];
      const producer = rw.producer(src);
      if (!producer || (producer.op !== 'conv2d' && producer.op !== 'dense') || !rw.singleUse(src.id)) {
        const what = !producer ? 'a graph input or constant' : producer.op === 'conv2d' || producer.op === 'dense' ? `%${producer.id}, which has other readers` : `a '${producer.op}'`;
        throw new SnncError('SNN0502', `batchnorm cannot be folded: its input is ${what}; it must directly follow a conv2d or dense layer that nothing else reads`, whereOf(node));
      }
      const [gamma, beta, mean, variance] = node.inputs.slice(1).map((r) => g.consts.get(r.id)!.data);
      const eps = attrNum(node, 'epsilon');
      const w = rw.b.consts.get(producer.inputs[1].id)!;
      const C = w.type.shape[0];
      const per = w.data.length / C;
      const oldBias = producer.inputs[2] ? rw.b.consts.get(producer.inputs[2].id)!.data : undefined;
      const wf = new Float32Array(w.data.length);
      const bf = new Float32Array(C);
      for (let c = 0; c < C; c++) {
        const k = gamma[c] / Math.sqrt(variance[c] + eps);
        for (let j = 0; j < per; j++) wf[c * per + j] = w.data[c * per + j] * k;
        bf[c] = ((oldBias ? oldBias[c] : 0) - mean[c]) * k + beta[c];
      }
      const wid = rw.b.constant(`${producer.id}.w_bn`, w.type, wf);
      const bid = rw.b.constant(`${producer.id}.b_bn`, { dtype: 'f32', shape: [C] }, bf);
      rw.amend(producer, { inputs: [producer.inputs[0], { kind: 'const', id: wid }, { kind: 'const', id: bid }] });
      rw.replace(node.id, producer.id);
    }
    return rw.finish();
  },
};
