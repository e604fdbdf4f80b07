#!/usr/bin/env node
/** The snnc command line. Each command lives in commands/<name>.ts. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { annCommand } from './commands/ann.js';
import { compileCommand } from './commands/compile.js';
import { convertCommand } from './commands/convert.js';
import { energyCommand } from './commands/energy.js';
import { evalCommand } from './commands/eval.js';
import { exportNirCommand } from './commands/export-nir.js';
import { inspectCommand } from './commands/inspect.js';
import { reportCommand } from './commands/report.js';
import { simulateCommand } from './commands/simulate.js';
import { verifyCommand } from './commands/verify.js';
import { EXIT } from './common.js';

const commands = [inspectCommand, annCommand, convertCommand, evalCommand, compileCommand, exportNirCommand, simulateCommand, verifyCommand, energyCommand, reportCommand];

let cli = yargs(hideBin(process.argv))
  .scriptName('snnc')
  .usage('$0 <command> [options]\n\nCompile trained ONNX networks into integer spiking networks for event-driven cores.')
  .strict()
  .demandCommand(1, 'name a command (see --help)')
  .recommendCommands()
  .wrap(Math.min(110, process.stdout.columns ?? 100))
  .fail((msg, err) => {
    if (err) throw err;
    process.stderr.write(`snnc: usage: ${msg}\n`);
    process.exit(EXIT.usage);
  });
for (const c of commands) cli = c(cli);
await cli.parseAsync();
