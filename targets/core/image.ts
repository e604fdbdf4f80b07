/**
 * The memory image of a mapped network: a versioned little-endian binary, laid out by ONE table
 * (LAYOUT) that both the encoder and the decoder walk, so they cannot disagree. Sections: header
 * (mesh, cycle costs, clock), units (neuron parameters and initial state, per-step bias tables),
 * cores (the slice each holds and its synapse table: axons = (source, neuron) with their local
 * targets and weights) and routes (for each source neuron, its destination cores).
 *
 * The decoder trusts nothing: every count is checked against the bytes left before anything is
 * allocated (SNN0702), and every index and width against the rest of the image (SNN0703), so a
 * corrupt or hostile image gives a coded error, never a crash or a huge allocation.
 */
import { SnncError } from '../../ir/diagnostics.js';
import type { TppRule } from '../../ir/tpp.js';

export const IMAGE_MAGIC = 'SNNCCORE';
export const IMAGE_VERSION = 5;

/** The image's code of each TPP firing rule (0: an integrate-and-fire unit); part of the format. */
export const TPP_RULE_CODES: Readonly<Record<TppRule, number>> = { remaining: 1, iid: 2, round: 3 };
/** The rule of a code, for the decoder and the simulator. */
export const TPP_RULE_OF_CODE: ReadonlyMap<number, TppRule> = new Map(Object.entries(TPP_RULE_CODES).map(([rule, code]) => [code, rule as TppRule]));

export interface ImageUnit {
  kind: number; // 0 population, 1 readout
  size: number;
  channels: number;
  level: number;
  accBits: number;
  vBits: number;
  overflow: number; // 0 saturate, 1 wrap
  subtract: number;
  leakKind: number; // 0 none, 1 shift, 2 mul
  leakShift: number;
  leakMul: number;
  leakRound: number; // 0 floor, 1 trunc, 2 half-up
  /** 0, or `size`: a leak multiplier per neuron (then leakMul is unused). */
  leakMulCount: number;
  leakMuls: Int32Array;
  threshold: Int32Array;
  vinit: Int32Array;
  biasRows: number;
  bias: Int32Array; // biasRows x size
  tppRule: number; // 0 integrate-and-fire, else TPP_RULE_CODES of the rule
  window: number; // layer-major window offset (ir/tpp.ts), 0 in a step-major network
  tppSeed: number;
  tppKey: number;
}

/**
 * A core's synapse table: each axon (a source neuron heard here) owns runs of consecutive local
 * targets; run r covers targets runTarget[r] .. + runLength[r] - 1, whose weights follow one
 * another in `weight` (a convolution's fan-out is a few runs of one channel group each).
 */
export interface ImageCore {
  unit: number;
  start: number;
  count: number;
  axons: number;
  axonSource: Int32Array; // -1 input, k >= 0 unit k's spikes, -2 - q pool stage q's cells
  axonNeuron: Int32Array;
  /** 1: the axon's synapses feed the next step's current (synaptic delay 1). */
  axonDelayed: Int32Array;
  axonStart: Int32Array; // axons + 1, into the runs
  runs: number;
  runTarget: Int32Array; // local neuron index of the run's first target
  runLength: Int32Array;
  synapses: number;
  weight: Int32Array; // synapses = the sum of the run lengths
}

/** A pool stage of the cores holding population `unit` (see network.ts, PoolStage). */
export interface ImagePool {
  unit: number;
  channels: number;
  positions: number;
  cells: number;
  fanStart: Int32Array; // positions + 1
  fanCount: number;
  fanOut: Int32Array;
}

export interface ImageRoute {
  source: number; // -1 input, k >= 0 unit k's spikes, -2 - q pool stage q's cells
  size: number;
  start: Int32Array; // size + 1
  entries: number;
  cores: Int32Array;
}

