/**
 * Conversion methods: a threshold rule plus neuron options, with named presets for the
 * literature's recipes. The CLI builds one from --threshold/--percentile/--reset/--init/--shift,
 * or takes presets by name (--methods) to compare them.
 */
import { SnncError } from '../ir/diagnostics.js';
import type { TppRule } from '../ir/tpp.js';
import type { Graph } from '../ir/types.js';
import type { ThresholdRule } from './passes/balance-thresholds.js';
import type { ConvertOptions } from './passes/convert.js';
import { FTBC_DEFAULTS, FTBC_STEP_DEFAULTS, type FtbcSettings } from './passes/ftbc.js';
import type { CalibrationLevel } from './passes/snn-calibration.js';
import { TPP_DEFAULTS, type TppSettings } from './passes/tpp.js';
import { WEIGHT_CALIBRATION_DEFAULTS, type WeightCalibrationSettings } from './passes/weight-calibration.js';

export interface Method extends Omit<ConvertOptions, 'steps' | 'thresholds'> {
  readonly name: string;
  readonly threshold: ThresholdRule;
  /** SNN Calibration after conversion: bias (light) or initial-membrane (advanced) correction (reads the calibration data). */
  readonly calibration?: CalibrationLevel;
  /** SNN Calibration runs after TPP, measuring the two-phase probabilistic network (named after +tpp: `X+tpp+calib-advanced`). */
  readonly calibrationOnTpp?: boolean;
  /** SNN Calibration's weight calibration, before its bias or potential calibration (reads the calibration data). */
  readonly weightCalibration?: WeightCalibrationSettings;
  /** The weight calibration runs after TPP, on the layer-major network (named after +tpp). */
  readonly weightCalibrationOnTpp?: boolean;
  /** Forward temporal bias correction after conversion and calibration (reads the calibration data). */
  readonly ftbc?: FtbcSettings;
  /** Two-phase probabilistic neurons on the layer-major schedule, last. */
  readonly tpp?: TppSettings;
  /** K neurons per activation, each rounding at its own point: K·T + 1 levels in T steps (passes/replicate-neurons.ts). */
  readonly replicas?: number;
}

export const PRESETS: Record<string, Method> = {
  // Diehl 2015: max-norm, reset to zero, v(0) = 0 — the baseline.
  'max-zero': { name: 'max-zero', threshold: { kind: 'max' }, reset: 'zero', vinit: 0, shift: false, readout: 'mean', maxpool: 'gate' },
  // Max-norm with reset by subtraction (Rueckauer 2017).
  'max-subtract': { name: 'max-subtract', threshold: { kind: 'max' }, reset: 'subtract', vinit: 0, shift: false, readout: 'mean', maxpool: 'gate' },
  // Robust normalisation: 99.9th percentile of nonzero activations (SNN Toolbox default).
  'p99.9-subtract': { name: 'p99.9-subtract', threshold: { kind: 'percentile', p: 99.9 }, reset: 'subtract', vinit: 0, shift: false, readout: 'mean', maxpool: 'gate' },
  // ... plus v(0) = θ/2 (QCFS / Bu 2022): round instead of floor.
  'p99.9-subtract-half': { name: 'p99.9-subtract-half', threshold: { kind: 'percentile', p: 99.9 }, reset: 'subtract', vinit: 0.5, shift: false, readout: 'mean', maxpool: 'gate' },
  // Per-channel percentile thresholds with θ/2.
  'chp99.9-subtract-half': { name: 'chp99.9-subtract-half', threshold: { kind: 'channel-percentile', p: 99.9 }, reset: 'subtract', vinit: 0.5, shift: false, readout: 'mean', maxpool: 'gate' },
  // SNN Calibration's base (Li et al. 2021): MMSE thresholds for T steps (per channel), v(0) = 0, θ/(2T) per step.
  'chmmse-subtract-shift': { name: 'chmmse-subtract-shift', threshold: { kind: 'channel-mmse' }, reset: 'subtract', vinit: 0, shift: true, readout: 'mean', maxpool: 'gate' },
  // QCFS (Bu et al. 2022): a QCFS activation's trained λ is θ and v(0) = θ/2 (convert does this for every qcfs op); any plain ReLU: p99.9.
  qcfs: { name: 'qcfs', threshold: { kind: 'percentile', p: 99.9 }, reset: 'subtract', vinit: 0.5, shift: false, readout: 'mean', maxpool: 'gate' },
  // Deng & Gu 2021: max-norm, reset by subtraction, θ/(2T) added at every step.
  'max-subtract-shift': { name: 'max-subtract-shift', threshold: { kind: 'max' }, reset: 'subtract', vinit: 0, shift: true, readout: 'mean', maxpool: 'gate' },
};

