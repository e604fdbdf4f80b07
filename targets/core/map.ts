/**
 * Mapping: split every unit into slices of consecutive neurons that fit one core, and place the
 * slices on the mesh along a serpentine path in level order, so that a layer sits next to the
 * layers it talks to (fewer hops). A slice fits when it holds at most neuronsPerCore neurons,
 * its synapse words (expanded: one per effective synapse; shared: the IR kernels' words once per
 * core and layer) fit synapsesPerCore, and its distinct source neurons fit fanIn. After placement
 * every source neuron's destination cores must fit fanOut.
 *
 * A network that cannot fit fails naming the layer, the binding limit and the numbers (SNN0207).
 */
import { SnncError } from '../../ir/diagnostics.js';
import type { CoreDesc } from './desc.js';
import type { CoreNetwork, Unit } from './network.js';
import { coreXY, hopsBetween } from './mesh.js';

export interface Slice {
  readonly unit: number;
  readonly start: number;
  readonly count: number;
  readonly core: number;
}

export interface CoreUse {
  readonly core: number;
  readonly x: number;
  readonly y: number;
  neurons: number;
  synapses: number;
  fanIn: number;
  /** Largest number of destination cores of one neuron placed here. */
  fanOut: number;
  units: string[];
}

export interface Mapping {
  readonly slices: Slice[];
  readonly cores: CoreUse[];
  /** Mean router hops per (spike, destination core) packet, weighted by synapse count. */
  readonly meanHops: number;
}

function limitError(u: Unit, limit: string, message: string): never {
  throw new SnncError('SNN0207', `layer %${u.id} does not fit: ${limit} — ${message}`, `%${u.id}`);
}

/** Synapse words into each neuron of a unit (expanded storage). */
function inDegrees(u: Unit): Int32Array {
  const words = new Int32Array(u.size);
  for (const p of u.inputs) for (let k = 0; k < p.target.length; k++) words[p.target[k]]++;
  return words;
}

