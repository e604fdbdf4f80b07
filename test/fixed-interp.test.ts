/** The integer semantics on hand-computed cases (docs/semantics.md): narrowing, counting, leak rounding, reset, bias rows. */
import { describe, expect, it } from 'vitest';
import { FixedInterpreter, membraneOf } from '../ir/interp-fixed.js';
import { parseGraph } from '../ir/text/parse.js';
import { verify } from '../ir/verify.js';

/** One neuron fed by input x (u8) through weight 1; returns membranes, spikes and counters. */
function neuron(T: number, attrs: string, x: number, bias = ''): { v: number[]; s: number[]; acc: number; over: number } {
  const g = parseGraph(`snnir 1
graph @one stage=snn-fixed steps=${T} {
  %x = input() {scale=1} : u8[N,1]
  %d = dense(%x, @w) : i16[N,1]
  %n = if(%d) {${attrs}${bias ? ', bias=@b' : ''}} : u1[N,1]
  %k = mul(%n, @one) : i16[N,1]
  %r = readout(%k) {overflow="saturate", scale=1, sumbits=32} : i32[N,1]
  output %r
}
const @w : i8[1,1] = [1]
const @one : i8[1] = [1]
${bias ? `const @b : i16[${bias.split(';').length},1] = [${bias.split(';').join(',')}]` : ''}
`);
  expect(verify(g).filter((d) => d.severity === 'error')).toEqual([]);
  const it = new FixedInterpreter(g);
  const membrane = membraneOf(it.engine.units()[0].unit)!;
  const v: number[] = [];
  const s: number[] = [];
  it.run([x], 0, () => {
    v.push(membrane[0]);
    s.push(it.engine.plan.bufs.get('n')!.store.data[0]);
  });
  const o = it.overflow()[0];
  return { v, s, acc: o.acc, over: o.v };
}

describe('integer neuron semantics', () => {
  it('wrap: the accumulator wraps every step, the membrane once', () => {
    // a = wrap(200, 8) = -56; v: -56, -112, wrap(-168) = 88; never >= 100
    const r = neuron(3, 'accbits=8, vbits=8, overflow="wrap", reset="subtract", threshold=100', 200);
    expect(r.v).toEqual([-56, -112, 88]);
    expect(r.s).toEqual([0, 0, 0]);
    expect([r.acc, r.over]).toEqual([3, 1]);
  });

  it('saturate: 127 per step, the membrane clamps at 127 and is counted', () => {
    // a = 127; t1 u=127 -> spike, v=27; t2 u=154 -> 127 (counted) -> spike, v=27; t3 likewise
    const r = neuron(3, 'accbits=8, vbits=8, overflow="saturate", reset="subtract", threshold=100', 200);
    expect(r.v).toEqual([27, 27, 27]);
    expect(r.s).toEqual([1, 1, 1]);
    expect([r.acc, r.over]).toEqual([3, 2]);
  });

  it('reset to zero versus subtraction', () => {
    expect(neuron(3, 'accbits=16, vbits=16, overflow="saturate", reset="subtract", threshold=100', 150).v).toEqual([50, 100, 150]);
    expect(neuron(3, 'accbits=16, vbits=16, overflow="saturate", reset="zero", threshold=100', 150).v).toEqual([0, 0, 0]);
  });

  it('a bias table of two rows: row 0 at t = 1, row 1 afterwards', () => {
    expect(neuron(3, 'accbits=16, vbits=16, overflow="saturate", reset="subtract", threshold=1000', 0, '7;-2').v).toEqual([7, 5, 3]);
  });

  it('leak by shift rounds as told: floor, trunc, half-up', () => {
    const run = (round: string) => neuron(4, `accbits=16, vbits=16, overflow="saturate", reset="subtract", threshold=1000, leak="shift", leakshift=1, round="${round}"`, 0, '-5;0').v;
    // v - rnd(v / 2): floor: -5 -> -2 -> -1 -> 0; trunc: -5 -> -3 -> -2 -> -1; half-up: -5 -> -3 -> -2 -> -1
    expect(run('floor')).toEqual([-5, -2, -1, 0]);
    expect(run('trunc')).toEqual([-5, -3, -2, -1]);
    expect(run('half-up')).toEqual([-5, -3, -2, -1]);
  });

  it('leak by multiplication: rnd(v * m / 2^k)', () => {
    // m = 3, k = 2: 40 -> floor(120 / 4) = 30 -> floor(90 / 4) = 22
    expect(neuron(3, 'accbits=16, vbits=16, overflow="saturate", reset="subtract", threshold=1000, leak="mul", leakmul=3, leakshift=2, round="floor"', 0, '40;0').v).toEqual([40, 30, 22]);
  });

  it('per-neuron thresholds (NCHW in the IR) reach the right neurons; at snn-float a per-neuron θ needs a per-channel amplitude', () => {
    // identity 1x1 conv: neuron (c, x) integrates input (c, x) every step; θ in NCHW order
    const text = (stage: string, dtype: string, th: string): string => `snnir 1
graph @g stage=${stage} steps=2 {
  %x = input() {scale=1} : u8[N,2,1,2]
  %c = conv2d(%x, @w) {dilations=[1,1], group=1, pads=[0,0,0,0], strides=[1,1]} : ${dtype}[N,2,1,2]
  %n = if(%c) {accbits=16, overflow="saturate", reset="subtract", threshold=@th, vbits=16} : u1[N,2,1,2]
  %f = flatten(%n) {axis=1} : u1[N,4]
  %k = dense(%f, @w2) : i16[N,1]
  %r = readout(%k) {overflow="saturate", scale=1, sumbits=32} : i32[N,1]
  output %r
}
const @w : i8[2,2,1,1] = [1,0,0,1]
const @th : ${th}[2,1,2] = [10,25,100,15]
const @w2 : i8[1,4] = [1,1,1,1]
`;
    const g = parseGraph(text('snn-fixed', 'i16', 'i16'));
    expect(verify(g).filter((d) => d.severity === 'error')).toEqual([]);
    const it = new FixedInterpreter(g);
    const spikes: number[][] = [];
    it.run([10, 20, 30, 40], 0, () => spikes.push(Array.from(it.engine.read('n'))));
    // (0,0): 10 >= 10 twice; (0,1): 20, 40 >= 25; (1,0): 30, 60 < 100; (1,1): 40 >= 15, 25 + 40 >= 15
    expect(spikes).toEqual([
      [1, 0, 0, 1],
      [1, 1, 0, 1],
    ]);
    const float = parseGraph(text('snn-float', 'f32', 'f32').replace(/accbits=16, overflow="saturate", |, vbits=16|\{scale=1\} /g, '').replace(/u1\[|i16\[|i8\[|u8\[|i32\[/g, 'f32[').replace(' {overflow="saturate", scale=1, sumbits=32}', ''));
    expect(verify(float).map((d) => d.code + ' ' + d.message).join('\n')).toMatch(/SNN0108 threshold has 4 values \(per neuron\), so the spike needs an amplitude of 1 or 2 values/);
  });

  it('rejects an input outside the integer input format', () => {
    const g = parseGraph(`snnir 1
graph @g stage=snn-fixed steps=1 {
  %x = input() {scale=1} : u8[N,1]
  %d = dense(%x, @w) : i16[N,1]
  %r = readout(%d) {overflow="saturate", scale=1, sumbits=32} : i32[N,1]
  output %r
}
const @w : i8[1,1] = [1]
`);
    expect(() => new FixedInterpreter(g).run([256])).toThrow(/SNN0409|outside the integer input format/);
  });
});
