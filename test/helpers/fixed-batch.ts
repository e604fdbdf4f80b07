/**
 * A fixture model as `torch.onnx.export` writes it without `dynamic_axes`: the same nodes, with
 * the batch axis of every graph input and output fixed at B. (For the fixture networks, which
 * flatten with Flatten, that is the whole difference; views written with a fixed batch are in
 * test/fixtures/onnx/exporter/.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { onnx } from '../../src/frontend/onnx/decode.js';

export function withFixedBatch(src: string, batch: number, dst: string): string {
  const model = onnx.ModelProto.decode(readFileSync(src));
  for (const vi of [...(model.graph!.input ?? []), ...(model.graph!.output ?? [])]) {
    const dims = vi.type?.tensorType?.shape?.dim;
    if (dims?.length) dims[0] = onnx.TensorShapeProto.Dimension.create({ dimValue: batch });
  }
  writeFileSync(dst, onnx.ModelProto.encode(model).finish());
  return dst;
}
