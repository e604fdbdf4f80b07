/** `snnc report OUT/ -o report.html [--eval eval.json]`: one self-contained HTML page of a compiled folder. */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Argv } from 'yargs';
import { SnncError } from '../../../ir/diagnostics.js';
import { readCompiledFolder } from '../../compiled-folder.js';
import type { EnergyReport } from '../../energy/energy-report.js';
import type { EvalJson, UtilizationJson } from '../../report/html.js';
import type { Raster } from '../../report/raster.js';
import { writeFileAtomic } from '../../util/fs.js';
import { runCommand } from '../common.js';

function readJson<T>(path: string, what: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new SnncError('SNN0408', `${path} (${what}) is missing or not JSON: ${(e as Error).message}`);
  }
}

export function reportCommand(y: Argv): Argv {
  return y.command(
    'report <dir>',
    'write one self-contained HTML report (charts inline, nothing fetched) of a compiled folder',
    (a) =>
      a
        .positional('dir', { type: 'string', demandOption: true, describe: 'a folder written by snnc compile (with --data for energy, rates and a raster)' })
        .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'the HTML file to write' })
        .option('eval', { type: 'string', describe: 'the JSON printed by snnc eval --json: accuracy against T of every method in it' }),
    (args) =>
      runCommand(async () => {
        const dir = String(args.dir);
        const folder = await readCompiledFolder(dir);
        const r = folder.report as { method?: { description?: string }; energy?: EnergyReport; annAccuracy?: number; raster?: Raster; arrivalDelay?: number };
        const evaluation = args.eval ? readJson<EvalJson>(String(args.eval), 'snnc eval --json output') : undefined;
        if (evaluation && typeof evaluation.ann?.accuracy !== 'number') throw new SnncError('SNN0408', `${args.eval} is not the JSON of snnc eval --json (no ann.accuracy)`);
        const utilPath = join(dir, 'utilization.json');
        // vega and vega-lite load only for this command
        const { reportHtml } = await import('../../report/html.js');
        const html = await reportHtml({
          title: folder.fixed.name || basename(dir),
          target: folder.target,
          steps: folder.fixed.steps!,
          method: r.method?.description ?? '',
          ...(r.energy ? { energy: r.energy } : {}),
          ...(r.annAccuracy !== undefined ? { annAccuracy: r.annAccuracy } : {}),
          ...(r.raster ? { raster: r.raster } : {}),
          ...(r.arrivalDelay ? { arrivalDelay: r.arrivalDelay } : {}),
          ...(evaluation ? { evaluation } : {}),
          ...(existsSync(utilPath) ? { utilization: readJson<UtilizationJson>(utilPath, 'core utilization') } : {}),
        });
        writeFileAtomic(String(args.output), html);
        process.stdout.write(`wrote ${args.output} (${(html.length / 1024).toFixed(0)} KiB)\n`);
      }),
  );
}