export interface CoreImage {
  version: number;
  steps: number;
  meshWidth: number;
  meshHeight: number;
  cyclesPerEvent: number;
  cyclesPerSynOp: number;
  cyclesPerNeuronUpdate: number;
  cyclesPerHop: number;
  cyclesPerPacketSent: number;
  queueDepth: number;
  clockHz: number;
  inputSize: number;
  inputC: number;
  inputH: number;
  inputW: number;
  /** 1: the input is one value per sample (delivered at load); T: one frame per step (delivered at each step). */
  inputFrames: number;
  output: number;
  unitCount: number;
  units: ImageUnit[];
  poolCount: number;
  pools: ImagePool[];
  coreCount: number;
  cores: ImageCore[];
  routeCount: number;
  routes: ImageRoute[];
}

type Obj = Record<string, unknown>;
type Field = { name: string; type: 'u32' | 'i32' | 'f64' } | { name: string; type: 'i32[]'; count: (o: Obj) => number } | { name: string; type: 'list'; count: (o: Obj) => number; fields: Field[] };

const n = (k: string) => (o: Obj) => o[k] as number;

/** The one description of the image's bytes. */
export const LAYOUT: Field[] = [
  ...['version', 'steps', 'meshWidth', 'meshHeight', 'cyclesPerEvent', 'cyclesPerSynOp', 'cyclesPerNeuronUpdate', 'cyclesPerHop', 'cyclesPerPacketSent', 'queueDepth'].map((name) => ({ name, type: 'u32' as const })),
  { name: 'clockHz', type: 'f64' },
  ...['inputSize', 'inputC', 'inputH', 'inputW', 'inputFrames', 'output'].map((name) => ({ name, type: 'u32' as const })),
  { name: 'unitCount', type: 'u32' },
  {
    name: 'units',
    type: 'list',
    count: n('unitCount'),
    fields: [
      ...['kind', 'size', 'channels', 'level', 'accBits', 'vBits', 'overflow', 'subtract', 'leakKind', 'leakShift', 'leakMul', 'leakRound', 'leakMulCount'].map((name) => ({ name, type: 'u32' as const })),
      { name: 'leakMuls', type: 'i32[]', count: n('leakMulCount') },
      { name: 'threshold', type: 'i32[]', count: n('size') },
      { name: 'vinit', type: 'i32[]', count: n('size') },
      { name: 'biasRows', type: 'u32' },
      { name: 'bias', type: 'i32[]', count: (o) => (o.biasRows as number) * (o.size as number) },
      ...['tppRule', 'window', 'tppSeed', 'tppKey'].map((name) => ({ name, type: 'u32' as const })),
    ],
  },
  { name: 'poolCount', type: 'u32' },
  {
    name: 'pools',
    type: 'list',
    count: n('poolCount'),
    fields: [
      ...['unit', 'channels', 'positions', 'cells'].map((name) => ({ name, type: 'u32' as const })),
      { name: 'fanStart', type: 'i32[]', count: (o) => (o.positions as number) + 1 },
      { name: 'fanCount', type: 'u32' },
      { name: 'fanOut', type: 'i32[]', count: n('fanCount') },
    ],
  },
  { name: 'coreCount', type: 'u32' },
  {
    name: 'cores',
    type: 'list',
    count: n('coreCount'),
    fields: [
      ...['unit', 'start', 'count', 'axons'].map((name) => ({ name, type: 'u32' as const })),
      { name: 'axonSource', type: 'i32[]', count: n('axons') },
      { name: 'axonNeuron', type: 'i32[]', count: n('axons') },
      { name: 'axonDelayed', type: 'i32[]', count: n('axons') },
      { name: 'axonStart', type: 'i32[]', count: (o) => (o.axons as number) + 1 },
      { name: 'runs', type: 'u32' },
      { name: 'runTarget', type: 'i32[]', count: n('runs') },
      { name: 'runLength', type: 'i32[]', count: n('runs') },
      { name: 'synapses', type: 'u32' },
      { name: 'weight', type: 'i32[]', count: n('synapses') },
    ],
  },
  { name: 'routeCount', type: 'u32' },
  {
    name: 'routes',
    type: 'list',
    count: n('routeCount'),
    fields: [
      { name: 'source', type: 'i32' },
      { name: 'size', type: 'u32' },
      { name: 'start', type: 'i32[]', count: (o) => (o.size as number) + 1 },
      { name: 'entries', type: 'u32' },
      { name: 'cores', type: 'i32[]', count: n('entries') },
    ],
  },
];

