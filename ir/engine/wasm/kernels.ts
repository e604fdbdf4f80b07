/**
 * The projections of the spiking engine as WebAssembly (128-bit SIMD, two doubles per lane
 * pair): for each event (index i, value v) of the input, add v times the weight row of every
 * output its fan-out reaches. Same arithmetic as a scalar loop — exact for the integers of
 * snn-fixed (|values| < 2^53) — with one rounding per addition in snn-float, in a fixed order.
 *
 * All pointers are byte offsets into the engine's memory (arena.ts).
 */
import { assemble, F64, Fn, I32, V128 } from './asm.js';

/** y[a .. a+len) += v * x[b .. b+len), len = 4k + 2r + s: four, then two, then one at a time. */
function axpyRow(f: Fn, a: string, b: string, len4: string, rem2: string, rem1: string): void {
  f.i32(0).set('k');
  f.block((g) =>
    g.loop((h) => {
      h.get('k').get(len4).geS().brIf(1);
      for (const off of [0, 16]) h.get(a).get(a).loadV128(off).get('vv').get(b).loadV128(off).f64x2Mul().f64x2Add().storeV128(off);
      h.get(a).i32(32).add().set(a);
      h.get(b).i32(32).add().set(b);
      h.get('k').i32(4).add().set('k').br(0);
    }),
  );
  f.block((g) => {
    g.get(rem2).eqz().brIf(0);
    g.get(a).get(a).loadV128().get('vv').get(b).loadV128().f64x2Mul().f64x2Add().storeV128();
    g.get(a).i32(16).add().set(a);
    g.get(b).i32(16).add().set(b);
  });
  f.block((g) => {
    g.get(rem1).eqz().brIf(0);
    g.get(a).get(a).loadF64().get('v').get(b).loadF64().f64Mul().f64Add().storeF64();
  });
}

/**
 * conv(out, ev, n, src, C, segStart, segOut, segW, segLen, w, Og, Cg, kk): for the events
 * i = (p, c) of src, out[segOut[s] + g(c)·Og + j] += src[i] · w[c·kk·Og + segW[s] + j],
 * j < segLen[s], for the segments s of position p (plan.ts, Segments).
 */
function conv(): Fn {
  const f = new Fn('conv', [
    ['out', I32], ['ev', I32], ['n', I32], ['src', I32], ['C', I32], ['segStart', I32], ['segOut', I32], ['segW', I32], ['segLen', I32], ['w', I32], ['Og', I32], ['Cg', I32], ['kk', I32],
  ]);
  f.locals(I32, 'e', 'i', 'p', 'c', 'obase', 'cw', 's', 'send', 'a', 'b', 'k', 'len', 'len4', 'rem2', 'rem1');
  f.locals(F64, 'v');
  f.locals(V128, 'vv');
  f.forRange('e', (g) => g.i32(0), 'n', 1, (g) => {
    g.addr('ev', 'e', 2).loadI32().set('i');
    g.addr('src', 'i', 3).loadF64().tee('v').f64x2Splat().set('vv');
    g.get('i').get('C').divS().set('p');
    g.get('i').get('p').get('C').mul().sub().set('c');
    g.get('c').get('Cg').divS().get('Og').mul().set('obase');
    g.get('c').get('kk').mul().get('Og').mul().set('cw');
    g.addr('segStart', 'p', 2).tee('s').loadI32(4).set('send');
    g.get('s').loadI32().set('s');
    g.block((h) =>
      h.loop((l) => {
        l.get('s').get('send').geS().brIf(1);
        l.get('out').addr('segOut', 's', 2).loadI32().get('obase').add().i32(3).shl().add().set('a');
        l.get('w').get('cw').addr('segW', 's', 2).loadI32().add().i32(3).shl().add().set('b');
        l.addr('segLen', 's', 2).loadI32().tee('len').i32(-4).and().set('len4');
        l.get('len').i32(2).and().set('rem2');
        l.get('len').i32(1).and().set('rem1');
        axpyRow(l, 'a', 'b', 'len4', 'rem2', 'rem1');
        l.get('s').i32(1).add().set('s').br(0);
      }),
    );
  });
  return f;
}

