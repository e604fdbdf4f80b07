/** Run the built CLI (npm test builds it first) and capture its result. */
import { spawnSync } from 'node:child_process';
import { CLI, ROOT } from './paths.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `env`: variables added to this process's environment for the run (e.g. its own TMPDIR). */
export function snnc(args: readonly string[], opts: { cwd?: string; timeout?: number; env?: Record<string, string> } = {}): CliResult {
  const env = opts.env ? { ...process.env, ...opts.env } : process.env;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', timeout: opts.timeout ?? 600_000, env });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
