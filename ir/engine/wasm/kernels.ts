/**
 * The hot loops of the spiking engine as WebAssembly with 128-bit SIMD. Projections: for each
 * event (index i, value v) of the input, add v times the weight row of every output its fan-out
 * reaches — float64 for snn-fixed (exact for its integers, |values| < 2^53), float32 for
 * snn-float, always in the same order. Population updates: one float32 kernel for snn-float, one
 * float64 (exact integer) kernel for snn-fixed.
 *
 * All pointers are byte offsets into the engine's memory (arena.ts).
 */
import { assemble, F32, F64, Fn, I32, V128, type ValType } from './asm.js';

/** The element type a kernel is built for: float64 (exact for the integers of snn-fixed) or float32 (snn-float). */
interface Elem {
  readonly tag: 'f64' | 'f32';
  readonly shift: number; // log2(bytes)
  readonly lanes: number; // per 128-bit vector
  readonly type: typeof F64 | typeof F32;
  load(f: Fn): void;
  store(f: Fn): void;
  add(f: Fn): void;
  mul(f: Fn): void;
  sub(f: Fn): void;
  zero(f: Fn): void;
  splat(f: Fn): void;
  vadd(f: Fn): void;
  vmul(f: Fn): void;
}

const E64: Elem = {
  tag: 'f64', shift: 3, lanes: 2, type: F64,
  load: (f) => f.loadF64(), store: (f) => f.storeF64(), add: (f) => f.f64Add(), mul: (f) => f.f64Mul(), sub: (f) => f.f64Sub(), zero: (f) => f.f64(0),
  splat: (f) => f.f64x2Splat(), vadd: (f) => f.f64x2Add(), vmul: (f) => f.f64x2Mul(),
};
const E32: Elem = {
  tag: 'f32', shift: 2, lanes: 4, type: F32,
  load: (f) => f.loadF32(), store: (f) => f.storeF32(), add: (f) => f.f32Add(), mul: (f) => f.f32Mul(), sub: (f) => f.f32Sub(), zero: (f) => f.f32(0),
  splat: (f) => f.f32x4Splat(), vadd: (f) => f.f32x4Add(), vmul: (f) => f.f32x4Mul(),
};

/**
 * y[a .. a+len) += v · x[b .. b+len) (element pointers a, b advance): two vectors at a time,
 * then one, then element by element. Locals: k, kend, and v / vv (the value, scalar and splat).
 */
function axpyRow(f: Fn, E: Elem, a: string, b: string, len: string): void {
  const step = (g: Fn, vector: boolean): void => {
    if (vector) {
      g.get(a).get(a).loadV128().get('vv').get(b).loadV128();
      E.vmul(g);
      E.vadd(g);
      g.storeV128();
    } else {
      g.get(a).get(a);
      E.load(g);
      g.get('v').get(b);
      E.load(g);
      E.mul(g);
      E.add(g);
      E.store(g);
    }
    const bytes = vector ? 16 : 1 << E.shift;
    g.get(a).i32(bytes).add().set(a);
    g.get(b).i32(bytes).add().set(b);
  };
  const two = 2 * E.lanes;
  f.get(len).i32(-two).and().set('kend');
  f.forRange('k', (g) => g.i32(0), 'kend', two, (g) => {
    step(g, true);
    step(g, true);
  });
  f.block((g) => {
    g.get(len).i32(E.lanes).and().eqz().brIf(0);
    step(g, true);
  });
  f.get(len).i32(E.lanes - 1).and().set('kend');
  f.forRange('k', (g) => g.i32(0), 'kend', 1, (g) => step(g, false));
}

/**
 * The position p of event i (locals i, p, pbase = p·C, C): p = floor(i / C) without a division.
 * Events come in ascending order, so p walks forward from the last event's position; it restarts
 * from 0 if an event list ever goes back.
 */
function walkToPosition(g: Fn): void {
  g.get('i').get('pbase').ltS().ifElse((h) => h.i32(0).set('p').i32(0).set('pbase'));
  g.block((wb) =>
    wb.loop((w) => {
      w.get('i').get('pbase').sub().get('C').ltS().brIf(1);
      w.get('pbase').get('C').add().set('pbase');
      w.get('p').i32(1).add().set('p');
      w.br(0);
    }),
  );
}