export function mapNetwork(net: CoreNetwork, d: CoreDesc): Mapping {
  const total = d.mesh.width * d.mesh.height;
  const npc = d.neuronsPerCore.value;
  const spc = d.synapsesPerCore.value;
  const shared = d.kernelStorage.value === 'shared';
  const slices: Slice[] = [];
  const cores: CoreUse[] = [];
  const order = net.units.map((_, i) => i).sort((a, b) => net.units[a].level - net.units[b].level || a - b);
  for (const ui of order) {
    const u = net.units[ui];
    const words = inDegrees(u);
    const kernel = u.inputs.reduce((a, p) => a + p.kernelWords, 0);
    if (shared && kernel > spc) limitError(u, 'synapsesPerCore', `its kernels take ${kernel} words, a core holds ${spc} (${d.synapsesPerCore.source})`);
    // source neurons of each target neuron, for the fan-in of a slice
    const srcOf: number[][] = Array.from({ length: u.size }, () => []);
    u.inputs.forEach((p, pi) => {
      for (let j = 0; j + 1 < p.rowStart.length; j++) for (let k = p.rowStart[j]; k < p.rowStart[j + 1]; k++) srcOf[p.target[k]].push(pi * 2 ** 26 + j);
    });
    let start = 0;
    while (start < u.size) {
      let count = 0;
      let syn = shared ? kernel : 0;
      const fan = new Set<number>();
      while (start + count < u.size && count < npc) {
        const i = start + count;
        const addSyn = shared ? 0 : words[i];
        const newSources = srcOf[i].filter((s) => !fan.has(s));
        if (count > 0 && (syn + addSyn > spc || fan.size + newSources.length > d.fanIn.value)) break;
        if (addSyn > spc) limitError(u, 'synapsesPerCore', `neuron ${i} alone has ${addSyn} synapses, a core holds ${spc} (${d.synapsesPerCore.source})`);
        if (newSources.length > d.fanIn.value) limitError(u, 'fanIn', `neuron ${i} alone hears ${newSources.length} source neurons, a core has ${d.fanIn.value} input axons (${d.fanIn.source})`);
        syn += addSyn;
        for (const s of newSources) fan.add(s);
        count++;
      }
      const core = cores.length;
      if (core >= total) {
        limitError(u, 'cores', `the network needs more than the ${total} cores of the ${d.mesh.width}x${d.mesh.height} mesh (${d.mesh.source}); ${slices.length} slices were placed before this layer ran out (neuronsPerCore ${npc}, synapsesPerCore ${spc})`);
      }
      const { x, y } = coreXY(d.mesh.width, core);
      cores.push({ core, x, y, neurons: count, synapses: syn, fanIn: fan.size, fanOut: 0, units: [u.id] });
      slices.push({ unit: ui, start, count, core });
      start += count;
    }
  }
  // fan-out: destination cores of each source neuron
  const coreOf = net.units.map((u) => new Int32Array(u.size));
  for (const s of slices) coreOf[s.unit].fill(s.core, s.start, s.start + s.count);
  const inputCore = 0; // the host injects input events at core 0
  let hopSum = 0;
  let packets = 0;
  const dests = new Map<string, Set<number>>();
  net.units.forEach((u, ui) => {
    for (const p of u.inputs) {
      for (let j = 0; j + 1 < p.rowStart.length; j++) {
        const key = `${p.source}:${j}`;
        let set = dests.get(key);
        if (!set) dests.set(key, (set = new Set()));
        for (let k = p.rowStart[j]; k < p.rowStart[j + 1]; k++) set.add(coreOf[ui][p.target[k]]);
      }
    }
  });
  // the core that sends source neuron j: the input enters at core 0; a pooled cell leaves the
  // core of the first neuron whose window holds it (other holders send partial sums the same way)
  const firstInput = net.pools.map((p) => {
    const first = new Int32Array(p.cells).fill(-1);
    for (let q = 0; q < p.positions; q++) for (let f = p.fanStart[q]; f < p.fanStart[q + 1]; f++) for (let c = 0; c < p.channels; c++) if (first[p.fanOut[f] * p.channels + c] < 0) first[p.fanOut[f] * p.channels + c] = q * p.channels + c;
    return first;
  });
  const senderOf = (src: number, j: number): { core: number; unit: number } => {
    if (src === -1) return { core: inputCore, unit: -1 };
    if (src >= 0) return { core: coreOf[src][j], unit: src };
    const q = -2 - src;
    const unit = net.pools[q].unit;
    return { core: coreOf[unit][Math.max(0, firstInput[q][j])], unit };
  };
  for (const [key, set] of dests) {
    const [src, j] = key.split(':').map(Number);
    const { core: from, unit } = senderOf(src, j);
    if (unit >= 0) {
      const use = cores[from];
      use.fanOut = Math.max(use.fanOut, set.size);
      if (set.size > d.fanOut.value) limitError(net.units[unit], 'fanOut', `${src >= 0 ? 'neuron' : 'pooled cell'} ${j} reaches ${set.size} cores, a neuron may reach ${d.fanOut.value} (${d.fanOut.source})`);
    }
    for (const c of set) {
      hopSum += hopsBetween(d.mesh.width, from, c);
      packets++;
    }
  }
  return { slices, cores, meanHops: packets ? hopSum / packets : 0 };
}

export function utilizationTable(m: Mapping, d: CoreDesc): string {
  const rows = [`${'core'.padStart(5)} ${'x,y'.padStart(7)} ${'neurons'.padStart(14)} ${'synapses'.padStart(20)} ${'fan-in'.padStart(14)} ${'fan-out'.padStart(9)}  layers`];
  const pct = (a: number, b: number): string => `${a} ${((100 * a) / b).toFixed(0).padStart(3)}%`;
  for (const c of m.cores) {
    rows.push(
      `${String(c.core).padStart(5)} ${`${c.x},${c.y}`.padStart(7)} ${pct(c.neurons, d.neuronsPerCore.value).padStart(14)} ${pct(c.synapses, d.synapsesPerCore.value).padStart(20)} ${pct(c.fanIn, d.fanIn.value).padStart(14)} ${String(c.fanOut).padStart(9)}  ${c.units.join(',')}`,
    );
  }
  rows.push(`${m.cores.length} of ${d.mesh.width * d.mesh.height} cores used; mean ${m.meanHops.toFixed(2)} hops per packet`);
  return `${rows.join('\n')}\n`;
}

/** The same, as data (for reports): the limits, and per core its use of each. */
export function utilizationJson(m: Mapping, d: CoreDesc): { preset: string; mesh: { width: number; height: number }; limits: { neurons: number; synapses: number; fanIn: number }; meanHops: number; cores: CoreUse[] } {
  return { preset: d.name, mesh: { width: d.mesh.width, height: d.mesh.height }, limits: { neurons: d.neuronsPerCore.value, synapses: d.synapsesPerCore.value, fanIn: d.fanIn.value }, meanHops: m.meanHops, cores: m.cores };
}
