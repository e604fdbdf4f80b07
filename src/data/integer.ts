/** Integer inputs of an snn-fixed graph from a data set. */
import { SnncError } from '../../ir/diagnostics.js';
import { intRange, type Graph } from '../../ir/types.js';
import type { Images } from './dataset.js';

export interface IntSamples {
  readonly count: number;
  readonly size: number;
  readonly data: Int32Array;
}

/** uint8 data as is when its scale is the graph's input scale, else round(x / scale) — out-of-range values are an error, never clipped. */
export function integerSamples(fixed: Graph, images: Images): IntSamples {
  const input = fixed.nodes.find((n) => n.op === 'input')!;
  const scale = input.attrs.scale as number;
  const { min, max } = intRange(input.type.dtype);
  const size = images.sampleShape.reduce((a, b) => a * b, 1);
  const data = new Int32Array(images.count * size);
  const exact = images.raw !== undefined && images.scale !== undefined && Math.abs(images.scale - scale) <= 1e-12 * scale;
  for (let i = 0; i < data.length; i++) {
    const q = exact ? images.raw![i] : Math.round(images.data[i] / scale);
    if (q < min || q > max) throw new SnncError('SNN0409', `sample ${Math.floor(i / size)}: value ${images.data[i]} maps to ${q}, outside the ${input.type.dtype} input [${min}, ${max}] (scale ${scale})`);
    data[i] = q;
  }
  return { count: images.count, size, data };
}
