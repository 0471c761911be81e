import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../../core/errors';
import { defineCommand } from '../command';
import { openCuration } from '../curation';
import { formatCount } from '../format';

const SAMPLER = 'density-ips:0.5';
const SEED = 0;
/** The `source` value the bundled example gives its planted near-duplicates (see test/fixtures/make-examples.ts). */
const NEAR_DUPLICATE = 'near-duplicate';

/** The bundled example: dist/cli.js -> <package>/examples/. */
function exampleShard(): string {
  const path = resolve(__dirname, '..', 'examples', 'web-sample.jsonl');
  if (!existsSync(path)) throw new UserError(`the bundled example ${path} is missing; reinstall Shard Curator`);
  return path;
}

export const demo = defineCommand({
  name: 'demo',
  summary: 'Curate the bundled example shard end to end with the built-in embedder (no server needed).',
  args: [],
  options: {
    out: { type: 'string', valueName: 'DIR', description: 'where the curated shard, its recipe and the annotations go (default: ./shard-curator-demo)' },
  },
  details: `Computes density, samples with ${SAMPLER} (thins near-duplicate clusters, keeps rare rows) and exports the kept and the dropped rows. The example folder is never written.`,
  async run(context) {
    const { options, global, print, printJson, progress, signal } = context;
    const shardPath = exampleShard();
    const outDir = resolve(options.out ?? 'shard-curator-demo');
    mkdirSync(outDir, { recursive: true });
    const out = join(outDir, 'web-sample.curated.jsonl');
    const dropped = join(outDir, 'web-sample.dropped.jsonl');
    const opened = await openCuration(shardPath, context, outDir);
    try {
      const { model, shard } = opened;
      const bar = progress('Density', 'rows');
      try {
        await model.computeDensity({ embedder: 'builtin', signal, onProgress: (p) => bar.update(p.done, p.total) });
      } finally {
        bar.finish();
      }
      model.setSampler(SAMPLER, SEED);
      // A previous demo's files (its recipe says so) are replaced; anything else there is not.
      const result = await model.exportCurated({ out, droppedPath: dropped, force: existsSync(`${out}.recipe.json`), signal });

      const density = model.densityScores().density;
      const sorted = Array.from(density).sort((a, b) => a - b);
      const quantile = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
      const { decision } = await model.decisions();
      let nearRows = 0;
      let nearDropped = 0;
      let nearDensity = 0;
      for (let start = 0; start < model.rowCount; start += 500) {
        for (const row of await shard.readRows(start, 500)) {
          if (row.fields.source !== NEAR_DUPLICATE) continue;
          nearRows++;
          nearDensity += density[row.row];
          if (decision[row.row] === 0) nearDropped++;
        }
      }
      const otherRows = model.rowCount - nearRows;
      const otherDropped = result.dropped - nearDropped;
      const share = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);
      const report = {
        rows: result.input,
        density: { min: quantile(0), median: quantile(0.5), max: quantile(1) },
        sampler: SAMPLER,
        seed: SEED,
        kept: result.kept,
        dropped: result.dropped,
        nearDuplicates: { rows: nearRows, dropped: nearDropped, droppedShare: share(nearDropped, nearRows), otherDroppedShare: share(otherDropped, otherRows) },
        out: result.out,
        recipe: result.recipe,
        droppedOut: dropped,
      };
      if (global.json) {
        printJson(report);
        return;
      }
      const percent = (x: number) => `${(100 * x).toFixed(0)}%`;
      print(`Shard Curator demo on ${shardPath}`);
      print(`  rows       ${formatCount(report.rows)}`);
      print(`  density    min ${report.density.min.toFixed(2)}, median ${report.density.median.toFixed(2)}, max ${report.density.max.toFixed(2)} (built-in embedder, RACE sketch)`);
      if (nearRows > 0) print(`             the ${formatCount(nearRows)} planted near-duplicates average ${(nearDensity / nearRows).toFixed(2)}`);
      print(`  sampler    ${SAMPLER} (seed ${SEED}): kept ${formatCount(result.kept)}, dropped ${formatCount(result.dropped)}`);
      if (nearRows > 0) print(`  dropped    ${percent(report.nearDuplicates.droppedShare)} of the near-duplicates vs ${percent(report.nearDuplicates.otherDroppedShare)} of the other rows`);
      print('');
      print(`Curated shard  ${result.out}`);
      print(`Recipe         ${result.recipe}`);
      print(`Dropped rows   ${dropped} (each with its _drop_reason)`);
      print(`Annotations    ${model.store.location.dir}`);
    } finally {
      await opened.close();
    }
  },
});
