/**
 * The CLI: global options, command dispatch, usage, output and exit codes.
 * Exit codes: 0 success, 1 the work failed (unreadable file, bad data: one line on stderr),
 * 2 wrong use (unknown command or option, missing argument: the usage follows), 130 cancelled.
 */
import { parseArgs } from 'node:util';
import { describeError, isCancelled, UserError } from '../core/errors';
import { version } from '../../package.json';
import { UsageError, type CliCommand, type GlobalOptions, type OptionSpecs, type OptionValues } from './command';
import { COMMANDS } from './commands';
import { terminalProgress, type ProgressStream } from './progress';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_CANCELLED = 130;

/** Options of every command; each may come before or after the command name. */
const GLOBAL_OPTIONS = {
  json: { type: 'boolean', description: 'print one JSON object on stdout instead of the human summary' },
  'cache-dir': { type: 'string', valueName: 'DIR', description: 'where gzipped shards are decompressed for random access (default: under the temp folder)' },
  store: { type: 'string', valueName: 'DIR', description: 'keep annotation stores in DIR instead of next to each shard (read-only data folders)' },
  'text-field': { type: 'string', valueName: 'NAME', description: 'the column holding the document text (default: detected from common names, else the first string column)' },
  help: { type: 'boolean', short: 'h', description: 'show help (for a command: shard-curator <command> --help)' },
  version: { type: 'boolean', short: 'V', description: 'print the version' },
} satisfies OptionSpecs;

export interface CliIo {
  stdout: ProgressStream;
  stderr: ProgressStream;
  signal: AbortSignal;
}

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const err = (line: string) => io.stderr.write(`${line}\n`);
  let command: CliCommand | undefined;
  try {
    const split = splitCommand(argv);
    command = split.command;
    if (!command) {
      const globals = parse(split.rest, GLOBAL_OPTIONS, undefined);
      if (globals.values.version) {
        io.stdout.write(`${version}\n`);
        return EXIT_OK;
      }
      if (globals.values.help) {
        io.stdout.write(`${mainUsage()}\n`);
        return EXIT_OK;
      }
      throw new UsageError('no command given');
    }
    const specs = { ...GLOBAL_OPTIONS, ...command.options };
    const { values, positionals } = parse(split.rest, specs, command);
    if (values.help) {
      io.stdout.write(`${commandUsage(command)}\n`);
      return EXIT_OK;
    }
    checkArgs(command, positionals);
    const cacheDir = values['cache-dir'];
    const storeDir = values.store;
    const textField = values['text-field'];
    const global: GlobalOptions = {
      json: values.json === true,
      cacheDir: typeof cacheDir === 'string' ? cacheDir : undefined,
      storeDir: typeof storeDir === 'string' ? storeDir : undefined,
      textField: typeof textField === 'string' ? textField : undefined,
    };
    await command.run({
      args: positionals,
      // parseArgs checked every value against the same specs the type is derived from.
      options: values as OptionValues<OptionSpecs>,
      global,
      print: (line = '') => io.stdout.write(`${line}\n`),
      printJson: (value) => io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
      progress: (label, unit) => terminalProgress(io.stderr, label, unit),
      signal: io.signal,
    });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof UsageError) {
      err(`shard-curator: ${error.message}`);
      err('');
      err(error.command ? commandUsage(error.command) : mainUsage());
      return EXIT_USAGE;
    }
    if (isCancelled(error)) {
      err('shard-curator: cancelled');
      return EXIT_CANCELLED;
    }
    err(`shard-curator: ${failureMessage(error)}`);
    if (process.env.SHARD_CURATOR_DEBUG && error instanceof Error && error.stack) err(error.stack);
    return EXIT_FAILED;
  }
}

/** Finds the command name: the first argument that is not a global option (or its value). */
function splitCommand(argv: string[]): { command?: CliCommand; rest: string[] } {
  const { tokens } = parseArgs({ args: argv, options: parseArgsOptions(GLOBAL_OPTIONS), strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === 'option-terminator') break;
    if (token.kind === 'option' && !Object.hasOwn(GLOBAL_OPTIONS, token.name)) {
      throw new UsageError(`unknown option ${token.rawName} (options of a command go after the command name)`);
    }
    if (token.kind === 'positional') {
      const command = COMMANDS.find((c) => c.name === token.value);
      if (!command) throw new UsageError(`unknown command "${token.value}"`);
      return { command, rest: [...argv.slice(0, token.index), ...argv.slice(token.index + 1)] };
    }
  }
  return { rest: argv };
}

function parse(args: string[], specs: OptionSpecs, command: CliCommand | undefined) {
  try {
    return parseArgs({ args, options: parseArgsOptions(specs), strict: true, allowPositionals: command !== undefined });
  } catch (error) {
    // node:util's messages are precise ("Unknown option '--x'", "Option '--text-field <value>' argument missing").
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, '') : String(error), command);
  }
}

function parseArgsOptions(specs: OptionSpecs) {
  return Object.fromEntries(
    Object.entries(specs).map(([name, s]) => [name, { type: s.type, ...(s.short ? { short: s.short } : {}), ...(s.multiple ? { multiple: true } : {}) }]),
  );
}

function checkArgs(command: CliCommand, positionals: string[]): void {
  const required = command.args.filter((a) => !a.startsWith('[')).length;
  if (positionals.length < required) throw new UsageError(`missing argument ${command.args[positionals.length]}`, command);
  if (positionals.length > command.args.length) throw new UsageError(`unexpected argument "${positionals[command.args.length]}"`, command);
}

/** The user's words for a failure: UserError messages as they are, file-system errors made readable. */
function failureMessage(error: unknown): string {
  if (error instanceof UserError) return error.message;
  const e = error as NodeJS.ErrnoException;
  if (e instanceof Error && typeof e.code === 'string' && e.syscall) {
    const where = e.path ?? '';
    const why: Record<string, string> = {
      ENOENT: 'no such file or folder',
      EACCES: 'permission denied',
      EPERM: 'operation not permitted',
      EISDIR: 'is a folder, not a file',
      ENOSPC: 'no space left on the device',
      EMFILE: 'too many open files',
    };
    if (why[e.code]) return `${where}${where ? ': ' : ''}${why[e.code]}`;
  }
  return `internal error: ${describeError(error)} (set SHARD_CURATOR_DEBUG=1 to see the stack trace)`;
}

function optionLines(specs: OptionSpecs): string[] {
  const rows = Object.entries(specs).map(([name, s]) => {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${name}${s.type === 'string' ? ` ${s.valueName ?? 'VALUE'}` : ''}`;
    return [flag, s.description];
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`);
}

function mainUsage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'Usage: shard-curator <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Run `shard-curator <command> --help` for the options of a command.',
  ].join('\n');
}

function commandUsage(command: CliCommand): string {
  const lines = [`Usage: shard-curator ${command.name} ${command.args.join(' ')} [options]`, '', command.summary];
  if (Object.keys(command.options).length) lines.push('', 'Options:', ...optionLines(command.options));
  lines.push('', 'Global options:', ...optionLines(GLOBAL_OPTIONS));
  if (command.details) lines.push('', command.details);
  return lines.join('\n');
}