export const DEFAULT_METHOD = PRESETS['chp99.9-subtract-half'];

/**
 * Calibration steps that compose with any preset: `preset+calib-light+ftbc`. They run in the order
 * SNN Calibration, FTBC, TPP whatever the name's order, except that a `+calib-*` named after
 * `+tpp` calibrates the TPP network (it runs after TPP and measures its rates).
 */
const COMPOSABLE: Record<string, (m: Method) => Method> = {
  'calib-light': (m) => ({ ...m, name: `${m.name}+calib-light`, calibration: 'light' }),
  'calib-advanced': (m) => ({ ...m, name: `${m.name}+calib-advanced`, calibration: 'advanced' }),
  'calib-weights': (m) => ({ ...m, name: `${m.name}+calib-weights`, weightCalibration: WEIGHT_CALIBRATION_DEFAULTS }),
  ftbc: (m) => ({ ...m, name: `${m.name}+ftbc`, ftbc: FTBC_DEFAULTS }),
  // FTBC iterated toward its fixed point: 3 passes over the batches, the later two with each layer's own table on
  'ftbc-iter': (m) => ({ ...m, name: `${m.name}+ftbc-iter`, ftbc: { ...FTBC_DEFAULTS, iterations: 3 } }),
  // variant (b): the per-step update, each step redone with its new bias, 5 passes over 10 batches of 128
  'ftbc-step': (m) => ({ ...m, name: `${m.name}+ftbc-step`, ftbc: FTBC_STEP_DEFAULTS }),
  tpp: (m) => ({ ...m, name: `${m.name}+tpp`, tpp: TPP_DEFAULTS }),
  'tpp-iid': (m) => ({ ...m, name: `${m.name}+tpp-iid`, tpp: { ...TPP_DEFAULTS, rule: 'iid' } }),
  // the deterministic limit of the schedule: a layer emits clip(round(V/θ), 0, T) spikes (no draws)
  'tpp-round': (m) => ({ ...m, name: `${m.name}+tpp-round`, tpp: { ...TPP_DEFAULTS, rule: 'round' } }),
  // K neurons per activation (replicate-neurons): K·T + 1 levels in T steps, K times the neurons and spikes
  rep2: (m) => ({ ...m, name: `${m.name}+rep2`, replicas: 2 }),
  rep3: (m) => ({ ...m, name: `${m.name}+rep3`, replicas: 3 }),
  rep4: (m) => ({ ...m, name: `${m.name}+rep4`, replicas: 4 }),
};

/** The composition step that names each TPP rule. */
export const TPP_STEP_NAMES: Record<TppRule, string> = { remaining: '+tpp', iid: '+tpp-iid', round: '+tpp-round' };

