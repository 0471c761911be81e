import type { CliCommand, OptionSpecs } from '../command';
import { annotations } from './annotations';
import { compare } from './compare';
import { curate } from './curate';
import { demo } from './demo';
import { density } from './density';
import { info } from './info';
import { mark } from './mark';
import { score } from './score';

/** Every CLI command, in the order `shard-curator --help` lists them. */
export const COMMANDS: CliCommand<OptionSpecs>[] = [info, score, density, annotations, mark, curate, compare, demo];
