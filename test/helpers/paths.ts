/** Paths of the repository's bundled models and data (copied from ../shared/fixtures; see examples/README.md). */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MODELS = join(ROOT, 'examples/models');
export const DATA = join(ROOT, 'examples/data');
export const TEST_IMAGES = join(DATA, 'fmnist-test-images.npy');
export const TEST_LABELS = join(DATA, 'fmnist-test-labels.npy');
export const CALIB_IMAGES = join(DATA, 'fmnist-calib-images.npy');
export const ONNX_FIXTURES = join(ROOT, 'test/fixtures/onnx');
export const CLI = join(ROOT, 'dist/src/cli/main.js');

export const FIXTURE_MODELS = ['fmnist-mlp', 'fmnist-cnn-bn', 'fmnist-cnn-fused', 'fmnist-qcfs', 'fmnist-dwsep', 'fmnist-resnet', 'fmnist-vgg-maxpool', 'fmnist-qcfs-resnet', 'fmnist-qcfs-dwsep'];
export const modelPath = (name: string): string => join(MODELS, `${name}.onnx`);
