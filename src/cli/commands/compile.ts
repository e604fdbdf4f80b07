/** `snnc compile MODEL --calib X.npy -T N --target c -o OUT/`: C sources, the IR and a report. */
import { runSteps } from '../../../ir/tpp.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Argv } from 'yargs';
import { SnncError } from '../../../ir/diagnostics.js';
import { printGraph } from '../../../ir/text/print.js';
import { targetByName, targetNames } from '../../../targets/index.js';
import { loadModel } from '../../model-io.js';
import { dependsOnT, describeMethod } from '../../methods.js';
import type { LayerReport } from '../../passes/quantize.js';
import { toFixed } from '../../pipeline.js';
import { writeDirAtomic } from '../../util/fs.js';
import { printJson, runCommand, warnDelay, warnOverflow } from '../common.js';
import { arrivalDelay } from '../../passes/insert-delays.js';
import { countingBar, phaseBars } from '../progress.js';
import { spikingNetwork } from '../spiking-network.js';
import { conversionOptions, inputStepOf, integerFormats, integerOptions, modelOptionsOf, nirOptions, parseSteps, scaleOf, spikingInputStep } from '../options.js';
import { accuracy, argmaxRows, inputSpec, loadImages, loadLabels, valueRange } from '../../data/dataset.js';
import { integerSamples } from '../../data/integer.js';
import { buildEnergyReport, DEFAULT_PROFILE, formatEnergyReport, type EnergyReport } from '../../energy/energy-report.js';
import { runAnnBatched } from '../../exec/run-ann.js';
import { recordRaster, type Raster } from '../../report/raster.js';
import type { Graph } from '../../../ir/types.js';
import type { Target } from '../../../targets/index.js';
import type { ProgramFile } from '../../../targets/target.js';
import { decodeImage, IMAGE_FILE } from '../../../targets/core/index.js';

export function formatReport(layers: readonly LayerReport[]): string {
  const rows = [
    `${'layer'.padEnd(28)}${'op'.padEnd(9)}${'wbits'.padStart(6)}${'w err %'.padStart(9)}${'clipped %'.padStart(10)}${'threshold'.padStart(18)}${'acc room'.padStart(10)}${'v room'.padStart(8)}${'lowered'.padStart(9)}`,
  ];
  for (const l of layers) {
    const th = l.threshold ? `${l.threshold[0]}..${l.threshold[1]}` : '-';
    rows.push(
      `${l.id.slice(0, 27).padEnd(28)}${l.op.padEnd(9)}${String(l.weightBits).padStart(6)}${(l.weightError * 100).toFixed(3).padStart(9)}${(l.clipped * 100).toFixed(3).padStart(10)}${th.padStart(18)}${l.accHeadroomBits.toFixed(1).padStart(10)}${(l.vHeadroomBits?.toFixed(1) ?? '-').padStart(8)}${(l.measuredFactor !== undefined ? `x${l.measuredFactor.toPrecision(2)}` : '-').padStart(9)}`,
    );
  }
  rows.push('', 'w err: relative RMS error of the integer weights; room: worst-case headroom in bits (negative: can overflow, then saturated and counted); lowered: the scale factor that keeps the calibration data\'s currents and sums within half their register.');
  return `${rows.join('\n')}\n`;
}

/** T and the powers of two below it, or the --sweep list (each at most T). */
function sweepOf(args: Record<string, unknown>, T: number, tDependent: boolean): number[] {
  if (args.sweep === undefined) {
    const Ts = [T];
    if (!tDependent) for (let t = 1; t < T; t *= 2) Ts.push(t);
    return Ts.sort((a, b) => a - b);
  }
  const Ts = parseSteps(String(args.sweep));
  const over = Ts.find((t) => t > T);
  if (over !== undefined) throw new SnncError('SNN0407', `--sweep ${over} is beyond the compiled T=${T}`);
  if (tDependent && Ts.some((t) => t !== T)) throw new SnncError('SNN0407', `the method depends on T (θ/2T shift, MMSE thresholds or SNN Calibration), so the network is made for T=${T}: --sweep can only be ${T}`);
  return Ts;
}

