/**
 * Writes that never leave half a result behind: files are written next to their target and
 * renamed into place; directories are assembled under a temporary name and renamed whole.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { SnncError } from '../../ir/diagnostics.js';

function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
}

/** A file's bytes, or SNN0408 naming the file and the reason. */
export function readFileOrFail(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new SnncError('SNN0408', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function ioError(path: string, e: unknown): SnncError {
  return new SnncError('SNN0408', `cannot write ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
}

/** Write several files atomically as a group: all appear, or none. */
export function writeFilesAtomic(files: ReadonlyArray<readonly [string, string | Uint8Array]>): void {
  const done: string[] = [];
  try {
    for (const [path, data] of files) {
      const tmp = tempName(path);
      writeFileSync(tmp, data);
      done.push(tmp);
    }
    files.forEach(([path], i) => renameSync(done[i], path));
  } catch (e) {
    for (const t of done) rmSync(t, { force: true });
    throw ioError(files[done.length]?.[0] ?? files[0][0], e);
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  writeFilesAtomic([[path, data]]);
}

/** Build a directory with `fill(tmpDir)` and move it to `path` (replacing an old one) only if fill succeeds. */
export function writeDirAtomic(path: string, fill: (dir: string) => void): void {
  const tmp = tempName(path);
  rmSync(tmp, { recursive: true, force: true });
  try {
    mkdirSync(tmp, { recursive: true });
    fill(tmp);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e instanceof SnncError ? e : ioError(path, e);
  }
  try {
    if (existsSync(path)) rmSync(path, { recursive: true, force: true });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw ioError(path, e);
  }
}