// ------------------------------------------------------------------ encoding

class Writer {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  at = 0;
  private room(k: number): void {
    if (this.at + k <= this.buf.length) return;
    const b = new Uint8Array(Math.max(this.buf.length * 2, this.at + k));
    b.set(this.buf);
    this.buf = b;
    this.view = new DataView(b.buffer);
  }
  u32(v: number): void {
    if (!(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) throw new Error(`internal: ${v} is not a u32`);
    this.room(4);
    this.view.setUint32(this.at, v, true);
    this.at += 4;
  }
  i32(v: number): void {
    if (!(Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) throw new Error(`internal: ${v} is not an i32`);
    this.room(4);
    this.view.setInt32(this.at, v, true);
    this.at += 4;
  }
  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.at, v, true);
    this.at += 8;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }
  done(): Uint8Array {
    return this.buf.slice(0, this.at);
  }
}

function encodeFields(w: Writer, fields: Field[], o: Obj): void {
  for (const f of fields) {
    const v = o[f.name];
    if (f.type === 'u32') w.u32(v as number);
    else if (f.type === 'i32') w.i32(v as number);
    else if (f.type === 'f64') w.f64(v as number);
    else if (f.type === 'i32[]') {
      const a = v as Int32Array;
      if (a.length !== f.count(o)) throw new Error(`internal: ${f.name} has ${a.length} entries, the layout says ${f.count(o)}`);
      for (let i = 0; i < a.length; i++) w.i32(a[i]);
    } else if (f.type === 'list') {
      const list = v as Obj[];
      if (list.length !== f.count(o)) throw new Error(`internal: ${f.name} has ${list.length} entries, the layout says ${f.count(o)}`);
      for (const item of list) encodeFields(w, f.fields, item);
    }
  }
}

export function encodeImage(img: CoreImage): Uint8Array {
  const w = new Writer();
  w.bytes(new TextEncoder().encode(IMAGE_MAGIC));
  encodeFields(w, LAYOUT, img as unknown as Obj);
  return w.done();
}

// ------------------------------------------------------------------ decoding

class Reader {
  private readonly view: DataView;
  at = 0;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(k: number, what: string): void {
    if (this.at + k > this.bytes.length) throw new SnncError('SNN0702', `image truncated in ${what} at byte ${this.at} (needs ${k} more bytes, ${this.bytes.length - this.at} left)`);
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }
  i32(what: string): number {
    this.need(4, what);
    const v = this.view.getInt32(this.at, true);
    this.at += 4;
    return v;
  }
  f64(what: string): number {
    this.need(8, what);
    const v = this.view.getFloat64(this.at, true);
    this.at += 8;
    return v;
  }
  i32s(count: number, what: string): Int32Array {
    if (!(Number.isSafeInteger(count) && count >= 0)) throw new SnncError('SNN0702', `${what}: count ${count} is not a length`);
    this.need(count * 4, what);
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.view.getInt32(this.at + 4 * i, true);
    this.at += count * 4;
    return out;
  }
  get left(): number {
    return this.bytes.length - this.at;
  }
}

/** The smallest number of bytes one entry of a list takes (for the count check before allocation). */
function minBytes(fields: Field[]): number {
  return fields.reduce((a, f) => a + (f.type === 'f64' ? 8 : f.type === 'list' ? 0 : 4), 0);
}

function decodeFields(r: Reader, fields: Field[], path: string): Obj {
  const o: Obj = {};
  for (const f of fields) {
    const what = `${path}${f.name}`;
    if (f.type === 'u32') o[f.name] = r.u32(what);
    else if (f.type === 'i32') o[f.name] = r.i32(what);
    else if (f.type === 'f64') o[f.name] = r.f64(what);
    else if (f.type === 'i32[]') o[f.name] = r.i32s(f.count(o), what);
    else if (f.type === 'list') {
      const count = f.count(o);
      const least = minBytes(f.fields);
      if (count * least > r.left) throw new SnncError('SNN0702', `${what}: ${count} entries of at least ${least} bytes do not fit the ${r.left} bytes left`);
      const list: Obj[] = [];
      for (let i = 0; i < count; i++) list.push(decodeFields(r, f.fields, `${what}[${i}].`));
      o[f.name] = list;
    }
  }
  return o;
}

