/**
 * Building C programs for the differential tests: every model of a program in one translation
 * unit (unity.c includes each model's .c; the emitter prefixes every file-scope name), and a
 * build cache keyed by the content of every source, the flags and the compiler's version, so
 * that a rerun on the same machine skips the compiler.
 *
 * Flags: the random graphs, which exercise every emitter template and integer mode, are built
 * at -O0 with AddressSanitizer and the UndefinedBehaviorSanitizer checks that integer code can
 * trip (signed overflow, shifts, division, bounds, unreachable code, missing returns); at -O0
 * no optimisation removes a check, and the build is four times faster than -O1 with all of
 * -fsanitize=undefined (whose remaining checks — alignment, null, object size, float casts,
 * enums, vptr — do not apply to the emitted integer C or are subsumed by ASan).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Graph } from '../../ir/types.js';
import { emitC, emitModelTable } from '../../targets/c/emit.js';
import { runtimeFiles } from '../../targets/c/index.js';

export const WARNINGS = ['-std=c99', '-Wall', '-Wextra', '-Werror'];
export const SANITIZE = [...WARNINGS, '-O0', '-fsanitize=address,signed-integer-overflow,shift,integer-divide-by-zero,bounds,unreachable,return', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'];

// outside the run's scratch TMPDIR (helpers/scratch-tmp.ts), so that it outlives the run
const CACHE = process.env.SNNC_TEST_CC_CACHE ?? join(tmpdir(), 'snnc-test-cc-cache');
let ccVersion: string | undefined;

/**
 * Runs `fn` with LeakSanitizer's exit scan off in the programs it starts (ASAN_OPTIONS
 * detect_leaks=0). The scan costs about 40 ms a run, most of a sanitized run's time here; every
 * model of a program goes through the same host allocations, so one run of each program with
 * the scan checks them and the others need not repeat it.
 */
export function withoutLeakScan<R>(fn: () => R): R {
  const before = process.env.ASAN_OPTIONS;
  process.env.ASAN_OPTIONS = [before, 'detect_leaks=0'].filter(Boolean).join(':');
  try {
    return fn();
  } finally {
    if (before === undefined) delete process.env.ASAN_OPTIONS;
    else process.env.ASAN_OPTIONS = before;
  }
}

/** Write the sources of a program holding `graphs` into `dir`. */
export function writeProgram(dir: string, graphs: readonly { prefix: string; graph: Graph }[]): void {
  mkdirSync(dir, { recursive: true });
  for (const { prefix, graph } of graphs) for (const f of emitC(graph, { prefix })) writeFileSync(join(dir, f.path), f.contents);
  for (const f of [...runtimeFiles(), emitModelTable(graphs.map((g) => g.prefix))]) writeFileSync(join(dir, f.path), f.contents);
  writeFileSync(join(dir, 'unity.c'), graphs.map((g) => `#include "${g.prefix}.c"\n`).join(''));
}

/** Compile the program in `dir` to `dir/model` (from the cache when the same sources were built with the same flags). */
export async function buildProgram(dir: string, prefixes: readonly string[], flags: readonly string[]): Promise<string> {
  ccVersion ??= spawnSync('cc', ['--version'], { encoding: 'utf8' }).stdout;
  const files = ['unity.c', 'models.c', 'snnc_host.c', 'snnc_fixed.h', 'snnc_model.h', ...prefixes.flatMap((p) => [`${p}.c`, `${p}.h`])];
  const h = createHash('sha256').update(ccVersion).update(flags.join(' '));
  for (const f of files) h.update(f).update(readFileSync(join(dir, f)));
  const cached = join(CACHE, h.digest('hex'));
  const exe = join(dir, 'model');
  if (existsSync(cached)) {
    copyFileSync(cached, exe);
    return exe;
  }
  await new Promise<void>((resolve, reject) => {
    const p = spawn('cc', [...flags, '-o', exe, 'unity.c', 'models.c', 'snnc_host.c'], { cwd: dir });
    let err = '';
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`cc failed:\n${err.slice(0, 4000)}`))));
  });
  mkdirSync(CACHE, { recursive: true });
  copyFileSync(exe, `${cached}.tmp${process.pid}`);
  renameSync(`${cached}.tmp${process.pid}`, cached);
  return exe;
}
