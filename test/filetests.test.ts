/**
 * Filetests: .snnir files under test/filetests/ with directives in comments.
 *
 *   // RUN: parse            parse (and check print(parse(x)) is stable)
 *   // RUN: verify           parse and verify
 *   // RUN: pass a,b,...     parse, run the named passes (verifier after each), print
 *   // ERROR(SNNxxxx): text  a diagnostic with this code (and text) at this line
 *   // CHECK: text           the printed result contains text (in order)
 *   // CHECK-NOT: text       the printed result does not contain text
 *   // OUT: line             the whole printed result of a pass test, one line per OUT line,
 *                            compared exactly (CHECKs say what matters; OUT pins the rest)
 *
 * `npm run bless` (SNNC_BLESS=1) rewrites every pass test's OUT block with the actual output;
 * .ci/run blesses and fails if that changed a file, so a committed OUT block is always current.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SnncError, type Diagnostic } from '../ir/diagnostics.js';
import { parseGraph } from '../ir/text/parse.js';
import { printText } from '../ir/text/print.js';
import { verify } from '../ir/verify.js';
import { runFiletestPasses } from './helpers/filetest-passes.js';
import { ROOT } from './helpers/paths.js';

const DIR = join(ROOT, 'test/filetests');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.snnir') ? [p] : [];
  });
}

interface Expected {
  line: number;
  code: string;
  text?: string;
}

function expectations(text: string): { run: string; errors: Expected[]; checks: { not: boolean; text: string }[] } {
  let run = '';
  const errors: Expected[] = [];
  const checks: { not: boolean; text: string }[] = [];
  text.split('\n').forEach((line, i) => {
    const r = /\/\/ RUN: (.*)$/.exec(line);
    if (r) run = r[1].trim();
    const e = /\/\/ ERROR\((SNN[0-9]{4})\)(?::\s*(.*))?$/.exec(line);
    if (e) errors.push({ line: i + 1, code: e[1], ...(e[2] ? { text: e[2].trim() } : {}) });
    const c = /\/\/ CHECK(-NOT)?: (.*)$/.exec(line);
    if (c) checks.push({ not: c[1] !== undefined, text: c[2].trim() });
  });
  return { run, errors, checks };
}

function lineOf(d: Diagnostic): number | undefined {
  const m = /:(\d+):\d+/.exec(d.where ?? '');
  return m ? Number(m[1]) : undefined;
}

function matchDiagnostics(diags: readonly Diagnostic[], expected: Expected[]): void {
  const errors = diags.filter((d) => d.severity === 'error');
  for (const e of expected) {
    const hit = errors.find((d) => d.code === e.code && (lineOf(d) === e.line || lineOf(d) === undefined) && (!e.text || d.message.includes(e.text)));
    expect(hit, `expected ${e.code} at line ${e.line}${e.text ? ` containing "${e.text}"` : ''}; got:\n${errors.map((d) => `${d.code} ${d.where ?? ''}: ${d.message}`).join('\n')}`).toBeDefined();
  }
  for (const d of errors) {
    const wanted = expected.some((e) => e.code === d.code && (lineOf(d) === e.line || lineOf(d) === undefined));
    expect(wanted, `unexpected ${d.code} ${d.where ?? ''}: ${d.message}`).toBe(true);
  }
}

describe('filetests', () => {
  for (const path of walk(DIR)) {
    const name = relative(DIR, path);
    it(name, () => {
      const text = readFileSync(path, 'utf8');
      const { run, errors, checks } = expectations(text);
      expect(run, 'missing // RUN:').not.toBe('');
      let g;
      try {
        g = parseGraph(text, { file: name });
      } catch (e) {
        if (!(e instanceof SnncError)) throw e;
        return matchDiagnostics(e.diagnostics, errors);
      }
      const printed = printText(g);
      expect(printText(parseGraph(printed))).toBe(printed);
      if (run === 'parse') return matchDiagnostics([], errors);
      if (run === 'verify') return matchDiagnostics(verify(g), errors);
      const passes = /^pass (.+)$/.exec(run);
      expect(passes, `unknown RUN: ${run}`).toBeTruthy();
      let out: string;
      try {
        out = runFiletestPasses(g, passes![1].split(/,(?![^{]*\})/).map((s) => s.trim()), text);
      } catch (e) {
        if (!(e instanceof SnncError)) throw e;
        return matchDiagnostics(e.diagnostics, errors);
      }
      matchDiagnostics([], errors);
      const outBlock = out.replace(/\n$/, '').split('\n').map((l) => `// OUT: ${l}`.trimEnd());
      if (process.env.SNNC_BLESS) {
        const kept = text.replace(/\n$/, '').split('\n').filter((l) => !l.startsWith('// OUT:'));
        const blessed = `${[...kept, ...outBlock].join('\n')}\n`;
        if (blessed !== text) writeFileSync(path, blessed);
      } else {
        const committed = text.split('\n').filter((l) => l.startsWith('// OUT:'));
        expect(committed.length, 'no // OUT: block: run npm run bless').toBeGreaterThan(0);
        expect(committed.join('\n'), 'the // OUT: block differs from the output (npm run bless rewrites it; review the diff)').toBe(outBlock.join('\n'));
      }
      let at = 0;
      for (const c of checks) {
        if (c.not) expect(out.includes(c.text), `CHECK-NOT: ${c.text}\n${out}`).toBe(false);
        else {
          const i = out.indexOf(c.text, at);
          expect(i, `CHECK: ${c.text} (after offset ${at})\n${out}`).toBeGreaterThanOrEqual(0);
          at = i + c.text.length;
        }
      }
    });
  }
});
