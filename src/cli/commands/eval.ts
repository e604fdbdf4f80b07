/** `snnc eval MODEL --calib X --data X --labels Y -T 1,2,4,...`: ANN vs SNN accuracy at each T. */
import type { Argv } from 'yargs';
import { SnncError } from '../../../ir/diagnostics.js';
import { evaluate, evaluateSpiking, markdownTable, type EvalOptions } from '../../evaluate.js';
import { targetByName } from '../../../targets/index.js';
import { loadModel } from '../../model-io.js';
import { dependsOnT, describeMethod } from '../../methods.js';
import { writeFileAtomic } from '../../util/fs.js';
import { printJson, runCommand, warnDelay, warnOverflow } from '../common.js';
import { phaseBars } from '../progress.js';
import type { PermuteGranularity } from '../../exec/permute.js';
import { conversionOptions, inputStepOf, integerFormats, integerOptions, loadCalib, loadEvalData, methodsFrom, modelOptionsOf, nirOptions, parseSteps, spikingInputStep } from '../options.js';
import { inputSpec } from '../../data/dataset.js';
import type { Graph } from '../../../ir/types.js';
import { prepareAnn } from '../../pipeline.js';
import type { AnnForward } from '../../exec/ort-forward.js';

/** A given spiking network (from NIR): its accuracy at each T, float and, with --target, integer. */
async function evalSpiking(args: Record<string, unknown>, snn: Graph, steps: number[]): Promise<void> {
  const spec = inputSpec(snn);
  const { data, labels } = loadEvalData(args, spec);
  const fixed: EvalOptions['fixed'] = args.target
    ? {
        target: targetByName(String(args.target)).desc(),
        inputScale: spikingInputStep(args),
        ...integerFormats(args),
      }
    : undefined;
  const bars = phaseBars();
  const r = await evaluateSpiking(snn, { data, labels, steps, threads: args.threads as number, ...(fixed ? { fixed } : {}), progress: bars.progress });
  bars.finish();
  warnOverflow('the integer network', { overflow: r.fixedOverflow, samples: r.images, effect: r.fixedSaturation });
  warnDelay('the integer network', String(args.target), r.fixedArrival ?? 0, steps);
  if (args.json) return printJson({ model: String(args.model), images: r.images, layers: r.layers, snn: r.snn, ...(r.fixed ? { fixed: r.fixed, overflow: r.fixedOverflow, saturationEffect: r.fixedSaturation ?? null } : {}), seconds: Number(r.seconds.toFixed(2)) });
  const pct = (a: number): string => `${(a * 100).toFixed(2)} %`;
  const lines = [`${String(args.model)}: the spiking network as given, ${r.images} samples`, ...r.snn.map((p, k) => `  T=${p.T}: ${pct(p.accuracy)}${r.fixed ? `, integer ${pct(r.fixed[k].accuracy)}` : ''}`)];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export function evalCommand(y: Argv): Argv {
  return y.command(
    'eval <model>',
    'accuracy of the ANN and of its spiking conversion at each T',
    (a) =>
      conversionOptions(
        nirOptions(integerOptions(a))
          .option('data', { type: 'string', demandOption: true, describe: 'test samples .npy' })
          .option('labels', { type: 'string', demandOption: true, describe: 'test labels .npy' })
          .option('T', { type: 'string', default: '1,2,4,8,16,32,64', describe: 'time steps, comma separated' })
          .option('methods', { type: 'string', describe: 'compare named presets instead of the method options (comma separated)' })
          .option('markdown', { type: 'string', describe: 'also write the results as a markdown table to this file' })
          .option('title', { type: 'string', describe: 'heading of the markdown table' })
          .option('target', { type: 'string', describe: 'also quantize for this target and report the integer network' })
          .option('permute', { choices: ['neuron', 'layer'] as const, describe: 'also run the float SNN with every layer\'s spike trains shuffled in time, per neuron or one shuffle per layer (the temporal-misalignment experiment)' })
          .option('seed', { type: 'number', default: 1, describe: 'seed of --permute' })
          .option('json', { type: 'boolean', default: false }),
      ),
    (args) =>
      runCommand(async () => {
        const steps = parseSteps(String(args.T));
        const model = await loadModel(args.model as string, modelOptionsOf(args, Math.max(...steps)));
        if (model.stage === 'snn-float') return evalSpiking(args, model, steps);
        if (model.stage !== 'ann') throw new SnncError('SNN0407', `eval takes an ANN or a float spiking network; ${args.model} is at stage ${model.stage}`);
        const methods = methodsFrom(args);
        const ann = prepareAnn(model);
        const spec = inputSpec(ann);
        const calib = loadCalib(args, spec, false);
        const { data, labels } = loadEvalData(args, spec, calib);
        let fixed: EvalOptions['fixed'];
        if (args.target) {
          const target = targetByName(String(args.target));
          const inputScale = inputStepOf(args, calib);
          fixed = {
            target: target.desc(),
            inputScale,
            ...integerFormats(args),
          };
        }
        const bars = phaseBars();
        const result = await evaluate(ann, {
          calib,
          data,
          labels,
          steps,
          methods,
          threads: args.threads as number,
          annForward: args['ann-forward'] as AnnForward,
          ...(fixed ? { fixed } : {}),
          ...(args.permute ? { permute: { seed: Number(args.seed), granularity: args.permute as PermuteGranularity } } : {}),
          progress: bars.progress,
        });
        bars.finish();
        for (const mr of result.methods) {
          warnOverflow(`${mr.method.name}: the integer network`, { overflow: mr.fixedOverflow, samples: result.images, runs: dependsOnT(mr.method) ? steps.length : 1, effect: mr.fixedSaturation });
          warnDelay(`${mr.method.name}: the integer network`, String(args.target), mr.fixedArrival ?? 0, steps);
        }
        if (args.markdown) writeFileAtomic(String(args.markdown), markdownTable(String(args.title ?? args.model), result, (m) => describeMethod(m, ann)));
        if (args.json) {
          const methodJson = (i: number) => ({
            method: { name: result.methods[i].method.name, description: describeMethod(result.methods[i].method, ann) },
            layers: result.methods[i].layers,
            snn: result.methods[i].snn,
            ...(result.methods[i].fixed ? { fixed: result.methods[i].fixed, overflow: result.methods[i].fixedOverflow, saturationEffect: result.methods[i].fixedSaturation ?? null } : {}),
            ...(result.methods[i].permuted ? { permuted: result.methods[i].permuted } : {}),
          });
          if (result.methods.length === 1) return printJson({ ann: result.ann, images: result.images, ...methodJson(0), seconds: Number(result.seconds.toFixed(2)) });
          return printJson({ ann: result.ann, images: result.images, methods: result.methods.map((_, i) => methodJson(i)), seconds: Number(result.seconds.toFixed(2)) });
        }
        const Ts = result.methods[0].snn.map((p) => p.T);
        const out = [`ANN accuracy ${(result.ann.accuracy * 100).toFixed(2)} % on ${result.images} images`, `${'method'.padEnd(24)}${Ts.map((t) => `T=${t}`.padStart(8)).join('')}`];
        for (const mr of result.methods) {
          out.push(`${mr.method.name.padEnd(24)}${mr.snn.map((p) => (p.accuracy * 100).toFixed(2).padStart(8)).join('')}`);
          if (mr.fixed) out.push(`${'  integer'.padEnd(24)}${mr.fixed.map((p) => (p.accuracy * 100).toFixed(2).padStart(8)).join('')}`);
          if (mr.permuted) out.push(`${'  shuffled in time'.padEnd(24)}${mr.permuted.map((p) => (p.accuracy * 100).toFixed(2).padStart(8)).join('')}`);
        }
        out.push(`(${result.seconds.toFixed(1)} s)`);
        process.stdout.write(`${out.join('\n')}\n`);
      }),
  );
}
