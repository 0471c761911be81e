import { readFileSync } from 'node:fs';
import { CancelledError, UserError } from '../../core/errors';
import { parseHosts } from '../../core/ollama/client';
import { defineCommand } from '../command';
import { openCuration } from '../curation';
import { formatCount } from '../format';
import { parseRowRanges, rowsOfRanges } from '../rows';

/** The judge when --model is not given: small, instruction-tuned, and scores ~10 rows/s on a laptop GPU. */
export const DEFAULT_JUDGE_MODEL = 'qwen2.5:1.5b';

/** A prompt template file, read as UTF-8 exactly (its sha256 is the prompt's fingerprint). */
export function readPromptFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`${path}: cannot read the prompt template (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
}

export const score = defineCommand({
  name: 'score',
  summary: 'Score rows with an Ask-LLM judge through Ollama (resumes: rows already scored are skipped).',
  args: ['<shard>'],
  options: {
    host: { type: 'string', multiple: true, valueName: 'URL', description: 'an Ollama server; repeat for several (default: $OLLAMA_HOST, else 127.0.0.1:11434)' },
    model: { type: 'string', valueName: 'NAME', description: `the judge model (default: ${DEFAULT_JUDGE_MODEL})` },
    concurrency: { type: 'string', valueName: 'N', description: 'requests in flight over all hosts (default 4)' },
    rows: { type: 'string', valueName: 'ROWS', description: 'only these rows, e.g. 0:1000 or 1,5,10:20 (A:B is A to B-1)' },
    'prompt-file': { type: 'string', valueName: 'F', description: 'the prompt template, with {text} where the row goes (default: the paper\'s prompt)' },
    'max-chars': { type: 'string', valueName: 'N', description: 'cut each text to N characters before sending (marked truncated)' },
  },
  details: [
    'Each score is appended to the annotation store as it arrives, so Ctrl-C (or a crash) keeps everything',
    'scored so far; running the same command again scores only the rows still missing. Scores are kept per',
    'model + prompt: another model or prompt scores again without touching earlier scores.',
    '--json prints {"scored", "cached", "failed", "seconds"}.',
  ].join('\n'),
  async run(context) {
    const { args, options, global, print, printJson, progress, signal } = context;
    const hosts = parseHosts(options.host && options.host.length > 0 ? options.host : process.env.OLLAMA_HOST);
    const model = options.model ?? DEFAULT_JUDGE_MODEL;
    const concurrency = options.concurrency === undefined ? undefined : positiveInteger(options.concurrency, '--concurrency');
    const maxChars = options['max-chars'] === undefined ? undefined : positiveInteger(options['max-chars'], '--max-chars');
    const promptTemplate = options['prompt-file'] === undefined ? undefined : readPromptFile(options['prompt-file']);
    const opened = await openCuration(args[0], context);
    let result;
    try {
      const rows = options.rows === undefined ? 'all' : rowsOfRanges(parseRowRanges(options.rows, opened.model.rowCount, '--rows', score));
      const bar = progress(`Scoring with ${model}`, 'rows');
      try {
        result = await opened.model.scoreAskllm(rows, {
          hosts, model, promptTemplate, concurrency, maxChars, signal,
          onProgress: (p) => bar.update(p.done, p.total),
        });
      } finally {
        bar.finish();
      }
    } finally {
      await opened.close();
    }
    const seconds = Math.round(result.seconds * 100) / 100;
    if (global.json) printJson({ scored: result.scored, cached: result.cached, failed: result.failed, seconds });
    else if (result.cancelled) {
      print(`cancelled after scoring ${formatCount(result.scored)} rows; they are kept: run the same command again to score the rest`);
    } else {
      print(`scored ${formatCount(result.scored)} rows with ${result.model} in ${seconds}s` +
        (result.cached > 0 ? `; ${formatCount(result.cached)} already had a score` : '') +
        (result.failed > 0 ? `; ${formatCount(result.failed)} failed (run again to retry them)` : ''));
    }
    if (result.cancelled) throw new CancelledError();
  },
});

export function positiveInteger(text: string, option: string): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!(Number.isSafeInteger(value) && value >= 1)) throw new UserError(`${option} must be a whole number >= 1, not "${text}"`);
  return value;
}
