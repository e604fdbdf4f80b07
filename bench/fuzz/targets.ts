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
import { mutateImage } from './image-mutator.js';
import { compileForCore, CoreSimulator, decodeImage, loadCorePreset } from '../../targets/core/index.js';

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

/** A small network compiled for the core: the seed of the image mutations. */
const SEED_IMAGE_GRAPH = `snnir 1
graph @fz stage=snn-fixed steps=3 {
  %x = input() {scale=1} : u8[N,2,4,4]
  %c = conv2d(%x, @w) {dilations=[1,1], group=1, pads=[1,1,1,1], strides=[1,1]} : i16[N,3,4,4]
  %a = if(%c) {accbits=16, overflow="saturate", reset="subtract", threshold=40, vbits=16} : u1[N,3,4,4]
  %p = sumpool2d(%a) {kernel=[2,2], pads=[0,0,0,0], strides=[2,2]} : i4[N,3,2,2]
  %f = flatten(%p) {axis=1} : i4[N,12]
  %d = dense(%f, @v) : i16[N,5]
  %r = readout(%d) {overflow="wrap", scale=1, sumbits=16} : i16[N,5]
  output %r
}
const @w : i8[3,2,3,3] = [${Array.from({ length: 54 }, (_, i) => ((i * 37) % 15) - 7).join(',')}]
const @v : i8[5,12] = [${Array.from({ length: 60 }, (_, i) => ((i * 11) % 9) - 4).join(',')}]
`;

export function makeTargets(): FuzzTarget[] {
  const seedImage = compileForCore(parseGraph(SEED_IMAGE_GRAPH), { ...loadCorePreset('generic'), neuronsPerCore: { value: 7, source: 'fuzz seed' } }).bytes;
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
      name: 'image',
      input: (seed, i) => mutateImage(seedImage, new Rng(subSeed(seed, 'image', i))),
      run: (input) => {
        const sim = new CoreSimulator(decodeImage(input as Uint8Array, 'fuzz.img'));
        sim.load(new Int32Array(sim.image.inputSize).fill(3));
        for (let t = 1; t <= Math.min(sim.steps, 4); t++) sim.step(t);
      },
    },
    {
      name: 'npy',
      input: (seed, i) => makeNpy(new Rng(subSeed(seed, 'npy', i))),
      run: (input) => void decodeNpy(input as Uint8Array, 'fuzz.npy'),
    },
  ];
}
