/**
 * Activation statistics in bounded memory: the positive activations of one channel, kept exactly
 * while the layer's total stays under a budget, and as a histogram past it.
 *
 * The histogram's bins are the float32 values that share their exponent and their top
 * HISTOGRAM_BITS mantissa bits: bin [x0, x0 · (1 + 2^-HISTOGRAM_BITS)). A quantile read from it
 * (the rank's place inside its bin, taken as evenly spread) is within a relative 2^-HISTOGRAM_BITS
 * (0.4 %) of the exact one, whatever the data; the maximum is tracked exactly. Counts are exact,
 * so the result does not depend on the order values arrive in. Memory: one float64 per bin
 * between the channel's smallest and largest bin (256 per binade), never per value.
 */

/**
 * Positive activations a layer keeps exactly (float32, 128 MB) before its channels switch to
 * histograms: every bundled model's layers stay under it with 1,024 calibration images (the
 * largest, fmnist-vgg-maxpool's first layers, hold about 15 million).
 */
export const EXACT_LIMIT = 1 << 25;
/**
 * Positive activations a whole network keeps exactly (float32, 512 MB), shared evenly by its
 * layers (an ImageNet-size network's layers switch to histograms early; every bundled model's
 * layers still fit: at most 8 calibrated layers, 16.7 million each).
 */
export const EXACT_TOTAL = 1 << 27;

/** The exact budget of each of `layers` calibrated layers. */
export function exactLimitPerLayer(layers: number): number {
  return Math.min(EXACT_LIMIT, Math.floor(EXACT_TOTAL / Math.max(1, layers)));
}
/** Mantissa bits that index a bin: relative bin width 2^-8. */
export const HISTOGRAM_BITS = 8;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const binOf = (v: number): number => {
  f32[0] = v;
  return u32[0] >>> (23 - HISTOGRAM_BITS);
};
const lowerEdge = (bin: number): number => {
  u32[0] = bin << (23 - HISTOGRAM_BITS);
  return f32[0];
};

export class Histogram {
  lo = 0;
  counts = new Float64Array(0);

  add(v: number, n = 1): void {
    this.addBin(binOf(v), n);
  }

  /** Count n values in bin b (the top bits of a positive float32: binOf). */
  addBin(b: number, n = 1): void {
    if (this.counts.length === 0) {
      this.lo = b;
      this.counts = new Float64Array(1);
    } else if (b < this.lo || b >= this.lo + this.counts.length) {
      const lo = Math.min(this.lo, b);
      const hi = Math.max(this.lo + this.counts.length, b + 1);
      const grown = new Float64Array(hi - lo);
      grown.set(this.counts, this.lo - lo);
      this.lo = lo;
      this.counts = grown;
    }
    this.counts[b - this.lo] += n;
  }

  merge(h: Histogram): void {
    for (let i = 0; i < h.counts.length; i++) if (h.counts[i] > 0) this.add(lowerEdge(h.lo + i), h.counts[i]);
  }

  /** The value of rank r (0-based) among the counted ones, spread evenly inside its bin. */
  valueAt(r: number, max: number): number {
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      const c = this.counts[i];
      if (r < seen + c) {
        const x0 = lowerEdge(this.lo + i);
        const x1 = Math.min(lowerEdge(this.lo + i + 1), max);
        return x0 + ((x1 - x0) * (r - seen + 0.5)) / c;
      }
      seen += c;
    }
    return max;
  }

  /** Bin centres with their counts (for scores that sum over the values). */
  *centres(max: number): Generator<[number, number]> {
    for (let i = 0; i < this.counts.length; i++) {
      if (this.counts[i] > 0) yield [Math.min((lowerEdge(this.lo + i) + lowerEdge(this.lo + i + 1)) / 2, max), this.counts[i]];
    }
  }
}

/**
 * Positive float32 values in ascending order (a new array): their bit patterns order like the
 * values, so three counting passes over 11 bits each (buckets that stay in cache) sort them in
 * linear time.
 */
export function sortPositive(values: Float32Array): Float32Array {
  const n = values.length;
  let from: Uint32Array = new Uint32Array(values.buffer, values.byteOffset, n);
  let to: Uint32Array = new Uint32Array(n);
  const spare = new Uint32Array(n);
  const count = new Uint32Array(1 << 11);
  for (let shift = 0; shift < 32; shift += 11) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[(from[i] >>> shift) & 0x7ff]++;
    for (let b = 0, at = 0; b < count.length; b++) {
      const c = count[b];
      count[b] = at;
      at += c;
    }
    for (let i = 0; i < n; i++) to[count[(from[i] >>> shift) & 0x7ff]++] = from[i];
    [from, to] = [to, shift === 0 ? spare : from];
  }
  return new Float32Array(from.buffer, from.byteOffset, n);
}

/** The positive activations of one channel (or of a whole layer, merged). */
export class ChannelStats {
  count = 0;
  max = 0;
  private exact: Float32Array | undefined = new Float32Array(16);
  private hist: Histogram | undefined;
  /** A merged copy (a layer's): a percentile may reorder its values in place. */
  private scratch = false;

  get isExact(): boolean {
    return this.exact !== undefined;
  }

