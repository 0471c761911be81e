import { samplerSpecHelp } from '../../core/curate';
import { UsageError, defineCommand } from '../command';
import { openCuration } from '../curation';
import { formatCount } from '../format';
import { wholeNumber } from './density';

export const curate = defineCommand({
  name: 'curate',
  summary: 'Write the rows a sampler (plus manual overrides) keeps, and a recipe of how they were chosen.',
  args: ['<shard>'],
  options: {
    sampler: { type: 'string', valueName: 'SPEC', description: 'the sampler, e.g. askllm-min:0.2,density-ips:0.5 (see below)' },
    seed: { type: 'string', valueName: 'N', description: 'seed of the sampler\'s random choices (default 0)' },
    out: { type: 'string', valueName: 'PATH', description: 'the curated shard; the recipe goes to PATH.recipe.json' },
    format: { type: 'string', valueName: 'jsonl|arrow', description: 'output format (default: that of the shard; .gz names are gzipped JSONL)' },
    'with-annotations': { type: 'boolean', description: 'add askllm_p_yes, density, decision and decision_source to every row' },
    dropped: { type: 'string', valueName: 'PATH', description: 'also write the dropped rows here, each with its _drop_reason' },
    force: { type: 'boolean', description: 'replace output files that exist' },
  },
  details: `${samplerSpecHelp()}\n\n--json prints {"input", "kept", "dropped", "out"}.`,
  async run(context) {
    const { args, options, global, print, printJson, progress, signal } = context;
    if (options.sampler === undefined) throw new UsageError('--sampler SPEC is required, e.g. --sampler density-ips:0.5', curate);
    if (options.out === undefined) throw new UsageError('--out PATH is required', curate);
    const format = options.format;
    if (format !== undefined && format !== 'jsonl' && format !== 'arrow') throw new UsageError(`--format must be jsonl or arrow, not "${format}"`, curate);
    const seed = options.seed === undefined ? 0 : wholeNumber(options.seed, '--seed');
    const opened = await openCuration(args[0], context);
    try {
      opened.model.setSampler(options.sampler, seed);
      const bar = progress('Exporting', 'bytes');
      let result;
      try {
        result = await opened.model.exportCurated({
          out: options.out, format, withAnnotations: options['with-annotations'], droppedPath: options.dropped, force: options.force, signal,
          onProgress: (p) => bar.update(p.bytesDone, p.bytesTotal),
        });
      } finally {
        bar.finish();
      }
      if (global.json) {
        printJson({ input: result.input, kept: result.kept, dropped: result.dropped, out: result.out });
        return;
      }
      print(`kept ${formatCount(result.kept)} of ${formatCount(result.input)} rows (${formatCount(result.dropped)} dropped) with ${(await opened.model.summary()).sampler!.spec}, seed ${seed}`);
      print(`  curated shard  ${result.out}`);
      print(`  recipe         ${result.recipe}`);
      if (options.dropped !== undefined) print(`  dropped rows   ${options.dropped}`);
    } finally {
      await opened.close();
    }
  },
});
