/** Largest absolute difference between two outputs, relative to the reference's range. */
export function maxRelDiff(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (a.length !== ref.length) throw new Error(`lengths differ: ${a.length} and ${ref.length}`);
  let lo = Infinity;
  let hi = -Infinity;
  let d = 0;
  for (let i = 0; i < ref.length; i++) {
    lo = Math.min(lo, ref[i]);
    hi = Math.max(hi, ref[i]);
    d = Math.max(d, Math.abs(a[i] - ref[i]));
  }
  return d / (hi - lo);
}
