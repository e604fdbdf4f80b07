/**
 * Models exported with a fixed batch run sample by sample with the dynamic export's outputs, and
 * the forms real exporters write (ReLU6, Transposes, NHWC inputs, MatMul with a transposed
 * weight, views with a fixed batch) import, run as onnxruntime runs them, and convert.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { argmaxRows, inputSpec, loadImages } from '../src/data/dataset.js';
import { simulateFloat } from '../src/exec/run-snn.js';
import { encodeNpy } from '../src/data/npy.js';
import { runAnn } from '../src/exec/ann.js';
import { concatChunks } from '../src/exec/run-ann.js';
import { importOnnxFile } from '../src/frontend/onnx/import.js';
import { calibrate, prepareAnn, toFixed, toSnn } from '../src/pipeline.js';
import { DEFAULT_METHOD } from '../src/methods.js';
import { printGraph } from '../ir/text/print.js';
import type { Graph } from '../ir/types.js';
import { emitC } from '../targets/c/emit.js';
import { cTarget } from '../targets/c/index.js';
import { testImages } from './helpers/data.js';
import { withFixedBatch } from './helpers/fixed-batch.js';
import { maxRelDiff } from './helpers/compare.js';
import { CALIB_IMAGES, FIXTURE_MODELS, modelPath, ONNX_FIXTURES } from './helpers/paths.js';

const work = mkdtempSync(join(tmpdir(), 'snnc-fixed-batch-'));
const exporter = (name: string): string => join(ONNX_FIXTURES, 'exporter', `${name}.onnx`);

/** onnxruntime on `x` ([n, ...sample]) in groups of `batch` (a fixed-batch model takes no other size). */
async function ortRun(path: string, x: Float32Array, sample: readonly number[], n: number, batch: number | undefined): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(path);
  const per = sample.reduce((a, b) => a * b, 1);
  const group = batch ?? n;
  const parts: Float32Array[] = [];
  for (let s = 0; s < n; s += group) {
    const feed = new ort.Tensor('float32', x.slice(s * per, (s + group) * per), [group, ...sample]);
    const out = await session.run({ [session.inputNames[0]]: feed });
    parts.push(out[session.outputNames[0]].data as Float32Array);
  }
  return concatChunks(parts, Float32Array);
}

function seeded(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: n }, () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  });
}

describe('fixture models exported with a fixed batch of 1', () => {
  const N = 16;
  const x = testImages(N);
  for (const name of FIXTURE_MODELS) {
    it(`${name}: same outputs as the dynamic export, and as onnxruntime image by image`, async () => {
      const fixedPath = withFixedBatch(modelPath(name), 1, join(work, `${name}-b1.onnx`));
      const g = importOnnxFile(fixedPath);
      expect(g.meta['onnx.batch']).toBe('1');
      const [y] = runAnn(g, [{ shape: [N, 1, 28, 28], data: x }]);
      expect(y.shape).toEqual([N, 10]);
      const [dyn] = runAnn(importOnnxFile(modelPath(name)), [{ shape: [N, 1, 28, 28], data: x }]);
      expect(Array.from(y.data)).toEqual(Array.from(dyn.data));
      const ref = await ortRun(fixedPath, x, [1, 28, 28], N, 1);
      expect(maxRelDiff(y.data, ref)).toBeLessThan(1e-5);
    });
  }
});

describe('fixed batch of 1: the same spiking and integer networks, so the same accuracies and the same C', () => {
  const calib = (g: Graph) => loadImages(CALIB_IMAGES, inputSpec(g), 1 / 255, 64);
  const compileBoth = async (path: string) => {
    const ann = prepareAnn(importOnnxFile(path));
    const snn = toSnn(ann, await calibrate(ann, calib(ann), 1), DEFAULT_METHOD, 8);
    const fixed = toFixed(snn, cTarget(), { inputScale: 1 / 255 });
    const { 'onnx.batch': _batch, ...meta } = fixed.meta;
    const same = { ...fixed, name: 'm', meta };
    return { snn: printGraph({ ...snn, name: 'm', meta: {} }).text, fixed: printGraph(same).text, c: emitC(same, { prefix: 'm' }).map((f) => (typeof f.contents === 'string' ? f.contents : new TextDecoder().decode(f.contents))).join('\n') };
  };
  for (const name of FIXTURE_MODELS) {
    it(name, async () => {
      const dyn = await compileBoth(modelPath(name));
      const fixed = await compileBoth(withFixedBatch(modelPath(name), 1, join(work, `${name}-b1c.onnx`)));
      expect(fixed.snn).toBe(dyn.snn);
      expect(fixed.fixed).toBe(dyn.fixed);
      expect(fixed.c).toBe(dyn.c);
    });
  }
});