function bad(message: string): never {
  throw new SnncError('SNN0703', message);
}

/** Every index and width in range, so the simulator can trust the image. */
function checkImage(img: CoreImage): void {
  if (img.steps < 1 || img.steps > 1e6) bad(`steps ${img.steps} out of range`);
  if (img.meshWidth < 1 || img.meshHeight < 1 || img.meshWidth * img.meshHeight > 65536) bad(`mesh ${img.meshWidth}x${img.meshHeight} out of range`);
  if (!(img.clockHz > 0 && Number.isFinite(img.clockHz))) bad(`clock ${img.clockHz} Hz is not a positive frequency`);
  if (img.inputSize !== img.inputC * img.inputH * img.inputW) bad(`input size ${img.inputSize} is not ${img.inputC}x${img.inputH}x${img.inputW}`);
  if (img.inputFrames !== 1 && img.inputFrames !== img.steps) bad(`input frames ${img.inputFrames}: expected 1 (a static input) or the ${img.steps} steps`);
  if (img.output >= img.unitCount || img.units[img.output].kind !== 1) bad(`output unit ${img.output} is not a readout`);
  // a step-major unit waiting for delayed input has leading zero rows: up to the run's length
  const runLength = Math.max(img.steps, ...img.units.map((u) => (u.kind === 1 && u.tppRule === 0 ? Math.min(u.window, 1e6) + img.steps : img.steps)));
  img.units.forEach((u, k) => {
    if (u.kind > 1 || u.channels < 1 || u.size % u.channels !== 0) bad(`unit ${k}: kind ${u.kind}, ${u.size} neurons in ${u.channels} channels`);
    if (u.accBits < 2 || u.accBits > 48 || u.vBits < 2 || u.vBits > 48 || u.overflow > 1 || u.subtract > 1) bad(`unit ${k}: widths or modes out of range`);
    if (u.leakKind > 2 || u.leakShift > 30 || u.leakRound > 2 || u.leakMul * 2 ** (u.vBits - 1) >= 2 ** 53) bad(`unit ${k}: leak out of range`);
    if (u.leakMulCount !== 0 && u.leakMulCount !== u.size) bad(`unit ${k}: ${u.leakMulCount} leak multipliers for ${u.size} neurons`);
    if (u.leakMuls.some((m) => m < 0 || m * 2 ** (u.vBits - 1) >= 2 ** 53)) bad(`unit ${k}: a leak multiplier out of range`);
    if (u.biasRows < 1 || u.biasRows > runLength) bad(`unit ${k}: ${u.biasRows} bias rows for ${runLength} steps`);
    if (u.kind === 0 && u.threshold.some((t) => t <= 0)) bad(`unit ${k}: a threshold is not positive`);
    if (u.level < 1 || u.level > img.unitCount) bad(`unit ${k}: level ${u.level} out of range`);
    if (u.tppRule !== 0 && (!TPP_RULE_OF_CODE.has(u.tppRule) || u.kind !== 0 || u.vBits > 37 || u.leakKind !== 0 || u.subtract !== 1)) bad(`unit ${k}: TPP rule ${u.tppRule} on a unit that cannot run it`);
    if (u.window > 1e6 || (u.tppRule !== 0 && u.threshold.some((t) => t * 65535 * img.steps >= 2 ** 53))) bad(`unit ${k}: window ${u.window} or a TPP threshold out of range`);
  });
  img.pools.forEach((p, k) => {
    if (p.unit >= img.unitCount || img.units[p.unit].kind !== 0) bad(`pool ${k}: unit ${p.unit} is not a population`);
    if (p.channels * p.positions !== img.units[p.unit].size || p.channels < 1 || p.cells % p.channels !== 0) bad(`pool ${k}: ${p.channels} x ${p.positions} does not cover unit ${p.unit}, or ${p.cells} cells are not whole positions`);
    if (p.fanStart[0] !== 0 || p.fanStart[p.positions] !== p.fanCount) bad(`pool ${k}: fan table does not cover its ${p.fanCount} entries`);
    for (let q = 0; q < p.positions; q++) if (p.fanStart[q + 1] < p.fanStart[q]) bad(`pool ${k}: position ${q} has a negative length`);
    for (const o of p.fanOut) if (o < 0 || o >= p.cells / p.channels) bad(`pool ${k}: pooled position ${o} out of range`);
  });
  const sizeOf = (s: number): number => {
    if (s === -1) return img.inputSize;
    if (s >= 0 && s < img.unitCount && img.units[s].kind === 0) return img.units[s].size;
    if (s <= -2 && -2 - s < img.poolCount) return img.pools[-2 - s].cells;
    return bad(`source ${s} is neither the input, a population nor a pool stage`);
  };
  const unitOfSource = (s: number): number => (s >= 0 ? s : s <= -2 ? img.pools[-2 - s].unit : -1);
  img.cores.forEach((c, k) => {
    if (c.unit >= img.unitCount) bad(`core ${k}: unit ${c.unit} out of range`);
    const u = img.units[c.unit];
    if (c.start + c.count > u.size) bad(`core ${k}: neurons ${c.start}..${c.start + c.count} outside unit ${c.unit} of ${u.size}`);
    if (c.axonStart[0] !== 0 || c.axonStart[c.axons] !== c.runs) bad(`core ${k}: axon table does not cover its ${c.runs} runs`);
    for (let a = 0; a < c.axons; a++) {
      if (c.axonStart[a + 1] < c.axonStart[a]) bad(`core ${k}: axon ${a} has a negative length`);
      const s = c.axonSource[a];
      const size = sizeOf(s);
      const su = unitOfSource(s);
      if (c.axonDelayed[a] !== 0 && c.axonDelayed[a] !== 1) bad(`core ${k}: axon ${a} has delay ${c.axonDelayed[a]}`);
      if (c.axonDelayed[a] === 0 && su >= 0 && img.units[su].level >= u.level) bad(`core ${k}: axon ${a} comes from unit ${su}, which is not at a lower level`);
      if (c.axonNeuron[a] < 0 || c.axonNeuron[a] >= size) bad(`core ${k}: axon ${a} names neuron ${c.axonNeuron[a]} of a source of ${size}`);
    }
    let words = 0;
    for (let r = 0; r < c.runs; r++) {
      if (c.runLength[r] < 1 || c.runTarget[r] < 0 || c.runTarget[r] + c.runLength[r] > c.count) bad(`core ${k}: run ${r} targets neurons ${c.runTarget[r]}..${c.runTarget[r] + c.runLength[r] - 1} of ${c.count}`);
      words += c.runLength[r];
    }
    if (words !== c.synapses) bad(`core ${k}: runs cover ${words} synapses, the table holds ${c.synapses}`);
  });
  const covered = img.units.map(() => 0);
  for (const c of img.cores) covered[c.unit] += c.count;
  covered.forEach((n, k) => n !== img.units[k].size && bad(`unit ${k}: cores hold ${n} of its ${img.units[k].size} neurons`));
  img.routes.forEach((r, k) => {
    if (r.size !== sizeOf(r.source)) bad(`route ${k}: ${r.size} neurons for a source of ${sizeOf(r.source)}`);
    if (r.start[0] !== 0 || r.start[r.size] !== r.entries) bad(`route ${k}: table does not cover its ${r.entries} entries`);
    for (let i = 0; i < r.size; i++) if (r.start[i + 1] < r.start[i]) bad(`route ${k}: neuron ${i} has a negative length`);
    for (const c of r.cores) if (c < 0 || c >= img.coreCount) bad(`route ${k}: core ${c} out of range`);
  });
  // every packet a route sends finds its axon at the destination, and every axon is reached
  const axons = new Set<string>();
  const seen = new Set<string>();
  img.cores.forEach((c, k) => {
    for (let a = 0; a < c.axons; a++) {
      const key = `${k}:${c.axonSource[a]}:${c.axonNeuron[a]}`;
      if (seen.has(`${key}:${c.axonDelayed[a]}`)) bad(`core ${k}: axon ${a} repeats source ${c.axonSource[a]} neuron ${c.axonNeuron[a]}`);
      seen.add(`${key}:${c.axonDelayed[a]}`);
      axons.add(key);
    }
  });
  let routed = 0;
  for (const r of img.routes) {
    for (let j = 0; j < r.size; j++) {
      for (let e = r.start[j]; e < r.start[j + 1]; e++) {
        if (!axons.has(`${r.cores[e]}:${r.source}:${j}`)) bad(`route of source ${r.source} neuron ${j} names core ${r.cores[e]}, whose synapse table does not hear it`);
        routed++;
      }
    }
  }
  if (routed !== axons.size) bad(`routes reach ${routed} axons, the cores hold ${axons.size}`);
}

