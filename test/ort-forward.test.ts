/**
 * Calibration's onnxruntime forward (src/exec/ort-forward.ts): the ann graph written as ONNX
 * computes every value the float executor computes, on the fixture models and on the forms real
 * exporters write; the statistics it gives are the executor's; a disagreement is refused.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { SnncError } from '../ir/diagnostics.js';
import { BATCH, type Graph } from '../ir/types.js';
import { loadImages } from '../src/data/dataset.js';
import { annToOnnx } from '../src/exec/ann-to-onnx.js';
import { runAnn } from '../src/exec/ann.js';
import { annMacs, AUTO_MACS, checkAgreement, resolveForward } from '../src/exec/ort-forward.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { computeThresholds } from '../src/passes/balance-thresholds.js';
import { collectActivations } from '../src/passes/calibrate.js';
import { prepareAnn } from '../src/pipeline.js';
import { Rng } from '../src/util/rng.js';
import { CALIB_IMAGES, FIXTURE_MODELS, modelPath, ROOT } from './helpers/paths.js';

const EXPORTER_FORMS = join(ROOT, 'test/fixtures/onnx');

/** Every value of `g` from onnxruntime (the exported model with all of them as outputs) and from the executor, on seeded inputs. */
async function bothWays(g: Graph, batch = 3): Promise<{ ids: string[]; ort: Record<string, Float32Array>; ref: Record<string, Float32Array> }> {
  const rng = new Rng(7);
  const inputs = g.nodes.filter((n) => n.op === 'input');
  const tensors = inputs.map((n) => {
    const shape = n.type.shape.map((d) => (d === BATCH ? batch : d));
    return { shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.next() * 2 - 1) };
  });
  const ids = g.nodes.filter((n) => n.op !== 'input').map((n) => n.id);
  const ref: Record<string, Float32Array> = {};
  runAnn(g, tensors, { onValue: (n, t) => void (ref[n.id] = t.data) });
  const session = await ort.InferenceSession.create(annToOnnx(g, ids));
  const feeds = Object.fromEntries(inputs.map((n, i) => [n.id, new ort.Tensor('float32', tensors[i].data, tensors[i].shape)]));
  const out = await session.run(feeds, ids);
  await session.release();
  return { ids, ort: Object.fromEntries(ids.map((id) => [id, out[id].data as Float32Array])), ref };
}

describe('ann graph -> ONNX -> onnxruntime computes the executor\'s values', () => {
  const forms = readdirSync(EXPORTER_FORMS).filter((f) => f.endsWith('.onnx') && !f.startsWith('external')).map((f) => join(EXPORTER_FORMS, f));
  const exporter = readdirSync(join(EXPORTER_FORMS, 'exporter')).filter((f) => f.endsWith('.onnx')).map((f) => join(EXPORTER_FORMS, 'exporter', f));
  for (const path of [...FIXTURE_MODELS.map(modelPath), ...forms, ...exporter]) {
    const name = path.slice(ROOT.length);
    it(`${name}: every value, as imported and as prepared for conversion`, async () => {
      for (const g of [importOnnxFile(path), prepareAnn(importOnnxFile(path))]) {
        const { ids, ort: ours, ref } = await bothWays(g);
        expect(ids.length).toBeGreaterThan(0);
        expect(() => checkAgreement(ids, ours, ref)).not.toThrow();
      }
    });
  }
});

describe('calibration through onnxruntime', () => {
  // A QCFS floor turns a last-bit difference near a rounding boundary into a whole level (λ/L);
  // onnxruntime sums a convolution in another order, so on a network with floors a few such
  // flips move a percentile a little (fmnist-qcfs-resnet's logits by 0.55 %). checkAgreement
  // allows them for the same reason (AGREE_OUTLIERS).
  it('gives the executor\'s thresholds on every fixture model (64 calibration images, max and per-channel percentile)', async () => {
    for (const name of FIXTURE_MODELS) {
      const g = prepareAnn(importOnnxFile(modelPath(name)));
      const tolerance = g.nodes.some((n) => n.op === 'qcfs') ? 1e-2 : 1e-5;
      const calib = loadImages(CALIB_IMAGES, g.nodes[0].type, 1 / 255, 64);
      const a = await collectActivations(g, calib, 2, undefined, { forward: 'snnc' });
      const b = await collectActivations(g, calib, 2, undefined, { forward: 'onnxruntime' });
      for (const rule of [{ kind: 'max' }, { kind: 'channel-percentile', p: 99.9 }] as const) {
        const A = computeThresholds(a, rule, 8);
        const B = computeThresholds(b, rule, 8);
        for (const [id, ta] of A) for (let i = 0; i < ta.length; i++) expect(Math.abs(B.get(id)![i] - ta[i]) / ta[i], `${name} ${id} ${rule.kind}`).toBeLessThanOrEqual(tolerance);
      }
    }
  });

  it('refuses when onnxruntime and the executor disagree, naming the value', () => {
    const id = 'relu_1';
    const ref = { [id]: Float32Array.from({ length: 1000 }, (_, i) => i / 1000) };
    const off = ref[id].map((v, i) => (i % 50 === 0 ? v + 0.01 : v));
    expect(() => checkAgreement([id], { [id]: ref[id].slice() }, ref)).not.toThrow();
    try {
      checkAgreement([id], { [id]: off }, ref);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SnncError);
      expect((e as SnncError).code).toBe('SNN0506');
      expect((e as Error).message).toContain(id);
    }
  });

  it('auto: the executor for every bundled model, onnxruntime past the MAC bound', () => {
    for (const name of FIXTURE_MODELS) {
      const g = prepareAnn(importOnnxFile(modelPath(name)));
      expect(annMacs(g)).toBeLessThan(AUTO_MACS);
      expect(resolveForward(g, 'auto')).toBe('snnc');
      expect(resolveForward(g, 'onnxruntime')).toBe('onnxruntime');
    }
  });
});