/** dense(out, ev, n, src, wT, M, m4, m2, m1): out[m] += src[i] · wT[i·M + m] for the events i. */
function dense(): Fn {
  const f = new Fn('dense', [['out', I32], ['ev', I32], ['n', I32], ['src', I32], ['wT', I32], ['M', I32], ['m4', I32], ['m2', I32], ['m1', I32]]);
  f.locals(I32, 'e', 'i', 'a', 'b', 'k');
  f.locals(F64, 'v');
  f.locals(V128, 'vv');
  f.forRange('e', (g) => g.i32(0), 'n', 1, (g) => {
    g.addr('ev', 'e', 2).loadI32().set('i');
    g.addr('src', 'i', 3).loadF64().tee('v').f64x2Splat().set('vv');
    g.get('out').set('a');
    g.get('wT').get('i').get('M').mul().i32(3).shl().add().set('b');
    axpyRow(g, 'a', 'b', 'm4', 'm2', 'm1');
  });
  return f;
}

/** Clear last step's spikes (o[ev[e]] = 0 for e < nPrev). */
function clearSpikes(f: Fn): void {
  f.forRange('e', (g) => g.i32(0), 'nPrev', 1, (g) => {
    g.get('o').addr('ev', 'e', 2).loadI32().i32(3).shl().add().f64(0).storeF64();
  });
}

/** Fire test and reset of neuron `i` with potential `u` and threshold `t` (float stage); stores v[i]. */
function fireFloat(f: Fn, i: string, u: string, t: string): void {
  f.get(u).get(t).f64Ge().ifElse((h) => {
    h.get('o').get(i).i32(3).shl().add().get(t).storeF64();
    h.addr('ev', 'n', 2).get(i).storeI32();
    h.get('n').i32(1).add().set('n');
    h.get('subtract').ifElse(
      (k) => k.get(u).get(t).f64Sub().set(u),
      (k) => k.f64(0).set(u),
    );
  });
  f.get('v').get(i).i32(3).shl().add().get(u).storeF64();
}

/**
 * neuronFloat(x, v, o, ev, nPrev, size, C, th, add, leak, subtract) -> spikes:
 * u = v·leak + x + add[c]; u >= θ[c] ? (o = θ, v = subtract ? u − θ : 0) : (o = 0, v = u).
 */
function neuronFloat(): Fn {
  const f = new Fn(
    'neuronFloat',
    [['x', I32], ['v', I32], ['o', I32], ['ev', I32], ['nPrev', I32], ['size', I32], ['C', I32], ['th', I32], ['add', I32], ['leak', F64], ['subtract', I32]],
    [I32],
  );
  f.locals(I32, 'e', 'i', 'c', 'n', 'p');
  f.locals(F64, 'u', 't');
  clearSpikes(f);
  f.i32(0).set('n');
  f.forRange('p', (h) => h.i32(0), 'size', 'C', (h) =>
    h.forRange('c', (k) => k.i32(0), 'C', 1, (q) => {
      q.get('p').get('c').add().set('i');
      q.addr('v', 'i', 3).loadF64().get('leak').f64Mul().addr('x', 'i', 3).loadF64().f64Add().addr('add', 'c', 3).loadF64().f64Add().set('u');
      q.addr('th', 'c', 3).loadF64().set('t');
      fireFloat(q, 'i', 'u', 't');
    }),
  );
  f.get('n').ret();
  return f;
}

