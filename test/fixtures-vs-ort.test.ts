/** Every fixture model imports, and the float executor matches onnxruntime on 256 test images. */
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { runAnn } from '../src/exec/ann.js';
import { argmaxRows } from '../src/data/dataset.js';
import { testImages } from './helpers/data.js';
import { maxRelDiff } from './helpers/compare.js';
import { FIXTURE_MODELS, modelPath } from './helpers/paths.js';

const N = 256;

describe('float executor vs onnxruntime (256 test images)', () => {
  const x = testImages(N);
  for (const name of FIXTURE_MODELS) {
    it(name, async () => {
      const g = importOnnxFile(modelPath(name));
      const [y] = runAnn(g, [{ shape: [N, 1, 28, 28], data: x }]);
      const session = await ort.InferenceSession.create(modelPath(name));
      const ref = (await session.run({ input: new ort.Tensor('float32', x, [N, 1, 28, 28]) })).logits.data as Float32Array;
      expect(y.shape).toEqual([N, 10]);
      expect(maxRelDiff(y.data, ref)).toBeLessThanOrEqual(1e-4);
      expect(Array.from(argmaxRows(y.data, N, 10))).toEqual(Array.from(argmaxRows(ref, N, 10)));
    });
  }
});
