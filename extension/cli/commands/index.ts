import type { CliCommand, OptionSpecs } from '../command';
import { info } from './info';

/** Every CLI command, in the order `shard-curator --help` lists them. */
export const COMMANDS: CliCommand<OptionSpecs>[] = [info];
