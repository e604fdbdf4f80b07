/** What every command shares: exit codes, error reporting, and the model/data options. */
import { isLayerMajor, runSteps } from '../../ir/tpp.js';
import type { Graph } from '../../ir/types.js';
import { overflowCounts, type OverflowReport } from '../../ir/interp-fixed.js';
import { DIAGNOSTICS, formatDiagnostic, SnncError, type Category, type DiagnosticCode } from '../../ir/diagnostics.js';

/** Documented exit codes (README "Exit codes"). */
export const EXIT: Record<Category | 'ok' | 'internal', number> = {
  ok: 0,
  internal: 1,
  usage: 2,
  model: 3,
  unsupported: 4,
  data: 5,
  overflow: 6,
  mismatch: 7,
  io: 8,
};

/** Run a command body; user errors print one line on stderr and set the exit code. */
export async function runCommand(body: () => Promise<void> | void): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (e instanceof SnncError) {
      process.stderr.write(`snnc: ${e.format()}\n`);
      process.exitCode = EXIT[DIAGNOSTICS[e.code].category];
      return;
    }
    const err = e as Error;
    process.stderr.write(`snnc: internal error: ${err.message}\n`);
    if (process.env.SNNC_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exitCode = EXIT.internal;
  }
}

/** A warning line on stderr (the run goes on). */
export function warn(code: DiagnosticCode, message: string, where?: string): void {
  process.stderr.write(`snnc: ${formatDiagnostic({ code, severity: 'warning', message, ...(where ? { where } : {}) })}\n`);
}

/**
 * SNN0206 when an integer network saturated or wrapped while it ran (counts over all its samples):
 * what it computed is the narrowed network's, not the float one's. Units that never did are skipped.
 */
export function warnOverflow(what: string, overflow: readonly OverflowReport[] | undefined, samples: number, runs = 1): void {
  const hit = (overflow ?? []).filter((u) => u.acc || u.v);
  if (!hit.length) return;
  const where = hit.map((u) => `%${u.id} (${overflowCounts(u)})`).join(', ');
  const on = runs > 1 ? `in ${runs} runs of ${samples} samples (one per T; counts summed)` : `on ${samples} samples`;
  warn('SNN0206', `${what} saturated or wrapped at run time ${on}: ${where}; its results are those of the narrowed network (fewer weight bits, or a wider target, avoid it)`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** "T steps", or for a layer-major (TPP) network its T and the global steps of its schedule. */
export function stepsText(g: Graph): string {
  return isLayerMajor(g) ? `${g.steps} steps (layer-major: ${runSteps(g)} global steps)` : `${g.steps} steps`;
}
