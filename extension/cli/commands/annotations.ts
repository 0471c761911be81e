import { promptSha256 } from '../../core/askllm/prompt';
import { UserError } from '../../core/errors';
import type { FingerprintView } from '../../protocol';
import { defineCommand } from '../command';
import { openCuration } from '../curation';
import { formatCount, table } from '../format';
import { readPromptFile } from './score';

/** Lines per write when streaming `--json` output. */
const LINES_PER_WRITE = 2000;

export const annotations = defineCommand({
  name: 'annotations',
  summary: 'Print the annotations of every annotated row (Ask-LLM score, density, override) as JSON Lines.',
  args: ['<shard>'],
  options: {
    model: { type: 'string', valueName: 'NAME', description: 'Ask-LLM scores of this judge model (default: that of the most recent scoring run)' },
    'prompt-file': { type: 'string', valueName: 'F', description: 'Ask-LLM scores made with this prompt template (default: see --model)' },
    arrow: { type: 'string', valueName: 'OUT', description: 'write every row\'s annotations to an Arrow IPC file instead (pandas, polars, duckdb read it)' },
    force: { type: 'boolean', description: 'with --arrow: replace OUT if it exists' },
  },
  details: [
    'With --json: one object per line for each row that has any annotation, in row order:',
    '  {"row": 12, "askllm": 0.83, "density": 4.2, "override": "keep"}',
    'askllm is P(yes) of the chosen model + prompt, density the latest density run\'s estimate, override',
    '"keep", "drop" or null. Values computed for an older version of a row\'s text are never shown (null).',
  ].join('\n'),
  async run(context) {
    const { args, options, global, print, printJson } = context;
    const template = options['prompt-file'] === undefined ? undefined : readPromptFile(options['prompt-file']);
    const opened = await openCuration(args[0], context);
    try {
      const { model } = opened;
      if (options.model !== undefined || template !== undefined) model.setFingerprint(pickFingerprint(model.fingerprints(), options.model, template).key);
      if (options.arrow !== undefined) {
        const written = await model.exportAnnotations(options.arrow, { force: options.force, signal: context.signal });
        if (global.json) printJson({ rows: written.rows, out: written.out });
        else print(`wrote the annotations of ${formatCount(written.rows)} rows to ${written.out}`);
        return;
      }
      const askllm = model.askllmScores();
      const { density } = model.densityScores();
      const overrides = model.overrides();
      if (!global.json) {
        const summary = await model.summary();
        const shown = summary.askllm.shown;
        const scored = askllm.reduce((n, v) => n + (Number.isNaN(v) ? 0 : 1), 0);
        table([
          ['rows', formatCount(model.rowCount)],
          ['Ask-LLM', shown ? `${formatCount(scored)} rows scored by ${shown.model} (prompt sha256 ${shown.promptSha256.slice(0, 12)}…)` : 'none (shard-curator score <shard>)'],
          ['density', summary.density.embedder ? `${formatCount(summary.density.rows)} rows (${summary.density.embedder}, ${summary.density.createdAt})` : 'none (shard-curator density <shard>)'],
          ['overrides', `${formatCount(summary.overrides.keep)} keep, ${formatCount(summary.overrides.drop)} drop`],
        ]).forEach((line) => print(line));
        if (summary.askllm.available.length > 1) print(`other Ask-LLM scores: ${summary.askllm.available.filter((f) => f.key !== shown?.key).map((f) => `${f.model} (prompt ${f.promptSha256.slice(0, 12)}…, ${formatCount(f.scored)} rows)`).join(', ')}`);
        print('(--json prints one object per annotated row)');
        return;
      }
      let lines: string[] = [];
      for (let row = 0; row < model.rowCount; row++) {
        const score = askllm[row];
        const value = density[row];
        const override = overrides[row] === 1 ? 'keep' : overrides[row] === -1 ? 'drop' : null;
        if (Number.isNaN(score) && Number.isNaN(value) && override === null) continue;
        lines.push(JSON.stringify({ row, askllm: Number.isNaN(score) ? null : score, density: Number.isNaN(value) ? null : value, override }));
        if (lines.length === LINES_PER_WRITE) {
          print(lines.join('\n'));
          lines = [];
        }
      }
      if (lines.length > 0) print(lines.join('\n'));
    } finally {
      await opened.close();
    }
  },
});

/** The fingerprint for --model / --prompt-file: exact when both are given, else the most recent match. */
function pickFingerprint(available: FingerprintView[], model: string | undefined, template: string | undefined): FingerprintView {
  const sha = template === undefined ? undefined : promptSha256(template);
  // fingerprints() lists the most recent run first.
  const found = available.find((f) => (model === undefined || f.model === model) && (sha === undefined || f.promptSha256 === sha));
  if (found) return found;
  const wanted = [model && `model ${model}`, sha && `prompt sha256 ${sha.slice(0, 12)}…`].filter(Boolean).join(' and ');
  const known = available.map((f) => `${f.model} (prompt ${f.promptSha256.slice(0, 12)}…)`).join(', ');
  throw new UserError(`no Ask-LLM scores for ${wanted}; ${known ? `scored so far: ${known}` : 'nothing is scored yet: run shard-curator score <shard>'}`);
}
