import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as A from 'apache-arrow';
import * as F from '@uwdata/flechette';
import { exportCurated, proposeExportPaths, samplerDropSteps, JSON_TEXT_COLUMNS_KEY } from '../../../extension/core/export';
import { parseSamplerSpec } from '../../../extension/core/curate/spec';
import { runSampler } from '../../../extension/core/curate/sampler';
import { decide } from '../../../extension/core/curate/decisions';
import { UserError } from '../../../extension/core/errors';
import { realDocuments } from '../../fixtures/corpus';
import { decisionsOf, expectedJsonl, files, jsonlFixture, lines, randomMask, sha256, tempDir, type JsonlFixture } from './helpers';

const ROWS = 1200;
const PROMPT = '###\n{text}\n###\n\nDoes the previous paragraph demarcated within ### and ### contain informative signal for pre-training a large-language model? An informative datapoint should be well-formatted, contain some usable knowledge of the world, and strictly NOT have any harmful, racist, sexist, etc. content.\n\nOPTIONS:\n- yes\n- no';
let dir: string;
let cleanup: () => void;
let fixture: JsonlFixture;
let shardPath: string;

before(() => {
  ({ dir, cleanup } = tempDir('jsonl'));
  fixture = jsonlFixture(ROWS);
  shardPath = join(dir, 'shard.jsonl');
  writeFileSync(shardPath, fixture.content);
});
after(() => cleanup());

/** Keeps ~30% at random plus the rows with the awkward bytes (BOM line, invalid UTF-8, padding, last line). */
function mask(): Uint8Array {
  const keep = randomMask(ROWS, 0.3);
  for (const row of [0, 3, 4, ROWS - 1]) keep[row] = 1;
  return keep;
}

