/**
 * Benchmark: how long the CLI takes to start, the cost every command and every CLI test pays.
 * Baseline: `node -e ''` (Node itself), measured in the same run. Rows: `snnc --help` (every
 * command's modules, none of the lazily loaded ones), and `snnc inspect` of a compiled .snnir,
 * which loads the .snnir parser (chevrotain) on first use. Best of several interleaved rounds.
 *
 *   npm run build && node dist/bench/cli-startup.js [rounds]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const rounds = Number(process.argv[2] ?? 7);
const cli = join('dist', 'src', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'snnc-startup-'));
const snnir = join(dir, 'mlp.snnir');
execFileSync(process.execPath, [cli, 'convert', 'examples/models/fmnist-mlp.onnx', '--calib', 'examples/data/fmnist-calib-images.npy', '--calib-limit', '64', '--input-scale', '1/255', '-T', '4', '-o', snnir], { stdio: 'ignore' });

const runs: [string, string[]][] = [
  ["node -e ''  (baseline)", ['-e', '']],
  ['snnc --help', [cli, '--help']],
  ['snnc inspect a .snnir', [cli, 'inspect', snnir]],
];
const best = runs.map(() => Infinity);
for (let r = 0; r < rounds; r++) {
  runs.forEach(([, args], i) => {
    const t0 = performance.now();
    execFileSync(process.execPath, args, { stdio: 'ignore' });
    best[i] = Math.min(best[i], performance.now() - t0);
  });
}
rmSync(dir, { recursive: true, force: true });
console.log(`CLI start-up, best of ${rounds} rounds`);
console.log('command                      ms      / baseline');
runs.forEach(([name], i) => console.log(`${name.padEnd(26)}${best[i].toFixed(0).padStart(6)}${(best[i] / best[0]).toFixed(2).padStart(14)}`));
