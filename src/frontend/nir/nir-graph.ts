/**
 * A NIR file as data: the `node` group of the HDF5 layout NIR's reference reader
 * (nir/serialization.py) reads and writes —
 *
 *   version                         string ("0.1.1", "0.2.0", ...)
 *   node/type = "NIRGraph"
 *   node/nodes/<name>/type          string: Input, Output, Affine, Linear, LIF, ...
 *   node/nodes/<name>/<param>       one dataset per parameter (shapes exclude the batch axis)
 *   node/nodes/<name>/metadata/...  optional, never needed to run the graph
 *   node/edges                      [E, 2] strings, source -> target
 *   node/metadata/...               optional
 *
 * Checked here: the layout, that every edge names two nodes, the parameters each primitive needs
 * and that they have the same number of values. What snnc can run is the importer's business.
 */
import { SnncError } from '../../../ir/diagnostics.js';
import type { H5Dataset, H5Group, H5Node } from './hdf5.js';

export interface NirTensor {
  readonly shape: readonly number[];
  readonly data: Float64Array;
}

export interface NirNode {
  readonly name: string;
  readonly type: string;
  readonly params: ReadonlyMap<string, NirTensor>;
  /** Metadata entries as strings (numbers printed), for names and provenance only. */
  readonly metadata: ReadonlyMap<string, string>;
}

export interface NirGraph {
  readonly version: string;
  /** In the file's order (HDF5 lists a group's members by name). */
  readonly nodes: ReadonlyMap<string, NirNode>;
  readonly edges: readonly (readonly [string, string])[];
  readonly metadata: ReadonlyMap<string, string>;
}

/** The parameters each primitive must have (NIR 0.1 files lack v_reset: it defaults to 0). */
export const NIR_PARAMS: Readonly<Record<string, readonly string[]>> = {
  Input: ['shape'],
  Output: ['shape'],
  Affine: ['weight', 'bias'],
  Linear: ['weight'],
  Conv1d: ['weight', 'stride', 'padding', 'dilation', 'groups', 'bias'],
  Conv2d: ['weight', 'stride', 'padding', 'dilation', 'groups', 'bias'],
  SumPool2d: ['kernel_size', 'stride', 'padding'],
  AvgPool2d: ['kernel_size', 'stride', 'padding'],
  Flatten: ['start_dim', 'end_dim'],
  Scale: ['scale'],
  Threshold: ['threshold'],
  Delay: ['delay'],
  I: ['r'],
  IF: ['r', 'v_threshold'],
  LI: ['tau', 'r', 'v_leak'],
  LIF: ['tau', 'r', 'v_leak', 'v_threshold'],
  CubaLI: ['tau_syn', 'tau_mem', 'r', 'v_leak'],
  CubaLIF: ['tau_syn', 'tau_mem', 'r', 'v_leak', 'v_threshold'],
};

/** Parameters that hold one value per neuron and must agree in size. */
const NEURON_PARAMS = new Set(['tau', 'tau_syn', 'tau_mem', 'r', 'v_leak', 'v_threshold', 'v_reset', 'threshold']);

function bad(message: string): never {
  throw new SnncError('SNN0321', message);
}

function group(node: H5Node | undefined, path: string): H5Group {
  if (!node || node.kind !== 'group') bad(`expected an HDF5 group at ${path}${node ? ', found a dataset' : ', found nothing'}`);
  return node;
}

function str(node: H5Node | undefined, path: string): string {
  if (!node || node.kind !== 'dataset' || node.data instanceof Float64Array || node.data.length !== 1) bad(`expected a string at ${path}`);
  return (node.data as readonly string[])[0];
}

function readMetadata(g: H5Group): Map<string, string> {
  const out = new Map<string, string>();
  const m = g.children.get('metadata');
  if (m?.kind !== 'group') return out;
  for (const [k, v] of m.children) {
    if (v.kind !== 'dataset') continue;
    out.set(k, v.data instanceof Float64Array ? Array.from(v.data).join(',') : v.data.join(','));
  }
  return out;
}

function readNode(name: string, g: H5Group, path: string): NirNode {
  const type = str(g.children.get('type'), `${path}/type`);
  if (type === 'NIRGraph') throw new SnncError('SNN0322', `NIR node ${name}: nested NIRGraph subgraphs are not supported (flatten the graph before export)`);
  const need = NIR_PARAMS[type];
  if (!need) throw new SnncError('SNN0322', `NIR node ${name} is a ${type}; snnc reads ${Object.keys(NIR_PARAMS).join(', ')}`);
  const params = new Map<string, NirTensor>();
  for (const [k, v] of g.children) {
    if (k === 'type' || k === 'metadata' || v.kind !== 'dataset') continue;
    const ds = v as H5Dataset;
    if (!(ds.data instanceof Float64Array)) continue; // strings: names, not parameters
    params.set(k, { shape: ds.shape, data: ds.data });
  }
  for (const p of need) if (!params.has(p)) throw new SnncError('SNN0323', `NIR node ${name} (${type}) has no parameter ${p}`);
  const sizes = [...params].filter(([k]) => NEURON_PARAMS.has(k)).map(([k, t]) => [k, t.data.length] as const);
  const mismatch = sizes.find(([, n]) => n !== sizes[0][1]);
  if (mismatch) throw new SnncError('SNN0323', `NIR node ${name} (${type}): parameters have different sizes (${sizes.map(([k, n]) => `${k} ${n}`).join(', ')})`);
  return { name, type, params, metadata: readMetadata(g) };
}

/** The NIR graph in an HDF5 tree; coded errors for a file that is HDF5 but not NIR. */
export function nirGraphOf(root: H5Group, label: string): NirGraph {
  const versionNode = root.children.get('version');
  const version = versionNode ? str(versionNode, '/version') : bad(`${label} is HDF5 but not NIR: no /version`);
  const node = root.children.get('node');
  if (!node) bad(`${label} is HDF5 but not NIR: no /node group`);
  const top = group(node, '/node');
  const type = str(top.children.get('type'), '/node/type');
  if (type !== 'NIRGraph') bad(`${label}: /node is a ${type}, expected a NIRGraph`);
  const nodes = new Map<string, NirNode>();
  for (const [name, n] of group(top.children.get('nodes'), '/node/nodes').children) nodes.set(name, readNode(name, group(n, `/node/nodes/${name}`), `/node/nodes/${name}`));
  const e = top.children.get('edges');
  if (!e || e.kind !== 'dataset' || e.data instanceof Float64Array) bad(`${label}: /node/edges must be an [E, 2] array of strings`);
  const flat = e.data;
  if (flat.length % 2 !== 0 || (e.shape.length !== 2 && flat.length !== 0) || (e.shape.length === 2 && e.shape[1] !== 2)) bad(`${label}: /node/edges has shape [${e.shape}], expected [E, 2]`);
  const edges: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) {
    const [a, b] = [flat[i], flat[i + 1]];
    for (const end of [a, b]) if (!nodes.has(end)) throw new SnncError('SNN0323', `NIR edge ${a} -> ${b} names ${end}, which is not a node of the graph`);
    edges.push([a, b]);
  }
  return { version, nodes, edges, metadata: readMetadata(top) };
}
