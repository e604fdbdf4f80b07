/**
 * .npy files for the fuzzer: headers built field by field from valid and invalid choices
 * (magic, version, header length, descr, fortran_order, shape, padding) with data that is
 * the right length, short or long.
 */
import type { Rng } from '../../src/util/rng.js';

const DESCRS = ["'|u1'", "'<f4'", "'<f8'", "'>f4'", "'<i8'", "'<i4'", "'|b1'", "'<c8'", "'<U3'", "'O'", "'|u1", '1', "''", "'<f2'", "'|i1'", "'<u2'"];
const SHAPES = ['()', '(0,)', '(1,)', '(3,)', '(2, 2)', '(1, 1, 2, 2)', '(4, 1, 28, 28)', '(-1,)', '(2147483648, 2)', '(1e3,)', '(2, 3', '((2,),)', '(1 2)', "('a',)", '(9007199254740993,)', '(65536, 65536, 65536)'];

export function makeNpy(r: Rng): Uint8Array {
  const fields = [
    `'descr': ${r.pick(DESCRS)}`,
    `'fortran_order': ${r.pick(['False', 'False', 'True', '0', 'None'])}`,
    `'shape': ${r.pick(SHAPES)}`,
  ];
  if (r.chance(0.1)) fields.splice(r.int(0, 2), 1);
  if (r.chance(0.1)) fields.push(`'extra': ${r.pick(['1', "'x'", '[]'])}`);
  let header = `{${fields.join(', ')}, }`;
  if (r.chance(0.1)) header = header.slice(0, r.int(0, header.length));
  const version = r.chance(0.85) ? r.pick([1, 2, 3]) : r.int(0, 255);
  const lenBytes = version >= 2 ? 4 : 2;
  const pre = 6 + 2 + lenBytes;
  const padded = header.padEnd(Math.ceil((pre + header.length + 1) / 64) * 64 - pre - 1) + (r.chance(0.95) ? '\n' : ' ');
  const text = new TextEncoder().encode(padded);
  const hdrLen = r.chance(0.9) ? text.length : r.pick([0, 1, text.length + 1, 0xffff, 0x7fffffff]);
  const dataLen = r.chance(0.7) ? r.pick([0, 1, 4, 16, 64, 784 * 4]) : r.int(0, 4096);
  const out = new Uint8Array(pre + text.length + dataLen);
  out.set(r.chance(0.97) ? [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59] : [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x58]);
  out[6] = version;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (lenBytes === 2) view.setUint16(8, Math.min(hdrLen, 0xffff), true);
  else view.setUint32(8, hdrLen, true);
  out.set(text, pre);
  for (let i = pre + text.length; i < out.length; i++) out[i] = r.int(0, 255);
  return r.chance(0.05) ? out.subarray(0, r.int(0, out.length)) : out;
}
