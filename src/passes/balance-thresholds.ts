/**
 * balance-thresholds: choose the firing threshold θ of every neuron population from the ANN's
 * activations on calibration data (Diehl 2015, Rueckauer 2017, SNN Toolbox):
 *
 *   max:                 θ = max a                    over the layer's positive activations a
 *   percentile p:        θ = P_p(a)                   (numpy's linear interpolation; p = 99.9 default)
 *   channel-percentile:  θ_c = P_p(a_c)               per output channel; silent channels take the layer's θ
 *   mmse:                θ = argmin_V Σ (a − q_V(a))²  over V = M(1 − 0.01 i), i = 0..94, M = max a,
 *                        q_V(a) = floor(clamp(a T / V, 0, T)) V / T   (SNN Calibration, Li et al. 2021:
 *                        the T-step floor quantiser the SNN approximates; depends on T)
 *   channel-mmse:        the same per output channel
 *
 * MMSE scores at most MMSE_SAMPLES activations per layer (or per channel), taken at an even
 * stride. Past the calibration budget (activation-stats.ts) the statistics are histograms:
 * percentiles are then within 0.4 % of the exact ones and MMSE scores bin centres; `max` stays
 * exact.
 *
 * With spikes carrying θ (snn-float), θ = the activation scale λ of the layer; the integer stage
 * later folds θ into the weights (W~ = W θ_in / θ_out).
 */
import { SnncError } from '../../ir/diagnostics.js';
import type { ActivationStats } from './calibrate.js';
import { ChannelStats } from './activation-stats.js';

export type ThresholdRule =
  | { readonly kind: 'max' }
  | { readonly kind: 'percentile'; readonly p: number }
  | { readonly kind: 'channel-percentile'; readonly p: number }
  | { readonly kind: 'mmse' }
  | { readonly kind: 'channel-mmse' };

export const MMSE_SAMPLES = 1 << 20;

/**
 * The MMSE threshold of positive activations `a` for T steps (see the header). The values are
 * sorted once (radix, linear time). For each candidate V, a binary search finds where ⌊xT/V⌋
 * (computed as the quantiser computes it, so every value lands on the same level) passes each
 * level k, and the level's squared error Σ(x − q_k)² = S2 − 2 q_k S1 + q_k² S0 comes from prefix
 * sums: 95·T binary searches instead of 95 passes over the values (bench/mmse.ts; the same θ as
 * the 95-pass definition, test/passes.test.ts).
 */
export function mmseThreshold(a: ChannelStats | Float32Array, T: number): number {
  const stats = a instanceof ChannelStats ? a : ChannelStats.of(a);
  const stride = Math.max(1, Math.ceil(stats.count / MMSE_SAMPLES));
  const { x, w } = stats.sortedPoints(stride);
  const n = x.length;
  const S0 = new Float64Array(n + 1);
  const S1 = new Float64Array(n + 1);
  const S2 = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i] : 1;
    S0[i + 1] = S0[i] + wi;
    S1[i + 1] = S1[i] + wi * x[i];
    S2[i + 1] = S2[i] + wi * x[i] * x[i];
  }
  /** Σ w (x − q)² over points [lo, hi). */
  const levelError = (lo: number, hi: number, q: number): number => S2[hi] - S2[lo] - 2 * q * (S1[hi] - S1[lo]) + q * q * (S0[hi] - S0[lo]);
  const M = stats.max;
  let best = M;
  let bestErr = Infinity;
  for (let i = 0; i < 95; i++) {
    const V = M * (1 - 0.01 * i);
    let err = 0;
    let lo = 0;
    for (let k = 0; k < T && lo < n; k++) {
      // the first point at level k + 1 or above
      let a0 = lo;
      let b0 = n;
      while (a0 < b0) {
        const mid = (a0 + b0) >>> 1;
        if (Math.floor((x[mid] * T) / V) > k) b0 = mid;
        else a0 = mid + 1;
      }
      err += levelError(lo, a0, (k * V) / T);
      lo = a0;
    }
    err += levelError(lo, n, (T * V) / T); // clipped at T
    if (err < bestErr) {
      bestErr = err;
      best = V;
    }
  }
  return best;
}

/** k-th smallest of a (reordered in place), Hoare selection with median-of-three pivots. */
function select(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const x = a[lo];
    const y = a[mid];
    const z = a[hi];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/** numpy.percentile(values, p) with linear interpolation; `values` is reordered. */
export function percentile(values: Float32Array, p: number): number {
  if (values.length === 0) return NaN;
  if (p >= 100) return values.reduce((m, v) => (v > m ? v : m), -Infinity);
  const pos = ((values.length - 1) * p) / 100;
  const k = Math.floor(pos);
  const lo = select(values, k);
  if (k + 1 >= values.length || pos === k) return lo;
  let hi = Infinity;
  for (let i = k + 1; i < values.length; i++) if (values[i] < hi) hi = values[i];
  return lo + (hi - lo) * (pos - k);
}

/** θ per population (one value, or one per channel); `steps` is T (the MMSE rules depend on it). */
export function computeThresholds(stats: ActivationStats, rule: ThresholdRule, steps: number): Map<string, Float64Array> {
  const out = new Map<string, Float64Array>();
  for (const [id, layer] of stats) {
    if (layer.perChannel.every((c) => c.count === 0)) {
      out.set(id, Float64Array.of(NaN));
      continue;
    }
    const perChannel = rule.kind === 'channel-mmse' || rule.kind === 'channel-percentile';
    const ofChannel = (c: ChannelStats): number => {
      if (rule.kind === 'mmse' || rule.kind === 'channel-mmse') return mmseThreshold(c, steps);
      return c.percentile(rule.kind === 'max' ? 100 : rule.p, percentile);
    };
    // the whole layer's θ; per channel it is only needed by a silent channel (merging copies the layer's values)
    const layerTheta = !perChannel || layer.perChannel.some((c) => c.count === 0) ? ofChannel(layer.layer()) : NaN;
    out.set(id, perChannel ? Float64Array.from(layer.perChannel, (c) => (c.count ? ofChannel(c) : layerTheta)) : Float64Array.of(layerTheta));
  }
  return out;
}

/** The threshold of one population; a silent layer is an error (SNN0503). */
export function thresholdOf(thresholds: ReadonlyMap<string, Float64Array>, id: string, where: string): Float64Array {
  const t = thresholds.get(id);
  if (!t || t.some((v) => !(v > 0))) {
    throw new SnncError('SNN0503', `activation %${id} is never positive on the calibration data, so no threshold can be derived from it`, where);
  }
  return t;
}
