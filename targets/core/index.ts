/**
 * The event-driven core target: compile = quantize for the preset's formats, extract the core
 * network (network.ts), map it onto the mesh (map.ts), encode the memory image (image.ts); run =
 * decode the image and simulate it cycle by cycle (simulate.ts). Files: model.img (the image),
 * model.map (what lies where) and utilization.txt (per-core use against the limits).
 */
import type { Graph } from '../../ir/types.js';
import type { ProgramFile } from '../target.js';
import { loadCorePreset, quantizerView, type CoreDesc } from './desc.js';
import { buildImage } from './build-image.js';
import { encodeImage, imageMap, type CoreImage } from './image.js';
import { mapNetwork, utilizationJson, utilizationTable, type Mapping } from './map.js';
import { coreNetwork } from './network.js';

export { CoreSimulator, CycleTally, runSample, type CoreTiming, type CoreWork } from './simulate.js';
export { decodeImage } from './image.js';
export { corePresets, loadCorePreset } from './desc.js';

export const IMAGE_FILE = 'model.img';

export interface CoreCompilation {
  readonly image: CoreImage;
  readonly bytes: Uint8Array;
  readonly mapping: Mapping;
  readonly files: ProgramFile[];
}

export function compileForCore(g: Graph, d: CoreDesc): CoreCompilation {
  const net = coreNetwork(g);
  const mapping = mapNetwork(net, d);
  const image = buildImage(net, mapping, d);
  const bytes = encodeImage(image);
  const files: ProgramFile[] = [
    { path: IMAGE_FILE, contents: bytes },
    { path: 'model.map', contents: imageMap(image) },
    { path: 'utilization.txt', contents: `core preset ${d.name}${d.approximates ? ` (approximates ${d.approximates})` : ''}\n${utilizationTable(mapping, d)}` },
    { path: 'utilization.json', contents: `${JSON.stringify(utilizationJson(mapping, d), null, 1)}\n` },
  ];
  return { image, bytes, mapping, files };
}

export function coreTarget(preset: string): { desc: CoreDesc; quantizer: ReturnType<typeof quantizerView> } {
  const desc = loadCorePreset(preset);
  return { desc, quantizer: quantizerView(desc) };
}
