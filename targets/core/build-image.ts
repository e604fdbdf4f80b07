/**
 * A mapped network as a memory image: per unit its parameters; per core the synapse table of
 * the slice it holds (axons sorted by source, local targets, weights); per source its routes.
 * Every parameter is checked against the core's widths: a weight, threshold or bias that does
 * not fit fails naming the layer and the width (SNN0207), never wraps.
 */
import { SnncError } from '../../ir/diagnostics.js';
import type { CoreDesc } from './desc.js';
import { IMAGE_VERSION, TPP_RULE_CODES, type CoreImage, type ImageCore, type ImageRoute, type ImageUnit } from './image.js';
import type { Mapping } from './map.js';
import { poolSource, type CoreNetwork, type Projection, type Unit } from './network.js';

const LEAK = { none: 0, shift: 1, mul: 2 } as const;
const ROUND = { floor: 0, trunc: 1, 'half-up': 2 } as const;

/** Values as the image's 32-bit words, each within `bits` (the core's width; at most the 32-bit word). */
function fits(u: Unit, what: string, values: ArrayLike<number>, width: number, source: string): Int32Array {
  const bits = Math.min(width, 32);
  const hi = 2 ** (bits - 1) - 1;
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v > hi || v < -hi - 1) throw new SnncError('SNN0207', `layer %${u.id} does not fit: ${what} ${v} needs more than the core's ${bits} bits (${source})`, `%${u.id}`);
    out[i] = v;
  }
  return out;
}

