/** The dependency rule: ir/ imports nothing from src/ or targets/; targets/ imports only ir/. */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/paths.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function imports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/from\s+'([^']+)'/g)].map((m) => m[1]);
}

describe('layering', () => {
  it('ir/ does not import src/ or targets/', () => {
    for (const f of sources(join(ROOT, 'ir'))) {
      for (const i of imports(f)) expect(i, relative(ROOT, f)).not.toMatch(/(^|\/)(src|targets)\//);
    }
  });
  it('targets/ imports only ir/ (and node built-ins)', () => {
    for (const f of sources(join(ROOT, 'targets'))) {
      for (const i of imports(f)) {
        const ok = i.startsWith('node:') || i.startsWith('./') || /^(\.\.\/)+ir\//.test(i) || /^\.\.\/(?!\.\.)/.test(i);
        expect(ok, `${relative(ROOT, f)} imports ${i}`).toBe(true);
      }
    }
  });
});