/**
 * conv_E(out, ev, n, src, C, segStart, segOut, segW, segLen, w, Og, Cg, kk): for the events
 * i = (p, c) of src, out[segOut[s] + g(c)·Og + j] += src[i] · w[c·kk·Og + segW[s] + j],
 * j < segLen[s], for the segments s of position p (plan.ts, Segments).
 */
function conv(E: Elem): Fn {
  const f = new Fn(`conv_${E.tag}`, [
    ['out', I32], ['ev', I32], ['n', I32], ['src', I32], ['C', I32], ['segStart', I32], ['segOut', I32], ['segW', I32], ['segLen', I32], ['w', I32], ['Og', I32], ['Cg', I32], ['kk', I32],
  ]);
  f.locals(I32, 'e', 'i', 'p', 'pbase', 'c', 'obase', 'cw', 's', 'send', 'a', 'b', 'k', 'kend', 'len');
  f.locals(E.type, 'v');
  f.locals(V128, 'vv');
  f.i32(0).set('p');
  f.i32(0).set('pbase');
  f.forRange('e', (g) => g.i32(0), 'n', 1, (g) => {
    g.addr('ev', 'e', 2).loadI32().set('i');
    g.addr('src', 'i', E.shift);
    E.load(g);
    g.tee('v');
    E.splat(g);
    g.set('vv');
    walkToPosition(g);
    g.get('i').get('pbase').sub().set('c');
    // group of channel c: 0 (ordinary), c (depthwise), c / Cg otherwise
    g.get('Cg').get('C').eq().ifElse(
      (h) => h.i32(0).set('obase'),
      (h) => h.get('Cg').i32(1).eq().ifElse((k) => k.get('c').set('obase'), (k) => k.get('c').get('Cg').divS().set('obase')),
    );
    g.get('obase').get('Og').mul().set('obase');
    g.get('c').get('kk').mul().get('Og').mul().set('cw');
    g.addr('segStart', 'p', 2).tee('s').loadI32(4).set('send');
    g.get('s').loadI32().set('s');
    g.forRange('s', (h) => h.get('s'), 'send', 1, (l) => {
      l.get('out').addr('segOut', 's', 2).loadI32().get('obase').add().i32(E.shift).shl().add().set('a');
      l.get('w').get('cw').addr('segW', 's', 2).loadI32().add().i32(E.shift).shl().add().set('b');
      l.addr('segLen', 's', 2).loadI32().set('len');
      axpyRow(l, E, 'a', 'b', 'len');
    });
  });
  return f;
}

/**
 * convpos_E(out, ev, n, src, C, segStart, segOut, segW, segLen, w, cstride, scratch): conv_E for a
 * convolution of one group, with the events of one input position taken together. Their
 * splatted values and weight offsets (c · cstride bytes) go to `scratch`, 32 bytes per event;
 * then every tile of TILE vectors of every segment of the position is loaded once, receives
 * v · w of each of those events in event order, and is stored once. Every output element sees
 * the same additions in the same order as with conv_E (positions ascending, then the position's
 * events), hence the same bits; the output is read and written once per position instead of
 * once per event. (Blocking the output channels so that a block's weights stay in L2, and a
 * tap-major weight layout, were both slower on ResNet-18's layers at 224: docs/engine.md.)
 */