export function decodeImage(bytes: Uint8Array, label = 'image'): CoreImage {
  const magic = new TextDecoder('latin1').decode(bytes.subarray(0, IMAGE_MAGIC.length));
  if (magic !== IMAGE_MAGIC) throw new SnncError('SNN0701', `${label} is not a snnc core image (magic ${JSON.stringify(magic)})`);
  const r = new Reader(bytes.subarray(IMAGE_MAGIC.length));
  const version = r.u32('version');
  if (version !== IMAGE_VERSION) throw new SnncError('SNN0701', `${label} is a version ${version} image; this snnc reads version ${IMAGE_VERSION}`);
  r.at = 0;
  const img = decodeFields(r, LAYOUT, '') as unknown as CoreImage;
  if (r.left !== 0) throw new SnncError('SNN0702', `${label}: ${r.left} bytes after the last section`);
  checkImage(img);
  return img;
}

/** A readable listing of what lies where (the .map file). */
export function imageMap(img: CoreImage): string {
  const lines: string[] = [];
  let at = IMAGE_MAGIC.length;
  const put = (what: string, bytes: number): void => {
    lines.push(`${at.toString(16).padStart(8, '0')}  ${String(bytes).padStart(10)}  ${what}`);
    at += bytes;
  };
  put('header: version, steps, mesh, cycle costs, queue depth, clock, input shape, output unit', 4 * 10 + 8 + 4 * 5 + 4);
  img.units.forEach((u, k) => put(`unit ${k} (${u.kind === 0 ? 'population' : 'readout'}, ${u.size} neurons, level ${u.level}): parameters, thresholds, initial membranes, ${u.biasRows} bias rows`, 4 * 12 + 8 * u.size + 4 + 4 * u.biasRows * u.size));
  put('pool count', 4);
  img.pools.forEach((p, k) => put(`pool ${k}: after unit ${p.unit}, ${p.positions} positions x ${p.channels} channels -> ${p.cells} cells, ${p.fanCount} fan entries`, 4 * 4 + 4 * (p.positions + 1) + 4 + 4 * p.fanCount));
  put('core count', 4);
  img.cores.forEach((c, k) => put(`core ${k}: unit ${c.unit} neurons ${c.start}..${c.start + c.count - 1}, ${c.axons} axons, ${c.runs} runs, ${c.synapses} synapses`, 4 * 4 + 4 * (4 * c.axons + 1) + 4 + 8 * c.runs + 4 + 4 * c.synapses));
  put('route count', 4);
  img.routes.forEach((r, k) => put(`route ${k}: source ${r.source === -1 ? 'input' : `unit ${r.source}`}, ${r.size} neurons, ${r.entries} destination entries`, 4 + 4 + 4 * (r.size + 1) + 4 + 4 * r.entries));
  lines.push(`${at.toString(16).padStart(8, '0')}  end`);
  return `offset    bytes       content\n${lines.join('\n')}\n`;
}
