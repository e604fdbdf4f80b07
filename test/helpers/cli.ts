/** Run the built CLI (npm test builds it first) and capture its result. */
import { spawnSync } from 'node:child_process';
import { CLI, ROOT } from './paths.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function snnc(args: readonly string[], opts: { cwd?: string; timeout?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', timeout: opts.timeout ?? 600_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
