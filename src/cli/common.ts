/** What every command shares: exit codes, error reporting, and the model/data options. */
import { isLayerMajor, runSteps } from '../../ir/tpp.js';
import type { Graph } from '../../ir/types.js';
import { overflowCounts, type OverflowReport } from '../../ir/interp-fixed.js';
import { describeEffect, type SaturationEffect } from '../exec/saturation-effect.js';
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
 * SNN0206 when an integer network saturated or wrapped while it ran (counts over all its samples),
 * with what that changed against the same network with registers too wide to saturate
 * (src/exec/saturation-effect.ts). Units that never did are skipped.
 */
export function warnOverflow(what: string, r: { overflow: readonly OverflowReport[] | undefined; samples: number; runs?: number; effect: SaturationEffect | undefined }): void {
  const hit = (r.overflow ?? []).filter((u) => u.acc || u.v);
  if (!hit.length) return;
  const runs = r.runs ?? 1;
  const where = hit.map((u) => `%${u.id} (${overflowCounts(u)})`).join(', ');
  const on = runs > 1 ? `in ${runs} runs of ${r.samples} samples (one per T; counts summed)` : `on ${r.samples} samples`;
  const changed = !r.effect || r.effect.readouts > 0;
  warn('SNN0206', `${what} saturated or wrapped at run time ${on}: ${where}; ${describeEffect(r.effect, runs)}${changed ? '; its results are those of the narrowed network (fewer weight bits, or a wider target, avoid it)' : ''}`);
}

/**
 * SNN0208 when a target's one-step synaptic delay makes a step-major network's output hear its
 * input `arrival` steps late (passes/insert-delays.ts): its results are not the delay-free network's.
 */
export function warnDelay(what: string, target: string, arrival: number, steps: readonly number[]): void {
  if (arrival <= 0) return;
  const Ts = [...new Set(steps)].sort((a, b) => a - b);
  const left = Ts.map((T) => Math.max(0, T - arrival)).join(', ');
  warn(
    'SNN0208',
    `${what}: on ${target} a spike reaches the next layer one step after it fires: the output of this step-major network hears its input ${arrival} steps late, so at T = ${Ts.join(', ')} its readout sums ${left} steps that carry signal, and each layer integrates its bias before its input arrives; the integer results are not the delay-free float network's. Layer-major methods (+tpp, +tpp-round) wait for their inputs and are not affected; otherwise compile for a T well above ${arrival}`,
  );
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** "T steps", or for a layer-major (TPP) network its T and the global steps of its schedule. */
export function stepsText(g: Graph): string {
  if (isLayerMajor(g)) return `${g.steps} steps (layer-major: ${runSteps(g)} global steps)`;
  // a step-major graph aligned for a synaptic delay runs until its readout's window ends
  return runSteps(g) > g.steps! ? `${g.steps} steps (delayed: ${runSteps(g)} global steps)` : `${g.steps} steps`;
}
