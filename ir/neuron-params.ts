/**
 * The parameter layout shared by every population op (`if`) at both spiking stages: a parameter
 * is a scalar, one value per channel, or one value per neuron (NCHW order within a sample), and
 * the layout is told apart by its length. At snn-float a spike is worth its channel's amplitude
 * A_c (the `amplitude` attribute; θ when absent), while θ, the initial membrane and the additive
 * terms may be per neuron: vinit, shift and stepbias are in units of the neuron's own θ_i. The
 * amplitude is per channel because a projection reads spikes of one channel with one weight, so
 * quantize folds A_c into that weight and the integer spike carries 1.
 */
import { attrVector } from './ops.js';
import type { Const, Node } from './types.js';

/** Neuron i (NCHW within a sample) of channel c: the value of a scalar, per-channel or per-neuron parameter. */
export function paramAt(v: ArrayLike<number>, i: number, c: number, size: number): number {
  return v.length === 1 ? v[0] : v.length === size ? v[i] : v[c];
}

/** Channels and neurons per sample of a population. */
export function populationShape(n: Node): { C: number; size: number; HW: number } {
  const shape = n.type.shape.slice(1);
  const C = shape[0];
  const size = shape.reduce((a, b) => a * b, 1);
  return { C, size, HW: size / C };
}

/** The value a spike of `n` carries at snn-float, per channel: its amplitude, else its (per-channel) θ. */
export function spikeAmplitude(n: Node, consts: ReadonlyMap<string, Const>): Float64Array {
  const { C } = populationShape(n);
  const a = attrVector(n, n.attrs.amplitude !== undefined ? 'amplitude' : 'threshold', consts)!;
  if (a.length !== 1 && a.length !== C) throw new Error(`internal: %${n.id} spike amplitude has ${a.length} values for ${C} channels (the verifier requires 1 or C)`);
  return a.length === C ? a : new Float64Array(C).fill(a[0]);
}

/** A scalar, per-channel or per-neuron attribute of every neuron (NCHW within a sample); `fallback` when absent. */
export function perNeuronValues(n: Node, name: string, consts: ReadonlyMap<string, Const>, fallback?: number): Float64Array {
  const { size, HW } = populationShape(n);
  const v = attrVector(n, name, consts, fallback)!;
  return Float64Array.from({ length: size }, (_, i) => paramAt(v, i, Math.floor(i / HW), size));
}

/** θ of every neuron (NCHW within a sample). */
export function thresholdPerNeuron(n: Node, consts: ReadonlyMap<string, Const>): Float64Array {
  return perNeuronValues(n, 'threshold', consts);
}
