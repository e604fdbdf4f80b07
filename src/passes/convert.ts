/**
 * convert (ann -> snn-float): the spiking network, T steps, direct (analog) input encoding.
 *
 *  - every relu becomes a population of IF neurons with the layer's threshold θ (from
 *    balance-thresholds), every capped relu clip(x, 0, c) (ReLU6) one with min(θ, c), every
 *    qcfs one with θ = λ (λ <= 0 is an error) and v(0) = θ/2 — or, with `qcfsThreshold: 'rule'`,
 *    like a relu (θ from balance-thresholds, the method's v(0)): λ/T is the right step only at
 *    T = L, and a network trained for L levels but run at T < L rounds better with the rule's θ;
 *  - neurons: reset by subtraction (default) or to zero; v(0) = vinit θ; optional per-step
 *    shift θ/(2T) (Deng & Gu); spikes carry θ, so projections keep the ANN weights and biases;
 *  - conv2d, dense, avgpool2d, globalavgpool, flatten, reshape, concat and add apply at every
 *    step to that step's values (linear, so they commute with the time average);
 *  - maxpool2d: `gate` (default) -> spikemaxpool (the input with the most spikes so far passes
 *    its spike; SNN Toolbox's fir_max), `or` -> maxpool2d on spikes (logical OR), `avg` ->
 *    avgpool2d (changes the function; the usual retraining trick without the retraining);
 *  - each graph output becomes a readout: `mean` (non-spiking accumulator, mean over T) of the
 *    last layer's current, or `count`: an IF population on the logits (θ from their statistics)
 *    whose θ-scaled spike count is averaged.
 *
 * Ops with no spiking meaning (batchnorm: run fold-batchnorm; sub, div, floor, clip outside a
 * QCFS chain or not of the form clip(x, 0, c); gemm / matmul of two run-time values; pad with nonzero pads) are errors naming the
 * node (SNN0501).
 */
import { SnncError } from '../../ir/diagnostics.js';
import { attrBool, attrInts, attrVector } from '../../ir/ops.js';
import { spikingRuleViolations } from '../../ir/spiking-rules.js';
import { whereOf } from '../../ir/verify.js';
import type { AttrValue, Node } from '../../ir/types.js';
import { reluCap } from './activations.js';
import { thresholdOf } from './balance-thresholds.js';
import type { Pass } from './pass.js';
import { Rewriter } from './rewriter.js';

export interface ConvertOptions {
  readonly steps: number;
  /** Threshold per relu (and output, for count readouts), from balance-thresholds. */
  readonly thresholds: ReadonlyMap<string, Float64Array>;
  readonly reset: 'subtract' | 'zero';
  /** Initial membrane of relu-derived neurons, in units of θ (QCFS neurons always start at 1/2). */
  readonly vinit: number;
  /** Add θ/(2T) at every step (Deng & Gu). */
  readonly shift: boolean;
  readonly readout: 'mean' | 'count';
  readonly maxpool: 'gate' | 'or' | 'avg';
  /** QCFS activations: θ = λ and v(0) = θ/2 (absent, the default), or the threshold rule and v(0) of relus. */
  readonly qcfsThreshold?: 'rule';
}

export const DEFAULT_CONVERT: Omit<ConvertOptions, 'steps' | 'thresholds'> = { reset: 'subtract', vinit: 0.5, shift: false, readout: 'mean', maxpool: 'gate' };

const LINEAR = new Set(['conv2d', 'dense', 'avgpool2d', 'globalavgpool', 'flatten', 'reshape', 'concat', 'add']);