describe('forms real exporters write, against onnxruntime', () => {
  const cases: { name: string; sample: number[]; batch?: number; ops: (ops: string[]) => void }[] = [
    { name: 'fixed-b1', sample: [1, 12, 12], batch: 1, ops: (ops) => expect(ops).toContain('reshape') },
    { name: 'fixed-b2', sample: [1, 12, 12], batch: 2, ops: (ops) => expect(ops).toContain('reshape') },
    { name: 'relu6', sample: [1, 12, 12], ops: (ops) => expect(ops.filter((o) => o === 'clip')).toHaveLength(3) },
    { name: 'matmul-t', sample: [1, 12, 12], ops: (ops) => expect(ops.filter((o) => o === 'dense')).toHaveLength(2) },
    { name: 'nhwc', sample: [12, 12, 1], batch: 1, ops: (ops) => expect(ops.filter((o) => o === 'transpose')).toHaveLength(2) },
    { name: 'nhwc-rgb', sample: [8, 8, 3], ops: (ops) => expect(ops.filter((o) => o === 'transpose')).toHaveLength(2) },
    { name: 'qcfs-channel', sample: [1, 4, 4], ops: (ops) => expect(ops).toContain('floor') },
    { name: 'qcfs-last-axis', sample: [1, 4, 4], ops: (ops) => expect(ops).toContain('floor') },
  ];
  const N = 6;
  for (const c of cases) {
    it(`${c.name}: imports and runs as onnxruntime does, ${c.batch ? `in groups of ${c.batch}` : 'as one batch'}`, async () => {
      const per = c.sample.reduce((a, b) => a * b, 1);
      const x = seeded(N * per, 7).map((v) => v * 8 - 2);
      const g = importOnnxFile(exporter(c.name));
      c.ops(g.nodes.map((n) => n.op));
      const [y] = runAnn(g, [{ shape: [N, ...c.sample], data: x }]);
      expect(y.shape).toEqual([N, 10]);
      const ref = await ortRun(exporter(c.name), x, c.sample, N, c.batch);
      expect(maxRelDiff(y.data, ref)).toBeLessThan(1e-5);
    });
  }

  it('nhwc-rgb: canonicalize folds both transposes; NHWC .npy data are transposed as they are read', async () => {
    const ann = prepareAnn(importOnnxFile(exporter('nhwc-rgb')));
    expect(ann.nodes.map((n) => n.op)).not.toContain('transpose');
    expect(ann.nodes[0].attrs.perm).toEqual([0, 3, 1, 2]);
    expect(ann.nodes[0].type.shape).toEqual([-1, 3, 8, 8]);
    const nhwc = seeded(N * 192, 11);
    const file = join(work, 'nhwc.npy');
    writeFileSync(file, encodeNpy([N, 8, 8, 3], nhwc));
    const images = loadImages(file, inputSpec(ann), undefined);
    expect(images.sampleShape).toEqual([3, 8, 8]);
    const [y] = runAnn(ann, [{ shape: [N, 3, 8, 8], data: images.data }]);
    const ref = await ortRun(exporter('nhwc-rgb'), nhwc, [8, 8, 3], N, undefined);
    expect(maxRelDiff(y.data, ref)).toBeLessThan(1e-5);
    // the data in the model's NCHW shape are refused, naming the layout the file must have
    writeFileSync(join(work, 'nchw.npy'), encodeNpy([N, 3, 8, 8], nhwc));
    expect(() => loadImages(join(work, 'nchw.npy'), inputSpec(ann), undefined)).toThrow(/expects \[count,8,8,3\]/);
  });

  it('QCFS with a λ per channel becomes one qcfs node and still runs as onnxruntime does; a λ along the last axis stays a div-floor chain, which convert refuses', async () => {
    const x = seeded(N * 16, 9).map((v) => v * 8 - 2);
    const [channel, lastAxis] = ['qcfs-channel', 'qcfs-last-axis'].map((name) => prepareAnn(importOnnxFile(exporter(name))));
    const q = channel.nodes.filter((n) => n.op === 'qcfs');
    expect(q).toHaveLength(1);
    expect(channel.consts.get((q[0].attrs.lambda as { const: string }).const)!.data).toHaveLength(4);
    expect(lastAxis.nodes.map((n) => n.op)).not.toContain('qcfs');
    for (const [name, ann] of [['qcfs-channel', channel], ['qcfs-last-axis', lastAxis]] as const) {
      const [y] = runAnn(ann, [{ shape: [N, 1, 4, 4], data: x }]);
      expect(maxRelDiff(y.data, await ortRun(exporter(name), x, [1, 4, 4], N, undefined)), name).toBeLessThan(1e-5);
    }
    const images = { count: 16, sampleShape: [1, 4, 4], data: seeded(16 * 16, 4) };
    expect(toSnn(channel, await calibrate(channel, images, 1), DEFAULT_METHOD, 4).nodes.filter((n) => n.op === 'if')).toHaveLength(1);
    const stats = await calibrate(lastAxis, images, 1);
    expect(() => toSnn(lastAxis, stats, DEFAULT_METHOD, 4)).toThrow(/op 'div' cannot be converted/);
  });

  it('every form converts; ReLU6 becomes neurons with θ ≤ 6 whose SNN agrees with the ANN', async () => {
    for (const name of ['fixed-b1', 'fixed-b2', 'matmul-t', 'nhwc', 'nhwc-rgb']) {
      const ann = prepareAnn(importOnnxFile(exporter(name)));
      const sample = ann.nodes[0].type.shape.slice(1);
      const per = sample.reduce((a, b) => a * b, 1);
      const images = { count: 32, sampleShape: sample, data: seeded(32 * per, 3) };
      expect(toSnn(ann, await calibrate(ann, images, 1), DEFAULT_METHOD, 8).nodes.filter((n) => n.op === 'if').length, name).toBeGreaterThan(0);
    }
    const ann = prepareAnn(importOnnxFile(exporter('relu6')));
    const N = 64;
    // inputs large enough that many pre-activations exceed 6, so the cap matters
    const images = { count: N, sampleShape: [1, 12, 12], data: seeded(N * 144, 5).map((v) => v * 40 - 10) };
    const [a] = runAnn(ann, [{ shape: [N, 1, 12, 12], data: images.data }]);
    const stats = await calibrate(ann, images, 1);
    const snn = toSnn(ann, stats, { ...DEFAULT_METHOD, threshold: { kind: 'max' } }, 256);
    const neurons = snn.nodes.filter((n) => n.op === 'if');
    expect(neurons).toHaveLength(3);
    const thetas = neurons.flatMap((n) => (typeof n.attrs.threshold === 'number' ? [n.attrs.threshold] : Array.from(snn.consts.get((n.attrs.threshold as { const: string }).const)!.data)));
    expect(Math.max(...thetas)).toBeLessThanOrEqual(6);
    expect(thetas.filter((t) => t === 6).length).toBeGreaterThan(0); // saturated layers sit at the cap
    const r = await simulateFloat(snn, images, [256], 1);
    const annPred = argmaxRows(a.data, N, 10);
    const agree = r.predictions[0].filter((p, i) => p === annPred[i]).length / N;
    expect(agree).toBeGreaterThanOrEqual(0.9);
  });

  it('a fixed batch that a reshape would mix is refused, naming the node and the exported batch', async () => {
    const { snnc } = await import('./helpers/cli.js');
    const { onnx } = await import('../src/frontend/onnx/decode.js');
    const { readFileSync, writeFileSync } = await import('node:fs');
    const model = onnx.ModelProto.decode(readFileSync(exporter('fixed-b2')));
    // make the view merge the two samples: Reshape to [1, -1] under a fixed batch of 2
    const shapeNode = model.graph!.node!.find((n) => n.opType === 'Constant' && n.output![0] === model.graph!.node!.find((m) => m.opType === 'Reshape')!.input![1])!;
    const t = shapeNode.attribute![0].t!;
    t.rawData = new Uint8Array(new BigInt64Array([1n, -1n]).buffer);
    const bad = join(work, 'mixes-samples.onnx');
    writeFileSync(bad, onnx.ModelProto.encode(model).finish());
    const r = snnc(['inspect', bad]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/SNN0306 onnx node '.*Reshape.*'.*fixed batch of 2/);
  });
});