  /**
   * Counts the positive d[i], from <= i < to (the state does not depend on how the values are
   * split into runs); `bits` views d's bytes as uint32 (the histogram bin is the top bits).
   */
  addRun(d: Float32Array, bits: Uint32Array, from: number, to: number): void {
    let n = this.count;
    let max = this.max;
    if (this.exact) {
      if (n + (to - from) > this.exact.length) {
        const grown = new Float32Array(Math.max(2 * this.exact.length, n + (to - from)));
        grown.set(this.exact.subarray(0, n));
        this.exact = grown;
      }
      const ex = this.exact;
      for (let i = from; i < to; i++) {
        const v = d[i];
        if (v > 0) {
          ex[n++] = v;
          if (v > max) max = v;
        }
      }
    } else {
      const h = this.hist!;
      for (let i = from; i < to; i++) {
        const v = d[i];
        if (v > 0) {
          h.addBin(bits[i] >>> (23 - HISTOGRAM_BITS));
          n++;
          if (v > max) max = v;
        }
      }
    }
    this.count = n;
    this.max = max;
  }

  static of(values: Float32Array): ChannelStats {
    const s = new ChannelStats();
    s.addRun(values, new Uint32Array(values.buffer, values.byteOffset, values.length), 0, values.length);
    return s;
  }

  /** Drop the values, keep the histogram (irreversible). */
  sketch(): void {
    if (!this.exact) return;
    const h = new Histogram();
    for (let i = 0; i < this.count; i++) h.add(this.exact[i]);
    this.hist = h;
    this.exact = undefined;
  }

  /** The exact values (undefined once sketched). */
  values(): Float32Array | undefined {
    return this.exact?.subarray(0, this.count);
  }

  /** The histogram of the values (made from them while they are exact). */
  histogram(): Histogram {
    if (this.hist) return this.hist;
    const h = new Histogram();
    for (const v of this.values()!) h.add(v);
    return h;
  }

  /** Several channels as one (a layer's statistics): exact if they all are. */
  static merge(parts: readonly ChannelStats[]): ChannelStats {
    const out = new ChannelStats();
    if (parts.every((p) => p.isExact)) {
      const all = new Float32Array(parts.reduce((s, p) => s + p.count, 0));
      let at = 0;
      for (const p of parts) {
        all.set(p.values()!, at);
        at += p.count;
      }
      out.exact = all;
      out.scratch = true;
    } else {
      out.exact = undefined;
      out.hist = new Histogram();
      for (const p of parts) out.hist.merge(p.histogram());
    }
    out.count = parts.reduce((s, p) => s + p.count, 0);
    out.max = parts.reduce((m, p) => Math.max(m, p.max), 0);
    return out;
  }

  /** numpy's percentile with linear interpolation: exact, or from the histogram within 2^-HISTOGRAM_BITS relative. */
  percentile(p: number, exactPercentile: (values: Float32Array, p: number) => number): number {
    if (this.count === 0) return NaN;
    if (p >= 100) return this.max;
    if (this.exact) return exactPercentile(this.scratch ? this.values()! : this.values()!.slice(), p);
    const pos = ((this.count - 1) * p) / 100;
    const k = Math.floor(pos);
    const lo = this.hist!.valueAt(k, this.max);
    if (k + 1 >= this.count || pos === k) return lo;
    return lo + (this.hist!.valueAt(k + 1, this.max) - lo) * (pos - k);
  }

  /**
   * The values a score sums over, ascending: every `stride`-th value when exact (weight 1), else the
   * bin centres with their counts as weights.
   */
  sortedPoints(stride = 1): { x: Float32Array | Float64Array; w: Float64Array | undefined } {
    if (this.exact) {
      const v = this.values()!;
      if (stride === 1) return { x: sortPositive(v), w: undefined }; // it sorts a copy
      const x = new Float32Array(Math.ceil(v.length / stride));
      for (let k = 0, j = 0; k < v.length; k += stride) x[j++] = v[k];
      return { x: sortPositive(x), w: undefined };
    }
    const bins = [...this.hist!.centres(this.max)];
    return { x: Float64Array.from(bins, (b) => b[0]), w: Float64Array.from(bins, (b) => b[1]) };
  }
}

/** A layer's channels; past EXACT_LIMIT values in all, every channel is sketched. */
export class LayerStats {
  readonly perChannel: ChannelStats[];
  sketched = false;
  private total = 0;

  constructor(
    readonly channels: number,
    private readonly exactLimit = EXACT_LIMIT,
  ) {
    this.perChannel = Array.from({ length: channels }, () => new ChannelStats());
  }

  /**
   * Counts the positive values of a row-major [samples, channels, inner] tensor, one run of
   * `inner` values per (sample, channel); the layer switches to histograms once its total passes
   * the budget.
   */
  addTensor(d: Float32Array, inner: number): void {
    const bits = new Uint32Array(d.buffer, d.byteOffset, d.length);
    const C = this.channels;
    for (let at = 0, c = 0; at < d.length; at += inner, c = c + 1 === C ? 0 : c + 1) {
      const s = this.perChannel[c];
      const before = s.count;
      s.addRun(d, bits, at, at + inner);
      this.total += s.count - before;
      if (this.total > this.exactLimit && !this.sketched) {
        for (const ch of this.perChannel) ch.sketch();
        this.sketched = true;
      }
    }
  }

  /** The whole layer as one channel. */
  layer(): ChannelStats {
    return ChannelStats.merge(this.perChannel);
  }
}