const TILE = 4;
function convByPosition(E: Elem): Fn {
  const f = new Fn(`convpos_${E.tag}`, [
    ['out', I32], ['ev', I32], ['n', I32], ['src', I32], ['C', I32], ['segStart', I32], ['segOut', I32], ['segW', I32], ['segLen', I32], ['w', I32], ['cstride', I32], ['scratch', I32],
  ]);
  const acc = Array.from({ length: TILE }, (_, k) => `acc${k}`);
  f.locals(I32, 'e', 'i', 'p', 'pbase', 'r', 'rend', 's', 'send', 'a', 'wb', 'lenb', 'jb', 'jend', 'b');
  f.locals(E.type, 'x');
  f.locals(V128, 'vv', ...acc);
  /** Add the position's events into `vectors` vectors (0: one scalar) at byte jb of the segment. */
  const tile = (t: Fn, vectors: number): void => {
    const names = vectors === 0 ? ['x'] : acc.slice(0, vectors);
    names.forEach((name, k) => {
      t.get('a').get('jb').add();
      if (vectors === 0) E.load(t);
      else t.loadV128(16 * k);
      t.set(name);
    });
    t.forRange('r', (h) => h.get('scratch'), 'rend', 32, (q) => {
      if (vectors > 0) q.get('r').loadV128().set('vv');
      q.get('wb').get('r').loadI32(16).add().get('jb').add().set('b');
      names.forEach((name, k) => {
        q.get(name);
        if (vectors === 0) {
          q.get('r');
          E.load(q);
          q.get('b');
          E.load(q);
          E.mul(q);
          E.add(q);
        } else {
          q.get('vv').get('b').loadV128(16 * k);
          E.vmul(q);
          E.vadd(q);
        }
        q.set(name);
      });
    });
    names.forEach((name, k) => {
      t.get('a').get('jb').add().get(name);
      if (vectors === 0) E.store(t);
      else t.storeV128(16 * k);
    });
  };
  /** The events of one position, gathered into scratch, added into each of its segments. */
  const position = (pos: Fn): void => {
    pos.addr('ev', 'e', 2).loadI32().set('i');
    walkToPosition(pos);
    pos.get('scratch').set('r');
    pos.block((gb) =>
      gb.loop((gl) => {
        gl.get('r').addr('src', 'i', E.shift);
        E.load(gl);
        E.splat(gl);
        gl.storeV128();
        gl.get('r').get('i').get('pbase').sub().get('cstride').mul().storeI32(16);
        gl.get('r').i32(32).add().set('r');
        gl.get('e').i32(1).add().tee('e').get('n').geS().brIf(1);
        gl.addr('ev', 'e', 2).loadI32().tee('i').get('pbase').sub().get('C').ltU().brIf(0);
      }),
    );
    pos.get('r').set('rend');
    pos.addr('segStart', 'p', 2).tee('s').loadI32(4).set('send');
    pos.get('s').loadI32().set('s');
    pos.forRange('s', (h) => h.get('s'), 'send', 1, (l) => {
      l.get('out').addr('segOut', 's', 2).loadI32().i32(E.shift).shl().add().set('a');
      l.get('w').addr('segW', 's', 2).loadI32().i32(E.shift).shl().add().set('wb');
      l.addr('segLen', 's', 2).loadI32().i32(E.shift).shl().set('lenb');
      l.get('lenb').i32(-16 * TILE).and().set('jend');
      l.forRange('jb', (h) => h.i32(0), 'jend', 16 * TILE, (t) => tile(t, TILE));
      l.get('lenb').i32(-16).and().set('jend');
      l.forRange('jb', (h) => h.get('jb'), 'jend', 16, (t) => tile(t, 1));
      l.forRange('jb', (h) => h.get('jb'), 'lenb', 1 << E.shift, (t) => tile(t, 0));
    });
  };
  f.i32(0).set('p');
  f.i32(0).set('pbase');
  f.i32(0).set('e');
  f.block((done) =>
    done.loop((pos) => {
      pos.get('e').get('n').geS().brIf(1);
      position(pos);
      pos.br(0);
    }),
  );
  return f;
}

/** dense_E(out, ev, n, src, wT, M): out[m] += src[i] · wT[i·M + m] for the events i. */
function dense(E: Elem): Fn {
  const f = new Fn(`dense_${E.tag}`, [['out', I32], ['ev', I32], ['n', I32], ['src', I32], ['wT', I32], ['M', I32]]);
  f.locals(I32, 'e', 'i', 'a', 'b', 'k', 'kend');
  f.locals(E.type, 'v');
  f.locals(V128, 'vv');
  f.forRange('e', (g) => g.i32(0), 'n', 1, (g) => {
    g.addr('ev', 'e', 2).loadI32().set('i');
    g.addr('src', 'i', E.shift);
    E.load(g);
    g.tee('v');
    E.splat(g);
    g.set('vv');
    g.get('out').set('a');
    g.get('wT').get('i').get('M').mul().i32(E.shift).shl().add().set('b');
    axpyRow(g, E, 'a', 'b', 'M');
  });
  return f;
}

