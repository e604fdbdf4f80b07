/**
 * A one-step synaptic delay (insert-delays, targets with synapticDelay 1) makes a step-major
 * network's output hear its input late: how late (arrivalDelay), and the warning every command that
 * quantizes for such a target gives (SNN0208).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGraph } from '../ir/text/parse.js';
import { arrivalDelay, insertDelays } from '../src/passes/insert-delays.js';
import { runPass } from '../src/passes/pass.js';
import { snnc } from './helpers/cli.js';
import { CALIB_IMAGES, modelPath, TEST_IMAGES, TEST_LABELS } from './helpers/paths.js';

/** Two populations in a row, and a shortcut from the first to the readout. */
const text = () => `snnir 1
graph @d stage=snn-fixed steps=3 {
  %x = input() {scale=1} : u8[N,2]
  %h = dense(%x, @w) : i16[N,2]
  %a = if(%h) {accbits=16, overflow="saturate", reset="subtract", threshold=5, vbits=16} : u1[N,2]
  %e = dense(%a, @w) : i16[N,2]
  %b = if(%e) {accbits=16, overflow="saturate", reset="subtract", threshold=5, vbits=16} : u1[N,2]
  %f = dense(%b, @w) : i16[N,2]
  %g = dense(%a, @w) : i16[N,2]
  %s = add(%f, %g) : i16[N,2]
  %r = readout(%s) {overflow="saturate", scale=1, sumbits=16} : i16[N,2]
  output %r
}
const @w : i8[2,2] = [1,2,3,4]
`;

describe('arrivalDelay', () => {
  it('counts the delays on the longest path to the output', () => {
    const g = parseGraph(text());
    expect(arrivalDelay(g)).toBe(0);
    // %a and %b each get a delay: the longest path x -> a -> b -> readout crosses two, the shortcut one
    expect(arrivalDelay(runPass(insertDelays, g, undefined))).toBe(2);
  });

  it('is 0 on a layer-major graph, whose windows wait for their delayed inputs', () => {
    const chain = parseGraph(`snnir 1
graph @lm stage=snn-fixed steps=3 {
  %x = input() {scale=1} : u8[N,2]
  %h = dense(%x, @w) : i16[N,2]
  %a = if(%h) {accbits=16, key=0, overflow="saturate", reset="subtract", seed=3, threshold=5, tpp="round", vbits=16, window=0} : u1[N,2]
  %e = dense(%a, @w) : i16[N,2]
  %b = if(%e) {accbits=16, key=1, overflow="saturate", reset="subtract", seed=3, threshold=5, tpp="round", vbits=16, window=1} : u1[N,2]
  %f = dense(%b, @w) : i16[N,2]
  %r = readout(%f) {overflow="saturate", scale=1, sumbits=16, window=2} : i16[N,2]
  output %r
}
const @w : i8[2,2] = [1,2,3,4]
`);
    const delayed = runPass(insertDelays, chain, undefined);
    expect(delayed.nodes.filter((n) => n.op === 'delay').length).toBe(2);
    expect(arrivalDelay(delayed)).toBe(0);
  });
});

describe('SNN0208', () => {
  const evalOn = (target: string, methods: string) =>
    snnc(['eval', modelPath('fmnist-mlp'), '--calib', CALIB_IMAGES, '--calib-limit', '64', '--data', TEST_IMAGES, '--labels', TEST_LABELS, '--input-scale', '1/255', '--limit', '20', '-T', '2,8', '--methods', methods, '--target', target]);

  it('eval on a delay-1 core warns for a step-major method, naming how late and what is left of each T', () => {
    const r = evalOn('core:loihi-like', 'chp99.9-subtract-half,chp99.9-subtract-half+tpp-round');
    expect(r.code).toBe(0);
    // the mlp's two hidden populations: its readout hears the input two steps late
    expect(r.stderr).toMatch(/warning SNN0208: chp99\.9-subtract-half: the integer network: on core:loihi-like a spike reaches the next layer one step after it fires: the output of this step-major network hears its input 2 steps late, so at T = 2, 8 its readout sums 0, 6 steps that carry signal/);
    // the layer-major method waits for its inputs: no warning for it
    expect(r.stderr).not.toMatch(/SNN0208: chp99\.9-subtract-half\+tpp-round/);
  });

  it('a delay-0 target says nothing', () => {
    const r = evalOn('core:generic', 'chp99.9-subtract-half');
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/SNN0208/);
  });


  it('compile for a delay-1 core warns and records the arrival delay in its report', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'snnc-delay-')), 'mlp');
    const r = snnc(['compile', modelPath('fmnist-mlp'), '--calib', CALIB_IMAGES, '--calib-limit', '64', '--input-scale', '1/255', '-T', '8', '--target', 'core:loihi-like', '-o', out, '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning SNN0208: the integer network: on core:loihi-like .* hears its input 2 steps late, so at T = 8 its readout sums 6 steps that carry signal/);
    expect(JSON.parse(r.stdout).arrivalDelay).toBe(2);
    // its 21-bit accumulator can overflow in the worst case and did on calibration data: the scale is lowered to leave a bit
    expect(r.stderr).toMatch(/warning SNN0204 %v2_Relu: the worst-case input current needs [\d.]+ more bits than the 21-bit accumulator; it would saturate and be counted; on the calibration data it peaked 1\.0 bits below its register \(its scale lowered x0\.\d+ to leave one\)\n/);
    expect(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).arrivalDelay).toBe(2);
    // and the HTML report says it next to the target
    const html = `${out}.html`;
    expect(snnc(['report', out, '-o', html]).code).toBe(0);
    expect(readFileSync(html, 'utf8')).toMatch(/<b>Synaptic delay<\/b>: on core:loihi-like .* hears its input 2 steps late: of its T = 8 steps the readout sums 6 that carry signal/);
  });
});
