/**
 * Damaged core images for the fuzzer and the image tests: truncation, bit flips, forged 32-bit
 * fields (counts and lengths set to extremes), spliced and shuffled words.
 */
import type { Rng } from '../../src/util/rng.js';

const FORGED = [0, 1, 2, 3, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe];

export function mutateImage(bytes: Uint8Array, r: Rng): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const words = Math.floor((out.length - 8) / 4);
  for (let k = r.int(1, 3); k > 0; k--) {
    const m = r.int(0, 4);
    if (m === 0) return out.subarray(0, r.int(0, out.length - 1));
    if (m === 1) out[r.int(0, out.length - 1)] ^= 1 << r.int(0, 7);
    else if (m === 2 && words > 0) view.setUint32(8 + 4 * r.int(0, Math.min(words - 1, r.chance(0.5) ? 40 : words - 1)), r.pick(FORGED), true);
    else if (m === 3 && words > 1) {
      const a = 8 + 4 * r.int(0, words - 1);
      const b = 8 + 4 * r.int(0, words - 1);
      const t = view.getUint32(a, true);
      view.setUint32(a, view.getUint32(b, true), true);
      view.setUint32(b, t, true);
    } else if (words > 0) view.setInt32(8 + 4 * r.int(0, words - 1), r.int(-5, 5), true);
  }
  return out;
}
