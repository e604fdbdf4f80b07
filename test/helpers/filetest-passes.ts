/**
 * Pass runner for filetests. A RUN line names passes, each optionally with options:
 *   // RUN: pass canonicalize, convert{steps=4, theta=2, reset=zero}
 * `theta` gives every relu-like activation (and output) the same threshold, standing in for calibration.
 */
import type { Graph } from '../../ir/types.js';
import { printText } from '../../ir/text/print.js';
import { SnncError } from '../../ir/diagnostics.js';
import { isNeuronSource } from '../../src/passes/activations.js';
import { DEFAULT_CONVERT } from '../../src/passes/convert.js';
import { runPass } from '../../src/passes/pass.js';
import { PASSES } from '../../src/passes/registry.js';
import { cTarget } from '../../targets/c/index.js';

function parseOptions(text: string | undefined): Record<string, string> {
  if (!text) return {};
  return Object.fromEntries(text.split(/\s*;\s*|\s*\|\s*/).filter(Boolean).map((kv) => kv.split('=').map((s) => s.trim()) as [string, string]));
}

function optionsFor(name: string, g: Graph, o: Record<string, string>): unknown {
  if (name === 'quantize') {
    return { target: cTarget(), weightBits: Number(o.bits ?? 8), granularity: o.granularity ?? 'channel', inputScale: Number(o.scale ?? 1), weightClip: Number(o.clip ?? 100), ...(o.neuron ? { neuronRounding: o.neuron } : {}) };
  }
  if (name === 'fold-temporal-bias') return { biasBits: Number(o.biasbits ?? 24) };
  if (name === 'replicate-neurons') return { copies: Number(o.copies ?? 2) };
  if (name === 'tpp') return { rule: o.rule ?? 'remaining', start: o.start ?? 'zero', seed: Number(o.seed ?? 1) };
  if (name !== 'convert') return undefined;
  const theta = Number(o.theta ?? 1);
  const thresholds = new Map([...g.nodes.filter(isNeuronSource).map((n) => n.id), ...g.outputs].map((id) => [id, Float64Array.of(theta)]));
  return {
    ...DEFAULT_CONVERT,
    steps: Number(o.steps ?? 4),
    thresholds,
    ...(o.reset ? { reset: o.reset } : {}),
    ...(o.vinit ? { vinit: Number(o.vinit) } : {}),
    ...(o.shift ? { shift: o.shift === 'true' } : {}),
    ...(o.readout ? { readout: o.readout } : {}),
    ...(o.maxpool ? { maxpool: o.maxpool } : {}),
  };
}

export function runFiletestPasses(g: Graph, specs: readonly string[], _source: string): string {
  let x = g;
  for (const spec of specs) {
    const m = /^([a-z-]+)(?:\{(.*)\})?$/.exec(spec);
    if (!m || !PASSES[m[1]]) throw new SnncError('SNN0504', `unknown pass '${spec}'`);
    x = runPass(PASSES[m[1]], x, optionsFor(m[1], x, parseOptions(m[2])));
  }
  return printText(x);
}
