#!/usr/bin/env node
/**
 * The `tapwire` command: dispatches to one module per subcommand. Every subcommand returns
 * an exit status; operational errors (TapwireError) print their message and map to the
 * documented exit codes in core/errors.ts.
 */
import { ExitCode, TapwireError } from '../core/errors.js';
import { MAIN_HELP } from './help.js';

type Command = (argv: string[]) => Promise<number>;

/** Commands load on demand: startup stays quick and one command's imports never break another. */
const commands: Record<string, () => Promise<Command>> = {
  read: async () => (await import('./commands/read.js')).readCommand,
  filter: async () => (await import('./commands/filter.js')).filterCommand,
  flows: async () => (await import('./commands/flows.js')).flowsCommand,
  run: async () => (await import('./commands/run.js')).runCommand,
  validate: async () => (await import('./commands/run.js')).validateCommand,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(MAIN_HELP);
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write('tapwire 0.1.0\n');
    return ExitCode.ok;
  }
  const command = commands[name];
  if (!command) {
    process.stderr.write(`tapwire: unknown command '${name}'. Commands: ${Object.keys(commands).join(', ')}. Try 'tapwire --help'.\n`);
    return ExitCode.usage;
  }
  return (await command())(rest);
}

if (process.env.TAPWIRE_REPORT_PEAK_RSS) {
  // For benchmarks: the peak resident memory of the whole run.
  process.on('exit', () => process.stderr.write(`tapwire: peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(1)} MiB\n`));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof TapwireError) {
      process.stderr.write(`tapwire: ${e.message}\n`);
      process.exitCode = e.exitCode;
    } else {
      process.stderr.write(`tapwire: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exitCode = ExitCode.internal;
    }
  },
);