/** Clear last step's spikes: o[ev[e]] = 0 for e < nPrev (local 'e'). */
function clearSpikes(f: Fn, E: Elem): void {
  f.forRange('e', (g) => g.i32(0), 'nPrev', 1, (g) => {
    g.get('o').addr('ev', 'e', 2).loadI32().i32(E.shift).shl().add();
    E.zero(g);
    E.store(g);
  });
}

/** After a spike: u = subtract ? u − t : 0 (locals 'u', 't', 'subtract'). */
function resetFired(f: Fn, E: Elem): void {
  f.get('subtract').ifElse(
    (k) => {
      k.get('u').get('t');
      E.sub(k);
      k.set('u');
    },
    (k) => {
      E.zero(k);
      k.set('u');
    },
  );
}

const NEURON_FLOAT_PARAMS: readonly [string, ValType][] = [['x', I32], ['v', I32], ['o', I32], ['ev', I32], ['nPrev', I32], ['size', I32], ['C', I32], ['th', I32], ['amp', I32], ['add', I32], ['leak', I32], ['subtract', I32], ['strict', I32]];

/**
 * The walk of both float population kernels: for each position, for each channel (or group of
 * `stride` / 4 channels), body(q) with pv, px at the neuron and pt, pam, pa at its channel's θ,
 * spike amplitude and additive term; then pv, px, pt, pam, pa and the `extra` pointers advance by
 * `stride` bytes. (A population with per-neuron θ or terms is passed as one position of C = size
 * "channels", so the same walk serves every parameter layout.)
 */
function walkPopulation(f: Fn, stride: number, extra: readonly string[], body: (q: Fn) => void): void {
  f.locals(I32, 'pv', 'px', 'pt', 'pam', 'pa', 'vend', 'tend');
  f.get('v').set('pv');
  f.get('x').set('px');
  f.get('v').get('size').i32(2).shl().add().set('vend');
  f.get('th').get('C').i32(2).shl().add().set('tend');
  f.block((b) =>
    b.loop((outer) => {
      outer.get('pv').get('vend').geS().brIf(1);
      outer.get('th').set('pt');
      outer.get('amp').set('pam');
      outer.get('add').set('pa');
      outer.block((ib) =>
        ib.loop((q) => {
          q.get('pt').get('tend').geS().brIf(1);
          body(q);
          for (const ptr of ['pv', 'px', 'pt', 'pam', 'pa', ...extra]) q.get(ptr).i32(stride).add().set(ptr);
          q.br(0);
        }),
      );
      outer.br(0);
    }),
  );
}

/**
 * neuronFloat(x, v, o, ev, nPrev, size, C, th, amp, add, leak, subtract, strict) -> spikes, in float32:
 * u = v·leak[i] + x + add[c] (leak: per neuron, walked like v); (strict ? u > θ[c] : u >= θ[c]) ? (o = amp[c], v = subtract ? u − θ : 0) : (o = 0, v = u).
 * Walks v, x (per neuron) and θ, amp, add (per channel, rewound at every position) by pointer.
 */
function neuronFloat(): Fn {
  const f = new Fn('neuronFloat', NEURON_FLOAT_PARAMS, [I32]);
  f.locals(I32, 'e', 'n', 'fires', 'pl');
  f.locals(F32, 'u', 't');
  clearSpikes(f, E32);
  f.i32(0).set('n');
  f.get('leak').set('pl');
  walkPopulation(f, 4, ['pl'], (q) => {
    q.get('pv').loadF32().get('pl').loadF32().f32Mul().get('px').loadF32().f32Add().get('pa').loadF32().f32Add().set('u');
    q.get('pt').loadF32().set('t');
    q.get('strict').ifElse(
      (k) => k.get('u').get('t').f32Gt().set('fires'),
      (k) => k.get('u').get('t').f32Ge().set('fires'),
    );
    q.get('fires').ifElse((h) => {
      // i = (pv - v) / 4: record the spike, emit the amplitude, reset
      h.get('ev').get('n').i32(2).shl().add().get('pv').get('v').sub().i32(2).shrS().storeI32();
      h.get('n').i32(1).add().set('n');
      h.get('o').get('pv').get('v').sub().add().get('pam').loadF32().storeF32();
      resetFired(h, E32);
    });
    q.get('pv').get('u').storeF32();
  });
  f.get('n').ret();
  return f;
}

