/**
 * vitest global setup: every test file, and every process it spawns (the CLI, the C compiler),
 * writes its scratch files under one fresh folder (TMPDIR), removed when the run ends, so that
 * a run of the suite leaves nothing in the machine's temporary folder — except the C build
 * cache (helpers/c-build.ts), which is meant to outlive a run and stays in the machine's own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  process.env.SNNC_TEST_CC_CACHE ??= join(tmpdir(), 'snnc-test-cc-cache');
  const root = mkdtempSync(join(tmpdir(), 'snnc-test-run-'));
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
