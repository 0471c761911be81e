/**
 * What a CLI command is. A command is one self-contained module in cli/commands/ exporting a
 * `CliCommand` (made with `defineCommand`), listed once in cli/commands/index.ts.
 */
import { UserError } from '../core/errors';
import type { Progress } from './progress';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** For string options: the placeholder in help, e.g. `NAME`. */
  valueName?: string;
  description: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

type OptionValue<S extends OptionSpec> = S['type'] extends 'string'
  ? S['multiple'] extends true ? string[] : string
  : S['multiple'] extends true ? boolean[] : boolean;

/** Parsed values of a command's options; absent options are undefined. */
export type OptionValues<O extends OptionSpecs> = { [K in keyof O]?: OptionValue<O[K]> };

/** Options every command understands, parsed once by the CLI (they may go before or after the command). */
export interface GlobalOptions {
  /** Print exactly one JSON object on stdout instead of the human summary. */
  json: boolean;
  /** Where gzipped shards are decompressed (`--cache-dir`); undefined: the reader's default. */
  cacheDir?: string;
  /** Where annotation stores are kept (`--store`); undefined: next to each shard. */
  storeDir?: string;
  /** The text column (`--text-field`); undefined: detected. */
  textField?: string;
}

export interface CommandContext<O extends OptionSpecs> {
  /** Positional arguments after the command name, in order (count already checked). */
  args: string[];
  options: OptionValues<O>;
  global: GlobalOptions;
  /** Writes a line of the human output to stdout. */
  print(line?: string): void;
  /** Writes the one JSON result to stdout (for --json). */
  printJson(value: unknown): void;
  /** A progress bar on stderr, shown only on a terminal and only once the work takes a moment. */
  progress(label: string, unit: 'bytes' | 'rows'): Progress;
  /** Aborted on Ctrl-C; pass it to long runs. */
  signal: AbortSignal;
}

export interface CliCommand<O extends OptionSpecs = OptionSpecs> {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Positional arguments, e.g. ['<shard>'] or ['<shard>', '[<other>]']; `[...]` ones are optional. */
  args: string[];
  options: O;
  /** Extra help text after the option list. */
  details?: string;
  run(context: CommandContext<O>): Promise<void>;
}

/** Keeps the option types of a command so `context.options` is typed. */
export function defineCommand<O extends OptionSpecs>(command: CliCommand<O>): CliCommand<O> {
  return command;
}

/** Wrong use of the CLI (unknown command or option, missing argument): exit code 2 with the usage. */
export class UsageError extends UserError {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly command?: CliCommand<OptionSpecs>,
  ) {
    super(message);
  }
}