/**
 * neuronFloatX4: neuronFloat four neurons at a time (f32x4), for C (the lanes) a multiple of 4, without
 * branches on the data. Lane by lane the same float32 operations in the same order, so the same
 * bits: u = v·leak + x + add; m = u >= θ (u > θ when strict); o = amp & m (every lane written, so last step's spikes
 * need no clearing); v = subtract ? u − (θ & m) : u & ~m (u − 0 = u where nothing fired). Events:
 * each lane's index is written at ev[n] and n advances by its mask bit (at most ev[idx + 3] is
 * written, inside the list since n <= idx).
 */
function neuronFloatX4(): Fn {
  const f = new Fn('neuronFloatX4', NEURON_FLOAT_PARAMS, [I32]);
  f.locals(I32, 'n', 'po', 'bits', 'idx', 'pl');
  f.locals(V128, 'u', 't', 'm', 'fired');
  f.i32(0).set('n');
  f.i32(0).set('idx');
  f.get('leak').set('pl');
  f.get('o').set('po');
  walkPopulation(f, 16, ['po', 'pl'], (q) => {
    q.get('pv').loadV128().get('pl').loadV128().f32x4Mul().get('px').loadV128().f32x4Add().get('pa').loadV128().f32x4Add().set('u');
    q.get('pt').loadV128().set('t');
    q.get('strict').ifElse(
      (k) => k.get('u').get('t').f32x4Gt().set('m'),
      (k) => k.get('u').get('t').f32x4Ge().set('m'),
    );
    q.get('t').get('m').v128And().set('fired');
    q.get('po').get('pam').loadV128().get('m').v128And().storeV128();
    q.get('m').i32x4Bitmask().set('bits');
    for (let lane = 0; lane < 4; lane++) {
      q.get('ev').get('n').i32(2).shl().add().get('idx').i32(lane).add().storeI32();
      q.get('n').get('bits').i32(lane).shrU().i32(1).and().add().set('n');
    }
    q.get('subtract').ifElse(
      (k) => k.get('pv').get('u').get('fired').f32x4Sub().storeV128(),
      (k) => k.get('pv').get('u').get('m').v128AndNot().storeV128(),
    );
    q.get('idx').i32(4).add().set('idx');
  });
  f.get('n').ret();
  return f;
}

/** addVec_E(out, a, b, len): out[i] = a[i] + b[i], i < len (elementwise; the same bits as scalar adds). */
function addVec(E: Elem): Fn {
  const f = new Fn(`add_${E.tag}`, [['out', I32], ['a', I32], ['b', I32], ['len', I32]]);
  f.locals(I32, 'k', 'kend');
  f.get('len').i32(-E.lanes).and().set('kend');
  const at = (g: Fn, p: string): Fn => g.get(p).get('k').i32(E.shift).shl().add();
  f.forRange('k', (g) => g.i32(0), 'kend', E.lanes, (g) => {
    at(g, 'out');
    at(g, 'a').loadV128();
    at(g, 'b').loadV128();
    E.vadd(g);
    g.storeV128();
  });
  f.forRange('k', (g) => g.get('kend'), 'len', 1, (g) => {
    at(g, 'out');
    E.load(at(g, 'a'));
    E.load(at(g, 'b'));
    E.add(g);
    E.store(g);
  });
  return f;
}