/** With --data: the energy section at each T of the sweep, the ANN's accuracy, and a raster of the first sample. */
async function analyse(args: Record<string, unknown>, ann: Graph, fixed: Graph, target: Target, tDependent: boolean, files: readonly ProgramFile[]): Promise<{ energy: EnergyReport; annAccuracy?: number; raster: Raster }> {
  const data = loadImages(String(args.data), inputSpec(ann), scaleOf(args), args.limit as number | undefined);
  const samples = integerSamples(fixed, data);
  const labels = args.labels ? loadLabels(String(args.labels), samples.count, undefined, args.limit === undefined) : undefined;
  const bars = phaseBars();
  let annAccuracy: number | undefined;
  if (labels) {
    const out = await runAnnBatched(ann, data, args.threads as number, bars.progress('ann', data.count));
    annAccuracy = accuracy(argmaxRows(out.data, data.count, out.data.length / data.count), labels);
  }
  // the image the target just emitted, not a second mapping of the same network
  const img = files.find((f) => f.path === IMAGE_FILE)?.contents;
  const image = img instanceof Uint8Array ? decodeImage(img) : undefined;
  const energy = await buildEnergyReport([{ fixed, steps: sweepOf(args, fixed.steps!, tDependent), ...(image ? { image } : {}) }], samples, target, {
    threads: args.threads as number,
    ...(labels ? { labels } : {}),
    ...(args.profile ? { profile: String(args.profile) } : {}),
    onProgress: bars.progress,
  });
  bars.finish();
  warnOverflow('the integer network', { overflow: energy.overflow, samples: energy.images, runs: energy.runs, effect: energy.saturationEffect ?? undefined });
  return { energy, ...(annAccuracy !== undefined ? { annAccuracy } : {}), raster: recordRaster(fixed, samples.data, 0, 0) };
}