export function buildImage(net: CoreNetwork, m: Mapping, d: CoreDesc): CoreImage {
  const units: ImageUnit[] = net.units.map((u) => {
    const population = u.kind === 'population';
    if (u.vBits > (population ? d.membraneBits.value : d.sumBits.value)) {
      throw new SnncError('SNN0207', `layer %${u.id} does not fit: its ${u.vBits}-bit ${population ? 'membrane' : 'sum'} is wider than the core's ${population ? d.membraneBits.value : d.sumBits.value} bits`, `%${u.id}`);
    }
    const bias = new Int32Array(u.bias.length * u.size);
    u.bias.forEach((row, r) => bias.set(fits(u, 'bias', row, d.biasBits.value, d.biasBits.source), r * u.size));
    return {
      kind: population ? 0 : 1,
      size: u.size,
      channels: u.channels,
      level: u.level,
      accBits: u.accBits,
      vBits: u.vBits,
      overflow: u.overflow === 'wrap' ? 1 : 0,
      subtract: u.subtract ? 1 : 0,
      leakKind: LEAK[u.leak.kind],
      leakShift: u.leak.shift,
      leakMul: u.leak.mul,
      leakRound: ROUND[u.leak.round],
      leakMulCount: u.leakMuls ? u.size : 0,
      leakMuls: u.leakMuls ? Int32Array.from(u.leakMuls) : new Int32Array(0),
      threshold: population ? fits(u, 'threshold', u.threshold, d.thresholdBits.value, d.thresholdBits.source) : new Int32Array(u.size),
      vinit: fits(u, 'initial membrane', u.vinit, u.vBits, 'its membrane width'),
      biasRows: u.bias.length,
      bias,
      tppRule: u.tpp ? TPP_RULE_CODES[u.tpp.rule] : 0,
      window: u.window,
      tppSeed: u.tpp?.seed ?? 0,
      tppKey: u.tpp?.key ?? 0,
    };
  });
  // every projection's weights checked against the core's width once, whatever the slices
  const fitted = new Map<Projection, Int32Array>();
  for (const u of net.units) for (const p of u.inputs) fitted.set(p, fits(u, 'effective weight', p.weight, d.weightBits.value, d.weightBits.source));
  const cores: ImageCore[] = m.slices.map((s) => {
    const u = net.units[s.unit];
    /** An axon: source neuron j's synapses p.target[from .. to) that land in the slice (a row's targets ascend, so they are one range). */
    const axons: { source: number; neuron: number; delayed: number; p: Projection; from: number; to: number }[] = [];
    const end = s.start + s.count;
    for (const p of u.inputs) {
      for (let j = 0; j + 1 < p.rowStart.length; j++) {
        let from = p.rowStart[j];
        const last = p.rowStart[j + 1];
        while (from < last && p.target[from] < s.start) from++;
        let to = from;
        while (to < last && p.target[to] < end) to++;
        if (to > from) axons.push({ source: p.source, neuron: j, delayed: p.delayed ? 1 : 0, p, from, to });
      }
    }
    axons.sort((a, b) => a.source - b.source || a.neuron - b.neuron || a.delayed - b.delayed);
    // runs of consecutive targets (the synapses of an axon come sorted by target)
    const axonStart = new Int32Array(axons.length + 1);
    const runTarget: number[] = [];
    const runLength: number[] = [];
    const weights: number[] = [];
    axons.forEach((a, k) => {
      axonStart[k] = runTarget.length;
      const w = fitted.get(a.p)!;
      for (let q = a.from; q < a.to; q++) {
        const t = a.p.target[q] - s.start;
        const last = runTarget.length - 1;
        if (last >= axonStart[k] && runTarget[last] + runLength[last] === t) runLength[last]++;
        else {
          runTarget.push(t);
          runLength.push(1);
        }
        weights.push(w[q]);
      }
    });
    axonStart[axons.length] = runTarget.length;
    const target = Int32Array.from(runTarget);
    const length = Int32Array.from(runLength);
    const weight = Int32Array.from(weights);
    return { unit: s.unit, start: s.start, count: s.count, axons: axons.length, axonSource: Int32Array.from(axons, (a) => a.source), axonNeuron: Int32Array.from(axons, (a) => a.neuron), axonDelayed: Int32Array.from(axons, (a) => a.delayed), axonStart, runs: target.length, runTarget: target, runLength: length, synapses: weight.length, weight };
  });
  // routes: for each source neuron, the cores whose synapse tables hold it
  const sources = [-1, ...net.units.map((u, k) => (u.kind === 'population' ? k : -2)).filter((k) => k >= 0), ...net.pools.map((_, q) => poolSource(q))];
  const sizeOf = (s: number): number => (s === -1 ? net.inputSize : s >= 0 ? net.units[s].size : net.pools[-2 - s].cells);
  const routes: ImageRoute[] = sources.map((source) => {
    const dest: number[][] = Array.from({ length: sizeOf(source) }, () => []);
    cores.forEach((c, k) => {
      for (let a = 0; a < c.axons; a++) {
        const l = dest[c.axonNeuron[a]];
        if (c.axonSource[a] === source && l[l.length - 1] !== k) l.push(k);
      }
    });
    const start = new Int32Array(dest.length + 1);
    let n = 0;
    dest.forEach((l, j) => {
      start[j] = n;
      n += l.length;
    });
    start[dest.length] = n;
    return { source, size: dest.length, start, entries: n, cores: Int32Array.from(dest.flat()) };
  });
  const c = d.cycles;
  return {
    version: IMAGE_VERSION,
    steps: net.steps,
    meshWidth: d.mesh.width,
    meshHeight: d.mesh.height,
    cyclesPerEvent: c.perEvent.value,
    cyclesPerSynOp: c.perSynOp.value,
    cyclesPerNeuronUpdate: c.perNeuronUpdate.value,
    cyclesPerHop: c.perHop.value,
    cyclesPerPacketSent: c.perPacketSent.value,
    queueDepth: d.queueDepth.value,
    clockHz: d.clockHz.value,
    inputSize: net.inputSize,
    inputC: net.inputShape.C,
    inputH: net.inputShape.H,
    inputW: net.inputShape.W,
    inputFrames: net.inputFrames,
    output: net.output,
    unitCount: units.length,
    units,
    poolCount: net.pools.length,
    pools: net.pools.map((p) => ({ unit: p.unit, channels: p.channels, positions: p.positions, cells: p.cells, fanStart: Int32Array.from(p.fanStart), fanCount: p.fanOut.length, fanOut: Int32Array.from(p.fanOut) })),
    coreCount: cores.length,
    cores,
    routeCount: routes.length,
    routes,
  };
}
