/** Command-line parsing shared by the commands: node's parseArgs, with tapwire's usage errors. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../core/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses options and positional arguments; a bad option names the command's --help. */
export function parseCommandLine<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  } catch (e) {
    throw new UsageError(`${(e as Error).message}\nTry 'tapwire ${command} --help'.`);
  }
}

/** A flag's value as a non-negative whole number (undefined when the flag is absent). */
export function parseCount(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} needs a non-negative whole number, got '${v}'`);
  return n;
}
