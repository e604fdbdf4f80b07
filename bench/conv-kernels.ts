/**
 * Benchmark: the spiking engine's convolution kernels on one thread, at the layer shapes of
 * ResNet-18 at 224×224 and at several spike rates. `convpos_f32` (the events of one position
 * together, the kernel the engine uses for one group) against `conv_f32` (event by event, the
 * baseline, same bits), in multiply-adds of the events actually done per second. Rate 1 is the
 * dense convolution through the same kernel: docs/engine.md reads the dense-or-event choice off
 * these figures.
 *
 *   npm run build && node dist/bench/conv-kernels.js [C,O,H rate,rate,...]
 */
import { Arena } from '../ir/engine/arena.js';
import { buildPlan, type PlanOp } from '../ir/engine/plan.js';
import { instantiateKernels } from '../ir/engine/wasm/kernels.js';
import { parseGraph } from '../ir/text/parse.js';

type ConvOp = Extract<PlanOp, { kind: 'conv' }>;

/** A 3×3, stride 1, pad 1 convolution C -> O on H×H at snn-float, with seeded weights. */
function layer(C: number, O: number, H: number): { op: ConvOp; arena: Arena; wasm: ReturnType<typeof instantiateKernels> } {
  const text = [
    'snnir 1',
    'graph @g stage=snn-float {',
    `  %x = input() : f32[N,${C},${H},${H}]`,
    `  %c = conv2d(%x, @w) {dilations=[1,1], group=1, pads=[1,1,1,1], strides=[1,1]} : f32[N,${O},${H},${H}]`,
    `  %s = globalsumpool(%c) : f32[N,${O}]`,
    '  output %s',
    '}',
    `const @w : f32[${O},${C},3,3] = [${new Array(O * C * 9).fill(0).join(',')}]`,
  ].join('\n');
  const g = parseGraph(text);
  const sizing = Arena.sizingPass();
  buildPlan(g, sizing);
  const memory = Arena.memoryFor(sizing);
  const arena = new Arena(memory);
  const plan = buildPlan(g, arena);
  const op = [...plan.staticOps, ...plan.stepOps].find((o): o is ConvOp => o.kind === 'conv')!;
  let s = 99;
  for (let i = 0; i < op.w.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    op.w[i] = (s >>> 8) / 2 ** 24 - 0.5;
  }
  return { op, arena, wasm: instantiateKernels(memory) };
}

function gmacs(run: () => void, macs: number): number {
  run();
  const t0 = performance.now();
  let reps = 0;
  while (performance.now() - t0 < 1000) {
    run();
    reps++;
  }
  return (macs * reps) / ((performance.now() - t0) / 1000) / 1e9;
}

const shapes = process.argv[2] ? [process.argv[2].split(',').map(Number)] : [[64, 64, 56], [128, 128, 28], [256, 256, 14], [512, 512, 7]];
const rates = (process.argv[3] ?? '0.1,0.25,0.4,1').split(',').map(Number);
console.log('one thread, float32; GMAC/s of the events actually scattered; ratio = convpos / conv (event by event)');
for (const [C, O, H] of shapes) {
  const { op, wasm } = layer(C, O, H);
  const src = op.in.store;
  const out = op.out.store.data;
  const seg = op.seg;
  for (const rate of rates) {
    let n = 0;
    let s = 7;
    let macs = 0;
    for (let i = 0; i < src.data.length; i++) {
      s = (Math.imul(s, 1103515245) + 12345) | 0;
      src.data[i] = (s >>> 8) / 2 ** 24 < rate ? 1 : 0;
      if (src.data[i]) {
        src.ev[n++] = i;
        const p = Math.floor(i / C);
        for (let k = seg.start[p]; k < seg.start[p + 1]; k++) macs += seg.len[k];
      }
    }
    const args = [src.ev.byteOffset, n, src.data.byteOffset, C, seg.start.byteOffset, seg.out.byteOffset, seg.w.byteOffset, seg.len.byteOffset, op.w.byteOffset] as const;
    const perEvent = gmacs(() => wasm.conv_f32(out.byteOffset, ...args, O, C, 9), macs);
    const byPosition = gmacs(() => wasm.convpos_f32(out.byteOffset, ...args, 9 * O * 4, op.scratch!.byteOffset), macs);
    console.log(`${C}→${O} on ${H}×${H}, rate ${rate.toFixed(2)}: conv ${perEvent.toFixed(2)}, convpos ${byPosition.toFixed(2)} GMAC/s, ratio ${(byPosition / perEvent).toFixed(2)}x`);
  }
}
