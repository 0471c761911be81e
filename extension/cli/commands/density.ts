import { UserError } from '../../core/errors';
import { parseHosts } from '../../core/ollama/client';
import { DEFAULT_RACE_PARAMS } from '../../core/density/race';
import type { DensityEmbedderChoice } from '../../core/curation';
import { UsageError, defineCommand } from '../command';
import { openCuration } from '../curation';
import { formatCount } from '../format';
import { parseRowRanges } from '../rows';
import { positiveInteger } from './score';

/** The Ollama embedding model when --model is not given. */
export const DEFAULT_EMBED_MODEL = 'nomic-embed-text';

export const density = defineCommand({
  name: 'density',
  summary: 'Compute each row\'s embedding density (RACE sketch) and IPS weight, for the density samplers.',
  args: ['<shard>'],
  options: {
    embedder: { type: 'string', valueName: 'builtin|ollama', description: 'builtin (default: hashed words, no server) or ollama (an Ollama embedding model)' },
    model: { type: 'string', valueName: 'NAME', description: `with --embedder ollama: the embedding model (default: ${DEFAULT_EMBED_MODEL})` },
    host: { type: 'string', multiple: true, valueName: 'URL', description: 'with --embedder ollama: an Ollama server; repeat for several (default: $OLLAMA_HOST, else 127.0.0.1:11434)' },
    method: { type: 'string', valueName: 'sketch|exact', description: 'sketch (default: RACE, linear time) or exact (all pairs; small shards only)' },
    rows: { type: 'string', valueName: 'A:B', description: 'only rows A to B-1 (the density is computed over that range only)' },
    'sketch-rows': { type: 'string', valueName: 'R', description: `RACE sketch rows (independent hashes; error shrinks like 1/sqrt(R); default ${DEFAULT_RACE_PARAMS.rows})` },
    buckets: { type: 'string', valueName: 'B', description: `counters per sketch row (default ${DEFAULT_RACE_PARAMS.buckets})` },
    'hashes-per-row': { type: 'string', valueName: 'K', description: `sign bits per sketch row: the kernel's bandwidth, larger = narrower (default ${DEFAULT_RACE_PARAMS.hashesPerRow})` },
    seed: { type: 'string', valueName: 'N', description: `seed of the sketch's random projections (default ${DEFAULT_RACE_PARAMS.seed})` },
  },
  details: 'The result is stored with the shard\'s annotations (the latest run is the one shown); --json prints {"rows", "seconds", "embedder", "embedded", "params"}.',
  async run(context) {
    const { args, options, global, print, printJson, progress, signal } = context;
    const kind = options.embedder ?? 'builtin';
    if (kind !== 'builtin' && kind !== 'ollama') throw new UsageError(`--embedder must be builtin or ollama, not "${kind}"`, density);
    if (kind === 'builtin' && (options.model !== undefined || (options.host?.length ?? 0) > 0)) {
      throw new UsageError('--model and --host name an Ollama embedding model: add --embedder ollama', density);
    }
    const method = options.method ?? 'sketch';
    if (method !== 'sketch' && method !== 'exact') throw new UsageError(`--method must be sketch or exact, not "${method}"`, density);
    const embedder: DensityEmbedderChoice = kind === 'builtin' ? 'builtin' : `ollama:${options.model ?? DEFAULT_EMBED_MODEL}`;
    const sketch = {
      ...(options['sketch-rows'] !== undefined ? { rows: positiveInteger(options['sketch-rows'], '--sketch-rows') } : {}),
      ...(options.buckets !== undefined ? { buckets: positiveInteger(options.buckets, '--buckets') } : {}),
      ...(options['hashes-per-row'] !== undefined ? { hashesPerRow: positiveInteger(options['hashes-per-row'], '--hashes-per-row') } : {}),
    };
    const seed = options.seed === undefined ? undefined : wholeNumber(options.seed, '--seed');
    const opened = await openCuration(args[0], context);
    try {
      let rows: { start: number; end: number } | undefined;
      if (options.rows !== undefined) {
        const ranges = parseRowRanges(options.rows, opened.model.rowCount, '--rows', density);
        if (ranges.length !== 1) throw new UsageError(`--rows "${options.rows}": density takes one range A:B (the sketch covers a contiguous block of rows)`, density);
        rows = { start: ranges[0][0], end: ranges[0][1] };
      }
      const bar = progress('Density', 'rows');
      let result;
      try {
        result = await opened.model.computeDensity({
          embedder, hosts: kind === 'ollama' ? parseHosts(options.host && options.host.length > 0 ? options.host : process.env.OLLAMA_HOST) : undefined,
          method, rows, sketch, seed, signal,
          onProgress: (p) => bar.update(p.done, p.total),
        });
      } finally {
        bar.finish();
      }
      const seconds = Math.round(result.seconds * 100) / 100;
      if (global.json) {
        printJson({ rows: result.rows, seconds, embedder: result.embedderId, embedded: result.embedded, params: result.params });
        return;
      }
      const values = Array.from(opened.model.densityScores().density.filter((v) => !Number.isNaN(v))).sort((a, b) => a - b);
      const at = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))].toFixed(2);
      print(`density of ${formatCount(result.rows)} rows with ${result.embedderId} (${method}) in ${seconds}s`);
      print(`  density min ${at(0)}, median ${at(0.5)}, 90th percentile ${at(0.9)}, max ${at(1)}`);
    } finally {
      await opened.close();
    }
  },
});

export function wholeNumber(text: string, option: string): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(value)) throw new UserError(`${option} must be a whole number >= 0, not "${text}"`);
  return value;
}
