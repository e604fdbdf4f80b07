/** A bundled fixture model compiled for the C target at T steps, and its first n test images as integers (benchmarks' common setup). */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Graph } from '../ir/types.js';
import { cTarget } from '../targets/c/index.js';
import { loadImages } from '../src/data/dataset.js';
import { integerSamples, type IntSamples } from '../src/data/integer.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { DEFAULT_METHOD } from '../src/methods.js';
import { calibrate, prepareAnn, toFixed, toSnn } from '../src/pipeline.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export async function fixtureNetwork(model: string, n: number, T: number): Promise<{ fixed: Graph; samples: IntSamples }> {
  const g = importOnnxFile(join(ROOT, `examples/models/${model}.onnx`));
  const ann = prepareAnn(g);
  const inputType = g.nodes.find((x) => x.op === 'input')!.type;
  const stats = await calibrate(ann, loadImages(join(ROOT, 'examples/data/fmnist-calib-images.npy'), inputType, 1 / 255), 2);
  const fixed = toFixed(toSnn(ann, stats, DEFAULT_METHOD, T), cTarget(), { inputScale: 1 / 255 });
  const samples = integerSamples(fixed, loadImages(join(ROOT, 'examples/data/fmnist-test-images.npy'), inputType, 1 / 255, n));
  return { fixed, samples };
}
