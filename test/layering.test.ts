/**
 * The dependency rule: ir/ imports nothing from src/ or targets/; targets/ imports only ir/. And the
 * heavy packages (the .snnir parser generator, the chart renderer, the NIR HDF5 reader) are loaded
 * by the commands that need them, not by every start of the CLI.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
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

  it('the CLI loads the parser generator, the chart renderer and the HDF5 reader only when a command needs them', () => {
    // every module the CLI's entry reaches through static imports (type-only imports are erased)
    const seen = new Set<string>();
    const packages = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/^import\s+(?!type\s)[^;]*?from\s+'([^']+)'/gm)) {
        const spec = m[1];
        if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        else packages.add(spec);
      }
    };
    visit(join(ROOT, 'src/cli/main.ts'));
    expect(seen.size).toBeGreaterThan(50);
    expect(packages.has('yargs')).toBe(true);
    for (const heavy of ['chevrotain', 'vega', 'vega-lite', 'h5wasm']) expect([...packages], heavy).not.toContain(heavy);
  });
});
