/**
 * The MMSE threshold search exactly as balance-thresholds.ts's header defines it: 95 passes over
 * the values, each scoring Σ (a − q_V(a))² with q_V(a) = floor(clamp(aT/V, 0, T))·V/T. The
 * reference the sorted prefix-sum search is tested against (test/passes.test.ts) and timed
 * against (bench/mmse.ts). `w`: weights (a histogram's counts), 1 each when absent; `max`: the
 * grid's top M (a histogram's exact maximum), else the largest value.
 */
export function mmseThresholdReference(a: Float64Array | Float32Array, T: number, w?: Float64Array, max?: number): number {
  let M = max ?? 0;
  if (max === undefined) for (const x of a) if (x > M) M = x;
  let best = M;
  let bestErr = Infinity;
  for (let i = 0; i < 95; i++) {
    const V = M * (1 - 0.01 * i);
    let err = 0;
    for (let k = 0; k < a.length; k++) {
      const q = (Math.floor(Math.min(Math.max((a[k] * T) / V, 0), T)) * V) / T;
      err += (w ? w[k] : 1) * (a[k] - q) * (a[k] - q);
    }
    if (err < bestErr) {
      bestErr = err;
      best = V;
    }
  }
  return best;
}
