/**
 * The fuzz targets: each makes input i of a seeded stream and runs it through snnc the way the
 * CLI would. An input passes when snnc accepts it or refuses it with a coded SnncError; any
 * other exception is an internal error (a bug), and an input that does not return is a hang.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SnncError } from '../../ir/diagnostics.js';
import { Engine } from '../../ir/engine/engine.js';
import { floatSemantics } from '../../ir/engine/neuron-float.js';
import { FixedInterpreter } from '../../ir/interp-fixed.js';
import { parseGraph } from '../../ir/text/parse.js';
import { numel, type Graph } from '../../ir/types.js';
import { verifyOrThrow } from '../../ir/verify.js';
import { decodeNpy } from '../../src/data/npy.js';
import { runAnn } from '../../src/exec/ann.js';
import { decodeModel } from '../../src/frontend/onnx/decode.js';
import { importModel } from '../../src/frontend/onnx/import.js';
import { prepareAnn } from '../../src/pipeline.js';
import { Rng, subSeed } from '../../src/util/rng.js';
import { generateIr, mutateIr } from './ir-mutator.js';
import { makeNpy } from './npy-mutator.js';
import { mutateOnnx } from './onnx-mutator.js';

/** Per-sample elements up to which a fuzzed graph is also executed on one sample. */
const RUN_LIMIT = 1 << 16;

export type Outcome = { kind: 'ok' } | { kind: 'coded'; code: string } | { kind: 'internal'; error: Error };

export interface FuzzTarget {
  readonly name: string;
  /** Input i of the stream `seed`. */
  input(seed: number, i: number): Uint8Array | string;
  /** Run one input; throws what snnc throws. */
  run(input: Uint8Array | string): void;
}

export function outcome(run: () => void): Outcome {
  try {
    run();
    return { kind: 'ok' };
  } catch (e) {
    // SNN0505 (a pass broke the verifier's contract) is coded, but it is a compiler bug
    if (e instanceof SnncError && e.code !== 'SNN0505') return { kind: 'coded', code: e.code };
    return { kind: 'internal', error: e as Error };
  }
}

/** The repository root (this file runs from bench/fuzz/ under vitest and from dist/bench/fuzz/ under node). */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
}

function onnxSeeds(): Uint8Array[] {
  const root = join(repoRoot(), 'test/fixtures/onnx');
  const files = [...readdirSync(root).map((f) => join(root, f)), ...readdirSync(join(root, 'exporter')).map((f) => join(root, 'exporter', f))];
  return files.filter((f) => f.endsWith('.onnx') && !f.includes('external')).map((f) => readFileSync(f));
}

function irSeeds(): string[] {
  const root = join(repoRoot(), 'test/filetests');
  return readdirSync(root).flatMap((d) => readdirSync(join(root, d)).map((f) => readFileSync(join(root, d, f), 'utf8')));
}

/** One sample of zeros through a verified graph of any stage. */
function execute(g: Graph): void {
  const inputs = g.nodes.filter((n) => n.op === 'input');
  if (inputs.length !== 1) return; // the CLI refuses these (inputSpec, SNN0407)
  const input = inputs[0];
  if ( numel(input.type.shape.slice(1)) > RUN_LIMIT || g.nodes.some((n) => numel(n.type.shape.slice(1)) > RUN_LIMIT)) return;
  const zeros = new Float32Array(numel(input.type.shape.slice(1)));
  if (g.stage === 'ann') runAnn(g, [{ shape: [1, ...input.type.shape.slice(1)], data: zeros }]);
  else if (g.stage === 'snn-fixed') new FixedInterpreter(g).run(new Int32Array(zeros.length));
  else {
    const e = new Engine(g, floatSemantics);
    e.begin();
    e.loadInput(zeros);
    e.runStatic();
    e.step(1);
  }
}

export function makeTargets(): FuzzTarget[] {
  const onnx = onnxSeeds();
  const ir = irSeeds();
  const modelDir = mkdtempSync(join(tmpdir(), 'snnc-fuzz-'));
  return [
    {
      name: 'onnx',
      input: (seed, i) => {
        const r = new Rng(subSeed(seed, 'onnx', i));
        return mutateOnnx(r.pick(onnx), r);
      },
      run: (input) => {
        const g = importModel(decodeModel(input as Uint8Array, 'fuzz.onnx'), { modelDir });
        const ann = prepareAnn(g);
        execute(ann);
      },
    },
    {
      name: 'ir',
      input: (seed, i) => {
        const r = new Rng(subSeed(seed, 'ir', i));
        const base = r.chance(0.5) ? generateIr(r) : r.pick(ir);
        return r.chance(0.8) ? mutateIr(base, r) : base;
      },
      run: (input) => {
        const g = parseGraph(input as string, { file: 'fuzz.snnir' });
        verifyOrThrow(g);
        execute(g);
      },
    },
    {
      name: 'npy',
      input: (seed, i) => makeNpy(new Rng(subSeed(seed, 'npy', i))),
      run: (input) => void decodeNpy(input as Uint8Array, 'fuzz.npy'),
    },
  ];
}