describe('JSONL export', () => {
  test('the output is exactly the kept rows\' original bytes, in row order; malformed lines are skipped and counted', async () => {
    const keep = mask();
    const decisions = decisionsOf(keep, [[1, 'keep'], [2, 'drop'], [0, 'drop']]);
    const output = join(dir, 'exact.jsonl');
    const result = await exportCurated({
      shard: { path: shardPath, format: 'jsonl' }, decisions, output,
      recipe: {
        textField: 'text',
        sampler: { spec: 'random:0.3', seed: 9 },
        askllm: { model: 'qwen2.5:0.5b', modelDigest: 'a8b0c5157701', promptTemplate: PROMPT },
        density: { embedder: 'builtin-hash-256', sketch: { hashes: 64, bits: 8, seed: 1 } },
      },
    });
    const kept = (row: number) => decisions.decision[row] === 1;
    const written = readFileSync(output);
    assert.ok(written.equals(expectedJsonl(fixture.rowBytes, kept)));
    // The awkward rows are there byte for byte: CRLF, invalid UTF-8, whitespace padding, an added final newline.
    assert.ok(written.includes(fixture.rowBytes[3]));
    assert.ok(written.includes(fixture.rowBytes[5]) === kept(5));
    assert.equal(written.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), false);
    assert.ok(written.subarray(-1).equals(Buffer.from('\n')));

    const { recipe } = result;
    assert.deepEqual(recipe.rows, { input: ROWS, kept: decisions.kept, dropped: decisions.dropped, malformedSkipped: fixture.malformed });
    assert.ok(fixture.malformed >= 3);
    assert.equal(recipe.source.sha256, sha256(fixture.content));
    assert.equal(recipe.source.bytes, fixture.content.length);
    assert.equal(recipe.output.sha256, sha256(written));
    assert.equal(recipe.output.bytes, written.length);
    assert.deepEqual(recipe.overrides, { keep: 1, drop: 2, changingVerdict: decisions.overridesChangingVerdict });
    assert.deepEqual(JSON.parse(readFileSync(`${output}.recipe.json`, 'utf8')), recipe);
    assert.equal(recipe.format, 'shard-curator-recipe');
    assert.equal(recipe.tool.version, JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')).version);
    assert.ok(Math.abs(Date.parse(recipe.createdAt) - Date.now()) < 600_000);
    assert.deepEqual(recipe.source, {
      path: shardPath, format: 'jsonl', bytes: fixture.content.length, sha256: sha256(fixture.content),
      mtime: statSync(shardPath).mtime.toISOString(), textField: 'text',
    });
    assert.deepEqual(recipe.sampler, { spec: 'random:0.3', seed: 9, steps: null });
    assert.deepEqual(recipe.askllm, { model: 'qwen2.5:0.5b', modelDigest: 'a8b0c5157701', promptTemplate: PROMPT, promptSha256: sha256(Buffer.from(PROMPT)) });
    assert.deepEqual(recipe.density, { embedder: 'builtin-hash-256', embedderDigest: null, sketch: { hashes: 64, bits: 8, seed: 1 } });
    assert.deepEqual({ ...recipe.output, sha256: undefined, bytes: undefined },
      { path: output, format: 'jsonl', gzip: false, rows: decisions.kept, withAnnotations: false, sha256: undefined, bytes: undefined });
    assert.equal(recipe.dropped, null);
    assert.deepEqual(files(dir), ['exact.jsonl', 'exact.jsonl.recipe.json', 'shard.jsonl']);
  });

  test('gzipped input: the default name keeps the compression, and the content is the same bytes', async () => {
    const gzPath = join(dir, 'shard.jsonl.gz');
    const compressed = gzipSync(fixture.content);
    writeFileSync(gzPath, compressed);
    const keep = mask();
    const { output } = proposeExportPaths(gzPath, 'jsonl.gz');
    assert.equal(output, join(dir, 'shard.curated.jsonl.gz'));
    const { recipe } = await exportCurated({ shard: { path: gzPath, format: 'jsonl.gz' }, decisions: decisionsOf(keep), output, recipe: {} });
    const written = readFileSync(output);
    assert.equal(written[0], 0x1f);
    assert.ok(gunzipSync(written).equals(expectedJsonl(fixture.rowBytes, (row) => keep[row] === 1)));
    assert.equal(recipe.source.sha256, sha256(compressed));
    assert.equal(recipe.source.bytes, compressed.length);
    assert.equal(recipe.output.gzip, true);
    assert.equal(recipe.output.sha256, sha256(written));
    assert.equal(recipe.rows.malformedSkipped, fixture.malformed);

    // A plain name gives plain JSONL from the same gzipped shard.
    const plain = join(dir, 'from-gz.jsonl');
    await exportCurated({ shard: { path: gzPath, format: 'jsonl.gz' }, decisions: decisionsOf(keep), output: plain, recipe: {} });
    assert.ok(readFileSync(plain).equals(expectedJsonl(fixture.rowBytes, (row) => keep[row] === 1)));
  });

  test('withAnnotations inserts the four keys before each line\'s closing brace and leaves every other byte', async () => {
    const keep = mask();
    const decisions = decisionsOf(keep, [[7, 'keep']]);
    const askllm = Float64Array.from({ length: ROWS }, (_, row) => (row % 4 === 0 ? NaN : (row % 100) / 100));
    const density = Float64Array.from({ length: ROWS }, (_, row) => (row % 6 === 0 ? NaN : 1 + row / 7));
    const output = join(dir, 'annotated.jsonl');
    await exportCurated({
      shard: { path: shardPath, format: 'jsonl' }, decisions, output, withAnnotations: true, annotations: { askllm, density }, recipe: {},
    });
    const keptRows = [...decisions.decision.keys()].filter((row) => decisions.decision[row] === 1);
    const outLines = lines(readFileSync(output));
    assert.equal(outLines.length, keptRows.length);
    outLines.forEach((line, i) => {
      const row = keptRows[i];
      const expected = {
        askllm_p_yes: Number.isNaN(askllm[row]) ? null : askllm[row],
        density: Number.isNaN(density[row]) ? null : density[row],
        decision: 'keep',
        decision_source: decisions.source[row] === 2 ? 'override' : 'sampler',
      };
      const fragment = `,${Object.entries(expected).map(([k, v]) => `"${k}":${JSON.stringify(v)}`).join(',')}`;
      const original = fixture.rowBytes[row];
      const close = original.lastIndexOf(0x7d);
      assert.ok(line.equals(Buffer.concat([original.subarray(0, close), Buffer.from(fragment), original.subarray(close, original[original.length - 1] === 0x0a ? -1 : undefined)])),
        `row ${row}: ${line.toString('utf8').slice(-160)}`);
      const parsed = JSON.parse(line.toString('utf8')) as Record<string, unknown>;
      assert.deepEqual({ askllm_p_yes: parsed.askllm_p_yes, density: parsed.density, decision: parsed.decision, decision_source: parsed.decision_source }, expected);
    });
    assert.ok(keptRows.includes(7) && decisions.source[7] === 2);
  });

  test('the dropped rows go to their own file with the step or override that dropped them', async () => {
    const askllm = Float64Array.from({ length: ROWS }, (_, row) => ((row * 37) % 101) / 100);
    const spec = parseSamplerSpec('askllm-min:0.3,random:0.5');
    const inputs = { rowCount: ROWS, askllm };
    const sampler = runSampler(spec, inputs, 5);
    const dropSteps = samplerDropSteps(spec, inputs, 5);
    const overrides = new Int8Array(ROWS);
    overrides[11] = -1;
    overrides[12] = 1;
    const decisions = decide(ROWS, sampler.keep, overrides);
    const output = join(dir, 'kept.jsonl');
    const droppedPath = join(dir, 'dropped.jsonl');
    const { recipe } = await exportCurated({
      shard: { path: shardPath, format: 'jsonl' }, decisions, output, droppedPath, dropSteps,
      recipe: { sampler: { spec: 'askllm-min:0.3,random:0.5', seed: 5, steps: sampler.steps } },
    });
    const droppedRows = [...decisions.decision.keys()].filter((row) => decisions.decision[row] === 0);
    const outLines = lines(readFileSync(droppedPath));
    assert.equal(outLines.length, droppedRows.length);
    const reasons = new Map<string, number>();
    outLines.forEach((line, i) => {
      const row = droppedRows[i];
      const parsed = JSON.parse(line.toString('utf8')) as Record<string, unknown>;
      let expected: string;
      if (row === 11) expected = 'manual override';
      else if (askllm[row] < 0.3) expected = 'sampler: askllm-min:0.3 (step 1)';
      else expected = 'sampler: random:0.5 (step 2)';
      assert.equal(parsed._drop_reason, expected, `row ${row}`);
      assert.equal(parsed.id, fixture.rowValues[row].id);
      reasons.set(expected, (reasons.get(expected) ?? 0) + 1);
    });
    assert.equal(reasons.size, 3);
    assert.ok(lines(readFileSync(output)).some((line) => JSON.parse(line.toString('utf8')).id === fixture.rowValues[12].id));
    assert.equal(recipe.dropped?.rows, droppedRows.length);
    assert.equal(recipe.dropped?.sha256, sha256(readFileSync(droppedPath)));
    assert.deepEqual(recipe.sampler?.steps, sampler.steps);
  });

  test('JSONL -> Arrow infers a schema from the kept rows, read back by apache-arrow and flechette alike', async () => {
    const docs = realDocuments(400, 6);
    const rows = docs.map((doc, i) => ({
      id: doc.id,
      text: doc.text,
      chars: doc.text.length,
      ratio: i % 3 === 0 ? doc.text.length / 7 : i,
      brown: doc.source === 'brown',
      meta: i % 5 === 0 ? null : { source: doc.source, words: doc.text.split(' ').length },
      tags: doc.text.split(' ').slice(0, 2),
      mixed: i % 2 === 0 ? doc.id : i,
      ...(i % 9 === 0 ? {} : { sometimes: `s${i}` }),
      nothing: null,
    }));
    const path = join(dir, 'typed.jsonl');
    writeFileSync(path, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const keep = randomMask(rows.length, 0.3, 2);
    const output = join(dir, 'typed.arrow');
    await exportCurated({ shard: { path, format: 'jsonl' }, decisions: decisionsOf(keep), output, format: 'arrow', recipe: {} });

    const table = A.tableFromIPC(readFileSync(output));
    assert.deepEqual(table.schema.fields.map((f) => `${f.name}: ${String(f.type)}`), [
      'id: Utf8', 'text: Utf8', 'chars: Int64', 'ratio: Float64', 'brown: Bool', 'meta: Utf8', 'tags: Utf8', 'mixed: Utf8', 'sometimes: Utf8', 'nothing: Null',
    ]);
    assert.deepEqual(JSON.parse(table.schema.metadata.get(JSON_TEXT_COLUMNS_KEY)!), ['meta', 'tags', 'mixed']);
    const kept = rows.filter((_, i) => keep[i] === 1);
    const expected = kept.map((r) => ({
      id: r.id, text: r.text, chars: r.chars, ratio: r.ratio, brown: r.brown,
      meta: r.meta === null ? null : JSON.stringify(r.meta), tags: JSON.stringify(r.tags), mixed: JSON.stringify(r.mixed),
      sometimes: r.sometimes ?? null, nothing: null,
    }));
    assert.equal(table.numRows, kept.length);
    const apacheRows = table.toArray().map((row) => {
      const json = row.toJSON() as Record<string, unknown>;
      return { ...json, chars: Number(json.chars as bigint) };
    });
    assert.deepEqual(apacheRows, expected);
    const flechette = F.tableFromIPC(readFileSync(output), { useBigInt: false });
    assert.deepEqual(flechette.toArray().map((row) => ({ ...row })), expected);
  });

  test('keeping no row gives an empty file that still verifies, in both formats', async () => {
    const none = new Uint8Array(ROWS);
    const jsonl = join(dir, 'none.jsonl.gz');
    const arrow = join(dir, 'none.arrow');
    const { recipe } = await exportCurated({ shard: { path: shardPath, format: 'jsonl' }, decisions: decisionsOf(none), output: jsonl, recipe: {} });
    assert.equal(gunzipSync(readFileSync(jsonl)).length, 0);
    assert.deepEqual(recipe.rows, { input: ROWS, kept: 0, dropped: ROWS, malformedSkipped: fixture.malformed });
    await exportCurated({ shard: { path: shardPath, format: 'jsonl' }, decisions: decisionsOf(none), output: arrow, format: 'arrow', recipe: {} });
    assert.equal(A.tableFromIPC(readFileSync(arrow)).numRows, 0);
  });

  test('a sampler must have decided every row', async () => {
    await assert.rejects(
      exportCurated({ shard: { path: shardPath, format: 'jsonl' }, decisions: decide(ROWS, undefined, undefined), output: join(dir, 'undecided.jsonl'), recipe: {} }),
      (err: unknown) => err instanceof UserError && /no sampler is chosen/.test(err.message));
  });
});
