/**
 * A deliberately naive float SNN simulator for cross-checking the event-driven engine: every
 * step runs every op densely through the ANN kernels (NCHW), and the IF update follows the
 * snn-float equations literally, one neuron at a time.
 */
import { attrInts, attrNum, attrStr, attrVector } from '../../ir/ops.js';
import { isConstRef, type Graph } from '../../ir/types.js';
import { avgpool2d, binary, concat, conv2d, dense, globalavgpool, maxpool2d, type Tensor } from '../../src/exec/kernels.js';

export function naiveSimulate(g: Graph, x: Tensor, T: number): { sums: Float64Array; spikes: number[] } {
  const N = x.shape[0];
  const state = new Map<string, Float64Array>();
  const counts = new Map<string, Float64Array>();
  const spikes = new Map<string, number>();
  const c = (id: string): Tensor => ({ shape: g.consts.get(id)!.type.shape, data: g.consts.get(id)!.data as Float32Array });
  let sums = new Float64Array(0);
  for (let t = 1; t <= T; t++) {
    const vals = new Map<string, Tensor>();
    for (const n of g.nodes) {
      const arg = (i: number): Tensor => (n.inputs[i].kind === 'value' ? vals.get(n.inputs[i].id)! : c(n.inputs[i].id));
      let out: Tensor;
      switch (n.op) {
        case 'input':
          out = x;
          break;
        case 'conv2d':
          out = conv2d(arg(0), arg(1), n.inputs[2] ? arg(2).data : undefined, { strides: attrInts(n, 'strides'), pads: attrInts(n, 'pads'), dilations: attrInts(n, 'dilations'), group: attrNum(n, 'group') });
          break;
        case 'dense':
          out = dense(arg(0), arg(1), n.inputs[2] ? arg(2).data : undefined);
          break;
        case 'add':
          out = binary('add', arg(0), arg(1));
          break;
        case 'avgpool2d':
          out = avgpool2d(arg(0), { kernel: attrInts(n, 'kernel'), strides: attrInts(n, 'strides'), pads: attrInts(n, 'pads'), ceilMode: n.attrs.ceilMode === true, countIncludePad: n.attrs.countIncludePad === true });
          break;
        case 'maxpool2d':
          out = maxpool2d(arg(0), { kernel: attrInts(n, 'kernel'), strides: attrInts(n, 'strides'), pads: attrInts(n, 'pads'), dilations: attrInts(n, 'dilations'), ceilMode: n.attrs.ceilMode === true });
          break;
        case 'globalavgpool':
          out = globalavgpool(arg(0));
          break;
        case 'flatten':
        case 'reshape':
          out = { shape: [N, ...n.type.shape.slice(1)], data: arg(0).data };
          break;
        case 'concat':
          out = concat(n.inputs.map((_, i) => arg(i)), attrNum(n, 'axis'));
          break;
        case 'spikemaxpool': {
          const inp = arg(0);
          const [, C, H, W] = inp.shape;
          const [kh, kw] = attrInts(n, 'kernel');
          const [sh, sw] = attrInts(n, 'strides');
          const [pt, pl] = attrInts(n, 'pads');
          const [, , Ho, Wo] = n.type.shape;
          let cnt = counts.get(n.id);
          if (!cnt) counts.set(n.id, (cnt = new Float64Array(inp.data.length)));
          for (let i = 0; i < inp.data.length; i++) if (inp.data[i] !== 0) cnt[i] += 1;
          const o = new Float32Array(N * C * Ho * Wo);
          for (let b = 0; b < N; b++)
            for (let ch = 0; ch < C; ch++)
              for (let oy = 0; oy < Ho; oy++)
                for (let ox = 0; ox < Wo; ox++) {
                  let best = -1;
                  let bc = -1;
                  for (let u = 0; u < kh; u++)
                    for (let v = 0; v < kw; v++) {
                      const iy = oy * sh + u - pt;
                      const ix = ox * sw + v - pl;
                      if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                      const i = ((b * C + ch) * H + iy) * W + ix;
                      if (cnt[i] > bc) {
                        bc = cnt[i];
                        best = i;
                      }
                    }
                  o[((b * C + ch) * Ho + oy) * Wo + ox] = best >= 0 ? inp.data[best] : 0;
                }
          out = { shape: [N, C, Ho, Wo], data: o };
          break;
        }
        case 'if': {
          // every parameter is a scalar, one per channel or one per neuron (NCHW within a sample)
          const inp = arg(0);
          const C = inp.shape[1];
          const inner = inp.data.length / N / C;
          const size = C * inner;
          const pick = (v: ArrayLike<number>, i: number): number => (v.length === 1 ? v[0] : v.length === size ? v[i % size] : v[Math.floor(i / inner) % C]);
          const th = attrVector(n, 'threshold', g.consts)!;
          const amp = attrVector(n, 'amplitude', g.consts);
          const vinit = attrVector(n, 'vinit', g.consts, 0)!;
          const shift = attrVector(n, 'shift', g.consts, 0)!;
          const leak = attrNum(n, 'leak', 1);
          const sb = n.attrs.stepbias;
          const table = isConstRef(sb) ? g.consts.get(sb.const)!.data : undefined;
          const row = table?.subarray(((t - 1) * table.length) / T, (t * table.length) / T);
          let v = state.get(n.id);
          if (!v) {
            v = new Float64Array(inp.data.length);
            for (let i = 0; i < v.length; i++) v[i] = pick(vinit, i) * pick(th, i);
            state.set(n.id, v);
          }
          const o = new Float32Array(inp.data.length);
          for (let i = 0; i < v.length; i++) {
            const theta = pick(th, i);
            const u = v[i] * leak + inp.data[i] + (pick(shift, i) + (row ? pick(row, i) : 0)) * theta;
            if (u >= theta) {
              o[i] = amp ? pick(amp, i) : theta;
              v[i] = attrStr(n, 'reset') === 'subtract' ? u - theta : 0;
              spikes.set(n.id, (spikes.get(n.id) ?? 0) + 1);
            } else v[i] = u;
          }
          out = { shape: inp.shape, data: o };
          break;
        }
        case 'readout': {
          const inp = arg(0);
          if (sums.length === 0) sums = new Float64Array(inp.data.length);
          for (let i = 0; i < sums.length; i++) sums[i] += inp.data[i];
          out = inp;
          break;
        }
        default:
          throw new Error(`naive simulator: op ${n.op}`);
      }
      vals.set(n.id, out);
    }
  }
  return { sums, spikes: g.nodes.filter((n) => n.op === 'if').map((n) => spikes.get(n.id) ?? 0) };
}
