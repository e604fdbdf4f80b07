/** Test data: the first n Fashion-MNIST test images as float32 in [0, 1], and their labels. */
import { readNpy } from '../../src/data/npy.js';
import { TEST_IMAGES, TEST_LABELS } from './paths.js';

export function testImages(n: number): Float32Array {
  const a = readNpy(TEST_IMAGES);
  const out = new Float32Array(n * 784);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] / 255;
  return out;
}

export function testLabels(n: number): Int32Array {
  return Int32Array.from(readNpy(TEST_LABELS).data.subarray(0, n));
}
