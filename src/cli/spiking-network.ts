/**
 * The float spiking network a command works on (convert, compile, export-nir): an ANN is
 * calibrated on --calib and converted by the method options; a spiking model (a .nir file, an
 * snn-float .snnir) is taken as it is, at its own T.
 */
import { SnncError } from '../../ir/diagnostics.js';
import type { Graph } from '../../ir/types.js';
import { inputSpec, type CalibrationData } from '../data/dataset.js';
import type { Method } from '../methods.js';
import { calibrate, prepareAnn, toSnn } from '../pipeline.js';
import { loadCalib, methodFrom } from './options.js';
import { countingBar, Progress } from './progress.js';
import type { AnnForward } from '../exec/ort-forward.js';

export interface SpikingNetwork {
  readonly snn: Graph;
  /** The ANN it was converted from, its method and calibration data (absent for a spiking model). */
  readonly ann?: Graph;
  readonly method?: Method;
  readonly calib?: CalibrationData;
}

export async function spikingNetwork(args: Record<string, unknown>, model: Graph, steps: number, command: string): Promise<SpikingNetwork> {
  if (model.stage === 'snn-float') {
    if (model.steps !== steps) throw new SnncError('SNN0407', `${String(args.model)} runs ${model.steps} steps, asked for -T ${steps}`);
    return { snn: model };
  }
  if (model.stage !== 'ann') throw new SnncError('SNN0407', `${command} takes an ANN or a float spiking network; ${String(args.model)} is at stage ${model.stage}`);
  const method = methodFrom(args);
  const ann = prepareAnn(model);
  const calib = loadCalib(args, inputSpec(ann));
  const progress = new Progress('calibrate', calib.count);
  const stats = await calibrate(ann, calib, args.threads as number, (n) => progress.tick(n), args['ann-forward'] as AnnForward);
  progress.finish();
  const snn = toSnn(ann, stats, method, steps, calib, (total) => countingBar('calibration', total));
  return { snn, ann, method, calib };
}