export function compileCommand(y: Argv): Argv {
  return y.command(
    'compile <model>',
    'compile a model to an integer spiking network for a target',
    (a) =>
      conversionOptions(
        nirOptions(integerOptions(a))
          .option('T', { type: 'string', demandOption: true, describe: 'time steps' })
          .option('target', { type: 'string', default: 'c', describe: `target (${targetNames().join(', ')})` })
          .option('weight-clip', { type: 'number', default: 100, describe: 'percentile of |w| mapped to the largest weight (100: no clipping)' })
          .option('prefix', { type: 'string', default: 'model', describe: 'C symbol prefix' })
          .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'output folder (replaced)' })
          .option('data', { type: 'string', describe: 'samples .npy: add energy, firing rates and a spike raster to the report' })
          .option('labels', { type: 'string', describe: 'labels .npy for --data: accuracy at each T' })
          .option('sweep', { type: 'string', describe: 'with --data: the T values reported (default: T and the powers of two below it)' })
          .option('profile', { type: 'string', describe: `with --data: energy profile for the C target and the ANN reference (default ${DEFAULT_PROFILE})` })
          .option('json', { type: 'boolean', default: false }),
      ),
    (args) =>
      runCommand(async () => {
        const target = targetByName(String(args.target));
        const prefix = String(args.prefix);
        target.checkOptions(prefix);
        const steps = parseSteps(String(args.T));
        if (steps.length !== 1) throw new SnncError('SNN0407', 'compile takes one T');
        const model = await loadModel(String(args.model), modelOptionsOf(args, steps[0]));
        const { snn, ann, method, calib } = await spikingNetwork(args, model, steps[0], 'compile');
        // a spiking model's input step is --input-step (default 1: spikes)
        const inputScale = calib ? inputStepOf(args, calib) : spikingInputStep(args);
        const calibrationRange = calib ? valueRange(calib) : undefined;
        const layers: LayerReport[] = [];
        const desc = target.desc();
        const formats = integerFormats(args);
        const fixed = toFixed(snn, desc, {
          inputScale,
          ...formats,
          weightClip: Number(args['weight-clip']),
          ...(calib ? { calib } : {}),
          progress: (phase, total) => countingBar(phase, total),
          onReport: (r) => layers.push(r),
        });
        const files = target.emit(fixed, prefix);
        if (args.data && !ann) throw new SnncError('SNN0407', '--data analyses a converted ANN against its reference; a spiking model from NIR runs with snnc simulate and snnc verify');
        const analysis = args.data && ann && method ? await analyse(args, ann, fixed, target, dependsOnT(method), files) : undefined;
        const methodReport = method ? { name: method.name, description: describeMethod(method, ann), dependsOnT: dependsOnT(method) } : { name: 'given', description: `the spiking network in ${String(args.model)}, compiled as it is`, dependsOnT: true };
        // a layer-major (TPP) network's latency is its whole schedule: (depth + 1) windows of T steps
        const latencySteps = runSteps(fixed);
        const arrival = arrivalDelay(fixed);
        const report = { target: target.name, steps: steps[0], latencySteps, ...(arrival ? { arrivalDelay: arrival } : {}), method: methodReport, inputScale, weightRounding: formats.weightRounding ?? 'nearest', neuronRounding: formats.neuronRounding ?? 'step', ...(calibrationRange ? { calibrationRange } : {}), layers, ...(analysis ?? {}) };
        for (const l of layers) {
          const measured = l.measuredHeadroomBits !== undefined ? `; on the calibration data it peaked ${l.measuredHeadroomBits.toFixed(1)} bits below its register${l.measuredFactor !== undefined ? ` (its scale lowered x${l.measuredFactor.toPrecision(2)} to leave one)` : ''}` : '';
          // a readout has no accumulator: its current lands in the running sum
          const register = l.op === 'readout' ? `${desc.sumBits}-bit running sum` : `${desc.accBits}-bit accumulator`;
          if (l.accHeadroomBits < 0) process.stderr.write(`snnc: warning SNN0204 %${l.id}: the worst-case input current needs ${(-l.accHeadroomBits).toFixed(1)} more bits than the ${register}; it would ${desc.overflow} and be counted${measured}\n`);
          if ((l.vHeadroomBits ?? 0) < 0) process.stderr.write(`snnc: warning SNN0204 %${l.id}: threshold plus the worst-case current need ${(-l.vHeadroomBits!).toFixed(1)} more bits than the ${desc.vBits}-bit membrane; it would ${desc.overflow} and be counted\n`);
        }
        warnDelay('the integer network', target.name, arrival, steps);
        const out = String(args.output);
        writeDirAtomic(out, (dir) => {
          for (const f of files) writeFileSync(join(dir, f.path), f.contents);
          const fixedText = printGraph(fixed, { sidecar: 'model.snnir.bin' });
          writeFileSync(join(dir, 'model.snnir'), fixedText.text);
          writeFileSync(join(dir, 'model.snnir.bin'), fixedText.sidecar ?? new Uint8Array());
          const floatText = printGraph(snn, { sidecar: 'model.float.snnir.bin' });
          writeFileSync(join(dir, 'model.float.snnir'), floatText.text);
          writeFileSync(join(dir, 'model.float.snnir.bin'), floatText.sidecar ?? new Uint8Array());
          writeFileSync(join(dir, 'report.json'), `${JSON.stringify({ ...report, prefix }, null, 2)}\n`);
          writeFileSync(join(dir, 'report.txt'), formatReport(layers));
        });
        const utilization = files.find((f) => f.path === 'utilization.txt')?.contents as string | undefined;
        if (args.json) return printJson({ ...report, prefix, output: out, files: files.map((f) => f.path), ...(utilization ? { utilization } : {}) });
        process.stdout.write(`wrote ${out}/ (target ${target.name}, T=${steps[0]}${latencySteps !== steps[0] ? `, layer-major schedule: ${latencySteps} steps per inference` : ''}, ${methodReport.description}${report.weightRounding === 'gptq' ? ', GPTQ weight rounding' : ''}${report.neuronRounding === 'running' ? ', running neuron rounding' : ''})\n${formatReport(layers)}${utilization ? `\n${utilization}` : ''}${analysis ? `\n${formatEnergyReport(analysis.energy)}` : ''}`);
      }),
  );
}