/** Narrow the f64 integer in local `value` to `bits` (wrap) or [lo, hi] (saturate); bump the f64 counter at pointer `counter`. */
export function narrow(f: Fn, value: string, lo: string, hi: string, bits: string, wrap: string, counter: string): void {
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
 * neuronFixed(x, v, o, ev, nPrev, size, C, th, thPerNeuron, row, perNeuron, accLo, accHi, vLo, vHi, accBits,
 * vBits, wrap, subtract, counters) -> spikes: the snn-fixed population without leak.
 */
function neuronFixed(): Fn {
  const f = new Fn(
    'neuronFixed',
    [
      ['x', I32], ['v', I32], ['o', I32], ['ev', I32], ['nPrev', I32], ['size', I32], ['C', I32], ['th', I32], ['thPerNeuron', I32], ['row', I32], ['perNeuron', I32],
      ['accLo', F64], ['accHi', F64], ['vLo', F64], ['vHi', F64], ['accBits', I32], ['vBits', I32], ['wrap', I32], ['subtract', I32], ['counters', I32],
    ],
    [I32],
  );
  f.locals(I32, 'e', 'i', 'c', 'n', 'vi', 'accCounter', 'vCounter', 'p', 'rowBase', 'thBase');
  f.locals(F64, 'a', 'u', 't');
  clearSpikes(f, E64);
  f.get('counters').set('accCounter');
  f.get('counters').i32(8).add().set('vCounter');
  f.i32(0).set('n');
  f.forRange('p', (g) => g.i32(0), 'size', 'C', (g) => {
    // bias terms and thresholds of this position: table[p + c] per neuron, table[c] per channel
    g.get('row').get('p').get('perNeuron').mul().i32(3).shl().add().set('rowBase');
    g.get('th').get('p').get('thPerNeuron').mul().i32(3).shl().add().set('thBase');
    g.forRange('c', (h) => h.i32(0), 'C', 1, (q) => {
      q.get('p').get('c').add().set('i');
      q.addr('x', 'i', 3).loadF64().set('a');
      narrow(q, 'a', 'accLo', 'accHi', 'accBits', 'wrap', 'accCounter');
      // u = (v + a) + this step's bias term of the neuron
      q.addr('v', 'i', 3).tee('vi').loadF64().get('a').f64Add().addr('rowBase', 'c', 3).loadF64().f64Add().set('u');
      narrow(q, 'u', 'vLo', 'vHi', 'vBits', 'wrap', 'vCounter');
      q.addr('thBase', 'c', 3).loadF64().set('t');
      q.get('u').get('t').f64Ge().ifElse((h) => {
        h.addr('o', 'i', 3).f64(1).storeF64();
        h.addr('ev', 'n', 2).get('i').storeI32();
        h.get('n').i32(1).add().set('n');
        resetFired(h, E64);
      });
      q.get('vi').get('u').storeF64();
    });
  });
  f.get('n').ret();
  return f;
}

/** Byte offsets in the engine's memory are `number`s named for what they point at; the order is each Fn's parameter list above. */
type Conv = (out: number, ev: number, n: number, src: number, C: number, segStart: number, segOut: number, segW: number, segLen: number, w: number, Og: number, Cg: number, kk: number) => void;
type ConvByPosition = (out: number, ev: number, n: number, src: number, C: number, segStart: number, segOut: number, segW: number, segLen: number, w: number, cstride: number, scratch: number) => void;
type Dense = (out: number, ev: number, n: number, src: number, wT: number, M: number) => void;
type AddVec = (out: number, a: number, b: number, len: number) => void;
/** Returns the number of spikes. */
export type NeuronFloatKernel = (x: number, v: number, o: number, ev: number, nPrev: number, size: number, C: number, th: number, amp: number, add: number, leak: number, subtract: number, strict: number) => number;
/** Returns the number of spikes; counters: [accumulator, membrane] narrowings, updated in place. */
type NeuronFixed = (
  x: number, v: number, o: number, ev: number, nPrev: number, size: number, C: number, th: number, thPerNeuron: number, row: number, perNeuron: number,
  accLo: number, accHi: number, vLo: number, vHi: number, accBits: number, vBits: number, wrap: number, subtract: number, counters: number,
) => number;

export interface KernelExports {
  conv_f64: Conv;
  conv_f32: Conv;
  convpos_f64: ConvByPosition;
  convpos_f32: ConvByPosition;
  dense_f64: Dense;
  dense_f32: Dense;
  add_f64: AddVec;
  add_f32: AddVec;
  neuronFloat: NeuronFloatKernel;
  neuronFloatX4: NeuronFloatKernel;
  neuronFixed: NeuronFixed;
}

let compiled: WebAssembly.Module | undefined;

/** The kernels bound to `memory` (the module is compiled once per process). */
export function instantiateKernels(memory: WebAssembly.Memory): KernelExports {
  compiled ??= new WebAssembly.Module(assemble([conv(E64), conv(E32), convByPosition(E64), convByPosition(E32), dense(E64), dense(E32), addVec(E64), addVec(E32), neuronFloat(), neuronFloatX4(), neuronFixed()], 1));
  return new WebAssembly.Instance(compiled, { env: { mem: memory } }).exports as unknown as KernelExports;
}
