import { samplerSpecHelp } from '../../core/curate';
import { UsageError, defineCommand } from '../command';
import { openCuration } from '../curation';
import { formatCount, table } from '../format';
import { wholeNumber } from './density';

export const compare = defineCommand({
  name: 'compare',
  summary: 'Compare the rows two samplers keep (their own verdicts; manual overrides left out).',
  args: ['<shard>'],
  options: {
    sampler: { type: 'string', multiple: true, valueName: 'SPEC', description: 'a sampler; give exactly two' },
    seed: { type: 'string', valueName: 'N', description: 'seed of both samplers\' random choices (default 0)' },
  },
  details: `${samplerSpecHelp()}\n\n--json prints {"a", "b", "both", "jaccard"}: rows A keeps, rows B keeps, rows both keep, both / rows either keeps.`,
  async run(context) {
    const { args, options, global, print, printJson } = context;
    const specs = options.sampler ?? [];
    if (specs.length !== 2) throw new UsageError(`give exactly two samplers (--sampler A --sampler B), not ${specs.length}`, compare);
    const seed = options.seed === undefined ? 0 : wholeNumber(options.seed, '--seed');
    const opened = await openCuration(args[0], context);
    try {
      const result = await opened.model.compare(specs[0], specs[1], seed);
      if (global.json) {
        printJson({ a: result.a, b: result.b, both: result.both, jaccard: result.jaccard });
        return;
      }
      table([
        ['A', specs[0], `keeps ${formatCount(result.a)} rows`],
        ['B', specs[1], `keeps ${formatCount(result.b)} rows`],
        ['both', '', `${formatCount(result.both)} rows (only A ${formatCount(result.onlyA)}, only B ${formatCount(result.onlyB)})`],
        ['jaccard', '', result.jaccard.toFixed(3)],
      ]).forEach((line) => print(line));
    } finally {
      await opened.close();
    }
  },
});