export const convert: Pass<ConvertOptions> = {
  name: 'convert',
  summary: 'ann -> snn-float: IF neurons for relu/qcfs, readouts for outputs',
  from: 'ann',
  to: 'snn-float',
  run(g, o) {
    if (!(Number.isInteger(o.steps) && o.steps >= 1)) throw new SnncError('SNN0504', `steps must be a positive integer, found ${o.steps}`);
    const rw = new Rewriter(g, 'snn-float', o.steps);
    const thresholdAttr = (node: Node, theta: Float64Array): AttrValue =>
      theta.length === 1 ? theta[0] : { const: rw.b.constant(`${node.id}.theta`, { dtype: 'f32', shape: [theta.length] }, Float32Array.from(theta)) };
    const neuronAttrs = (node: Node, theta: Float64Array, vinit: number): Record<string, AttrValue> => ({
      threshold: thresholdAttr(node, theta),
      reset: o.reset,
      ...(vinit !== 0 ? { vinit } : {}),
      ...(o.shift ? { shift: 1 / (2 * o.steps) } : {}),
    });
    const neuron = (node: Node, theta: Float64Array, vinit: number): Node => rw.keep(node, { op: 'if', attrs: neuronAttrs(node, theta, vinit) });
    for (const node of g.nodes) {
      const where = whereOf(node);
      switch (node.op) {
        case 'input':
          rw.keep(node);
          break;
        case 'relu':
        case 'clip': {
          const cap = reluCap(node);
          if (cap === undefined) throw new SnncError('SNN0501', `clip(min ${node.attrs.min}, max ${node.attrs.max}) has no spiking form: a neuron's rate encodes [0, θ], so only clip(0, c) (a capped ReLU such as ReLU6) converts`, where);
          // θ ≤ c: the neuron's largest output, one spike of θ per step, must not exceed the cap
          neuron(node, thresholdOf(o.thresholds, node.id, where).map((t) => Math.min(t, cap)), o.vinit);
          break;
        }
        case 'qcfs': {
          if (o.qcfsThreshold === 'rule') {
            neuron(node, thresholdOf(o.thresholds, node.id, where), o.vinit);
            break;
          }
          const lambda = attrVector(node, 'lambda', g.consts)!;
          if (lambda.some((v) => !(v > 0))) throw new SnncError('SNN0501', `QCFS λ must be > 0 to become a threshold, found ${Array.from(lambda).join(', ')}`, where);
          neuron(node, Float64Array.from(lambda, (v) => Math.fround(v)), 0.5);
          break;
        }
        case 'maxpool2d': {
          if (o.maxpool === 'or') rw.keep(node);
          else if (o.maxpool === 'avg') {
            rw.keep(node, { op: 'avgpool2d', attrs: { kernel: node.attrs.kernel, strides: node.attrs.strides, pads: node.attrs.pads, ceilMode: node.attrs.ceilMode, countIncludePad: false } });
          } else {
            if (attrInts(node, 'dilations').some((d) => d !== 1) || attrBool(node, 'ceilMode')) {
              throw new SnncError('SNN0501', 'the gated spiking max pool supports dilation 1 without ceil mode; use --maxpool or', where);
            }
            rw.keep(node, { op: 'spikemaxpool', attrs: { kernel: node.attrs.kernel, strides: node.attrs.strides, pads: node.attrs.pads } });
          }
          break;
        }
        case 'pad':
          throw new SnncError('SNN0501', 'pad with nonzero padding that could not be folded into the next conv2d / avgpool2d has no spiking meaning', where);
        case 'transpose':
          throw new SnncError('SNN0501', 'a transpose of run-time values has no spiking form here; snnc removes a transpose of the input (an NHWC model) and one before a flatten into a dense layer (a Keras flatten order)', where);
        case 'batchnorm':
          throw new SnncError('SNN0501', 'batchnorm must be folded first (pass fold-batchnorm)', where);
        default:
          if (!LINEAR.has(node.op)) throw new SnncError('SNN0501', `op '${node.op}' cannot be converted to a spiking network`, where);
          if (node.op === 'add' && node.inputs.some((r) => r.kind === 'const')) {
            throw new SnncError('SNN0501', 'add of a constant that is not a per-channel bias has no spiking meaning', where);
          }
          rw.keep(node);
      }
    }
    // Readouts: one per graph output.
    const outputs: string[] = [];
    for (const out of rw.b.outputs) {
      const src = rw.b.nodes.find((n) => n.id === out)!;
      let x = src;
      if (o.readout === 'count' && src.op !== 'if') {
        const theta = thresholdOf(o.thresholds, out, whereOf(src));
        // One threshold for all outputs, so that spike counts compare across classes.
        x = rw.b.node(`${out}_spikes`, 'if', [{ kind: 'value', id: out }], neuronAttrs(src, Float64Array.of(Math.max(...theta)), o.vinit), src.type, src.loc);
      }
      const r = rw.b.node(`${out}_readout`, 'readout', [{ kind: 'value', id: x.id }], {}, src.type, src.loc);
      outputs.push(r.id);
    }
    rw.b.outputs = outputs;
    rw.b.meta = {
      ...rw.b.meta,
      'convert.reset': o.reset,
      'convert.vinit': String(o.vinit),
      'convert.shift': String(o.shift),
      'convert.readout': o.readout,
      'convert.maxpool': o.maxpool,
      ...(o.qcfsThreshold ? { 'convert.qcfs-threshold': o.qcfsThreshold } : {}),
    };
    const snn = rw.finish();
    // A structure the spiking executors cannot run is unsupported input, not a compiler bug.
    const v = spikingRuleViolations(snn)[0];
    if (v) throw new SnncError('SNN0501', `no spiking form: ${v.message}`, v.where);
    return snn;
  },
};