/** Presets by name, each optionally composed with calibration steps (`chp99.9-subtract-half+ftbc`). */
export function presetsByName(list: string): Method[] {
  return list.split(',').map((text) => {
    const [base, ...steps] = text.trim().split('+');
    let m = PRESETS[base];
    if (!m) throw new SnncError('SNN0407', `unknown method '${base}'; presets: ${Object.keys(PRESETS).join(', ')} (composable with ${Object.keys(COMPOSABLE).map((k) => `+${k}`).join(', ')})`);
    for (const s of steps) {
      const compose = COMPOSABLE[s];
      if (s === 'calib-weights' && m.tpp && !m.weightCalibration) {
        m = { ...compose!(m), weightCalibrationOnTpp: true };
        continue;
      }
      if (s.startsWith('calib-') && s !== 'calib-weights' && m.tpp && compose && !m.calibration) {
        m = { ...compose(m), calibrationOnTpp: true };
        continue;
      }
      if (!compose) throw new SnncError('SNN0407', `unknown calibration step '+${s}' in '${text.trim()}'; known: ${Object.keys(COMPOSABLE).map((k) => `+${k}`).join(', ')}`);
      if (s.startsWith('rep') && m.replicas) throw new SnncError('SNN0407', `'${text.trim()}' names the replication twice`);
      if ((s.startsWith('ftbc') && m.ftbc) || (s === 'calib-weights' ? m.weightCalibration : s.startsWith('calib-') && m.calibration) || (s.startsWith('tpp') && m.tpp)) throw new SnncError('SNN0407', `'${text.trim()}' names ${s.startsWith('calib-') ? 'a calibration' : s.startsWith('tpp') ? 'TPP' : '+ftbc'} twice`);
      m = compose(m);
    }
    return m;
  });
}

/** True when the dynamics depend on T (then one run per T; otherwise one run to max T). TPP's schedule is T's. */
export function dependsOnT(m: Method): boolean {
  return m.shift || m.tpp !== undefined || m.calibration !== undefined || m.weightCalibration !== undefined || m.threshold.kind === 'mmse' || m.threshold.kind === 'channel-mmse';
}

const TPP_RULE_TEXT: Record<TppRule, string> = { remaining: 'rule A: p = v/(θ·steps left)', iid: 'rule B: i.i.d. p = v/(θT)', round: 'deterministic: a spike while v ≥ θ/2' };

function describeFtbc(f: FtbcSettings): string {
  const passes = f.iterations ?? 1;
  const rule = f.update === 'step' ? 'per-step update, ' : '';
  const own = f.update === 'step' ? '' : ', own table on after the first';
  return `${rule}α=${f.alpha}, ${f.batches} batches of ${f.batchSize}${passes > 1 ? `, ${passes} passes${own}` : ''}`;
}

/**
 * What `m` does, in one line. Given the ANN it converts, the line also says when QCFS activations
 * are there: convert gives them θ = λ and v(0) = θ/2 whatever the method's threshold rule and v(0),
 * unless `qcfsThreshold` is 'rule'.
 */
export function describeMethod(m: Method, ann?: Graph): string {
  const t = m.threshold;
  const rule = t.kind === 'max' ? 'max' : t.kind === 'percentile' ? `p${t.p}` : t.kind === 'channel-percentile' ? `channel p${t.p}` : t.kind === 'mmse' ? 'MMSE' : 'channel MMSE';
  const th = ann?.nodes.some((n) => n.op === 'qcfs') ? `${rule} (QCFS activations: ${m.qcfsThreshold === 'rule' ? 'this rule, λ unused' : 'λ, v0=0.5θ'})` : rule;
  const calibration = m.calibration ? `, SNN Calibration (${m.calibration === 'light' ? 'bias' : 'potential'}${m.calibrationOnTpp ? ', measured on the TPP network' : ''})` : '';
  const wc = m.weightCalibration ? `, weight calibration (${m.weightCalibration.samples} samples${m.weightCalibrationOnTpp ? ', on the TPP network' : ''})` : '';
  const ftbc = m.ftbc ? `, FTBC (${describeFtbc(m.ftbc)})` : '';
  const tpp = m.tpp ? `, TPP neurons (${TPP_RULE_TEXT[m.tpp.rule]}, start ${m.tpp.start === 'zero' ? 'v0 = 0, no shift' : 'as the base'}, seed ${m.tpp.seed})` : '';
  const rep = m.replicas ? `, ${m.replicas} neurons per activation (copy j rounds at (2j+1)/${2 * m.replicas})` : '';
  return `θ=${th}, reset=${m.reset}, v0=${m.vinit}θ${m.shift ? ', +θ/2T per step' : ''}, readout=${m.readout}, maxpool=${m.maxpool}${rep}${wc}${calibration}${ftbc}${tpp}`;
}