/** Narrow the f64 integer on top of the stack to `bits` (wrap) or [lo, hi] (saturate); bump the counter at `counter`. */
function narrow(f: Fn, value: string, lo: string, hi: string, bits: string, wrap: string, counter: string): void {
  f.get(value).get(hi).f64Gt().get(value).get(lo).f64Lt().or().ifElse((g) => {
    g.get(wrap).ifElse(
      (h) => {
        // sign-extend the low `bits` bits: (x << (64 - bits)) >> (64 - bits)
        h.get(value).i64TruncF64().i32(64).get(bits).sub().i64FromI32().i64Shl().i32(64).get(bits).sub().i64FromI32().i64ShrS().f64FromI64().set(value);
      },
      (h) => h.get(value).get(lo).f64Max().get(hi).f64Min().set(value),
    );
    g.get(counter).get(counter).loadF64().f64(1).f64Add().storeF64();
  });
}

/**
 * neuronFixed(x, v, o, ev, nPrev, size, C, th, row, perNeuron, accLo, accHi, vLo, vHi, accBits,
 * vBits, wrap, subtract, counters) -> spikes: the snn-fixed population without leak.
 */
function neuronFixed(): Fn {
  const f = new Fn(
    'neuronFixed',
    [
      ['x', I32], ['v', I32], ['o', I32], ['ev', I32], ['nPrev', I32], ['size', I32], ['C', I32], ['th', I32], ['row', I32], ['perNeuron', I32],
      ['accLo', F64], ['accHi', F64], ['vLo', F64], ['vHi', F64], ['accBits', I32], ['vBits', I32], ['wrap', I32], ['subtract', I32], ['counters', I32],
    ],
    [I32],
  );
  f.locals(I32, 'e', 'i', 'c', 'n', 'vi', 'accCounter', 'vCounter', 'p', 'rowBase');
  f.locals(F64, 'a', 'u', 't');
  clearSpikes(f);
  f.get('counters').set('accCounter');
  f.get('counters').i32(8).add().set('vCounter');
  f.i32(0).set('n');
  f.forRange('p', (g) => g.i32(0), 'size', 'C', (g) => {
    // bias terms of this position: row[p + c] per neuron, row[c] per channel
    g.get('row').get('p').get('perNeuron').mul().i32(3).shl().add().set('rowBase');
    g.forRange('c', (h) => h.i32(0), 'C', 1, (q) => {
      q.get('p').get('c').add().set('i');
      q.addr('x', 'i', 3).loadF64().set('a');
      narrow(q, 'a', 'accLo', 'accHi', 'accBits', 'wrap', 'accCounter');
      // u = (v + a) + this step's bias term of the neuron
      q.addr('v', 'i', 3).tee('vi').loadF64().get('a').f64Add().addr('rowBase', 'c', 3).loadF64().f64Add().set('u');
      narrow(q, 'u', 'vLo', 'vHi', 'vBits', 'wrap', 'vCounter');
      q.addr('th', 'c', 3).loadF64().set('t');
      q.get('u').get('t').f64Ge().ifElse((h) => {
        h.addr('o', 'i', 3).f64(1).storeF64();
        h.addr('ev', 'n', 2).get('i').storeI32();
        h.get('n').i32(1).add().set('n');
        h.get('subtract').ifElse(
          (k) => k.get('u').get('t').f64Sub().set('u'),
          (k) => k.f64(0).set('u'),
        );
      });
      q.get('vi').get('u').storeF64();
    });
  });
  f.get('n').ret();
  return f;
}

export interface KernelExports {
  conv(...args: number[]): void;
  dense(...args: number[]): void;
  neuronFloat(...args: number[]): number;
  neuronFixed(...args: number[]): number;
}

let compiled: WebAssembly.Module | undefined;

/** The kernels bound to `memory` (the module is compiled once per process). */
export function instantiateKernels(memory: WebAssembly.Memory): KernelExports {
  compiled ??= new WebAssembly.Module(assemble([conv(), dense(), neuronFloat(), neuronFixed()], 1));
  return new WebAssembly.Instance(compiled, { env: { mem: memory } }).exports as unknown as KernelExports;
}
