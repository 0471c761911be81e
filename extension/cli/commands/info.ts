import { openShard } from '../../core/shard/open';
import type { Column, MalformedLine, ShardFormat } from '../../core/shard/types';
import { defineCommand } from '../command';
import { formatBytes, formatCount, table } from '../format';

/** The `info --json` result. */
export interface InfoResult {
  format: ShardFormat;
  rows: number;
  bytes: number;
  textField: string | null;
  columns: Column[];
  malformed: { count: number; examples: MalformedLine[] };
}

/** Malformed lines shown in the human summary; --json has all the examples the reader kept. */
const EXAMPLES_SHOWN = 5;

export const info = defineCommand({
  name: 'info',
  summary: 'Show what a shard holds: format, rows, size, text field, columns, malformed lines.',
  args: ['<shard>'],
  options: {},
  details: 'Shards: JSONL (.jsonl, .ndjson), gzipped JSONL (.jsonl.gz, .json.gz), Arrow IPC file or stream (.arrow, .arrows, .feather, .ipc).',
  async run({ args, global, print, printJson, progress, signal }) {
    const bar = progress('Indexing', 'bytes');
    const shard = await openShard(args[0], {
      textField: global.textField,
      cacheDir: global.cacheDir,
      signal,
      onProgress: (p) => bar.update(p.bytesDone, p.bytesTotal),
      textFacts: false, // nothing here needs the text hashes
    });
    try {
      await shard.indexed;
    } finally {
      bar.finish();
      await shard.close();
    }
    const result: InfoResult = {
      format: shard.format,
      rows: shard.rowCount,
      bytes: shard.bytes,
      textField: shard.textField ?? null,
      columns: shard.columns.map(({ name, type }) => ({ name, type })),
      malformed: { count: shard.malformed.count, examples: shard.malformed.examples.map(({ line, error }) => ({ line, error })) },
    };
    if (global.json) {
      printJson(result);
      return;
    }
    const lines = table([
      ['file', args[0]],
      ['format', result.format],
      ['rows', formatCount(result.rows)],
      ['size', `${formatBytes(result.bytes)} (${formatCount(result.bytes)} bytes)`],
      ['text field', result.textField ?? '(none: the shard has no string column; pick one with --text-field)'],
      ['malformed', result.malformed.count === 0 ? 'none' : `${formatCount(result.malformed.count)} line${result.malformed.count === 1 ? '' : 's'} (not counted as rows)`],
    ]);
    lines.forEach((line) => print(line));
    for (const example of result.malformed.examples.slice(0, EXAMPLES_SHOWN)) print(`  line ${formatCount(example.line)}: ${example.error}`);
    if (result.malformed.count > EXAMPLES_SHOWN) print(`  ... and ${formatCount(result.malformed.count - EXAMPLES_SHOWN)} more`);
    print(`columns (${result.columns.length})`);
    table(result.columns.map((c) => [c.name === result.textField ? `${c.name} *` : c.name, c.type]), '  ').forEach((line) => print(line));
    if (result.textField) print('  (* text field)');
  },
});
