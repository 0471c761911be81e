import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as A from 'apache-arrow';
import * as F from '@uwdata/flechette';
import { exportAnnotations, proposeAnnotationsPath } from '../../../extension/core/export';
import { UserError } from '../../../extension/core/errors';
import { realDocuments } from '../../fixtures/corpus';
import { decisionsOf, files, randomMask, tempDir } from './helpers';

// More rows than one record batch of the annotations file (65,536).
const ROWS = 70_000;
let dir: string;
let cleanup: () => void;
let shardPath: string;

before(() => {
  ({ dir, cleanup } = tempDir('annotations'));
  shardPath = join(dir, 'shard.jsonl');
  writeFileSync(shardPath, realDocuments(5, 1).map((d) => JSON.stringify(d)).join('\n'));
});
after(() => cleanup());

describe('annotations-only export', () => {
  test('one row per shard row, with nulls where a value is missing, readable by apache-arrow and flechette', async () => {
    const texts = realDocuments(ROWS, 2).map((d) => d.text);
    const textHash = BigUint64Array.from(texts, (text) => BigInt(`0x${createHash('sha256').update(text).digest('hex').slice(0, 16)}`));
    const askllmPYes = Float64Array.from({ length: ROWS }, (_, row) => (row % 3 === 0 ? NaN : (row % 1000) / 1000));
    const askllmPNo = Float64Array.from(askllmPYes, (p) => 1 - p);
    const density = Float64Array.from({ length: ROWS }, (_, row) => (row % 10 === 0 ? NaN : 1 + (row % 50)));
    const ipsWeight = Float64Array.from(density, (d) => 1 / d);
    const decisions = decisionsOf(randomMask(ROWS, 0.5, 3), [[5, 'drop'], [6, 'keep']]);
    const output = proposeAnnotationsPath(shardPath);
    assert.equal(output, join(dir, 'shard.annotations.arrow'));
    let rowsDone = 0;
    await exportAnnotations({
      shardPath, rowCount: ROWS, output, onProgress: (p) => { rowsDone = p.rowsDone; },
      columns: { askllmPYes, askllmPNo, density, ipsWeight, textHash, decision: decisions.decision, decisionSource: decisions.source },
    });
    assert.equal(rowsDone, ROWS);

    const table = A.tableFromIPC(readFileSync(output));
    assert.deepEqual(table.schema.fields.map((f) => `${f.name}: ${String(f.type)}`), [
      'row: Int64', 'text_hash: Utf8', 'askllm_p_yes: Float64', 'askllm_p_no: Float64', 'density: Float64', 'ips_weight: Float64', 'decision: Utf8', 'decision_source: Utf8',
    ]);
    assert.equal(table.numRows, ROWS);
    const flechette = F.tableFromIPC(readFileSync(output), { useBigInt: true });
    const nullable = (v: number) => (Number.isNaN(v) ? null : v);
    for (const row of [0, 1, 2, 5, 6, 9, 10, 65_535, 65_536, ROWS - 1]) {
      const expected = {
        row: BigInt(row),
        text_hash: createHash('sha256').update(texts[row]).digest('hex').slice(0, 16),
        askllm_p_yes: nullable(askllmPYes[row]),
        askllm_p_no: nullable(askllmPNo[row]),
        density: nullable(density[row]),
        ips_weight: nullable(ipsWeight[row]),
        decision: decisions.decision[row] === 1 ? 'keep' : 'drop',
        decision_source: row === 5 || row === 6 ? 'override' : 'sampler',
      };
      assert.deepEqual(table.get(row)!.toJSON(), expected, `apache-arrow, row ${row}`);
      assert.deepEqual({ ...flechette.get(row) }, expected, `flechette, row ${row}`);
    }
  });

  test('missing columns are all nulls; undecided rows have null decisions; an existing file needs force', async () => {
    const output = join(dir, 'partial.arrow');
    const decision = Uint8Array.from({ length: 10 }, (_, row) => (row < 5 ? 2 : 1));
    const decisionSource = Uint8Array.from(decision, (d) => (d === 2 ? 0 : 2));
    await exportAnnotations({ shardPath, rowCount: 10, output, columns: { decision, decisionSource } });
    const rows = A.tableFromIPC(readFileSync(output)).toArray().map((r) => r.toJSON());
    assert.deepEqual(rows[0], { row: 0n, text_hash: null, askllm_p_yes: null, askllm_p_no: null, density: null, ips_weight: null, decision: null, decision_source: null });
    assert.deepEqual([rows[9].decision, rows[9].decision_source], ['keep', 'override']);

    await assert.rejects(exportAnnotations({ shardPath, rowCount: 10, output, columns: {} }),
      (err: unknown) => err instanceof UserError && /already exists/.test(err.message));
    await assert.rejects(exportAnnotations({ shardPath, rowCount: 10, output: shardPath, columns: {}, force: true }),
      (err: unknown) => err instanceof UserError && /is the shard being exported/.test(err.message));
    await assert.rejects(exportAnnotations({ shardPath, rowCount: 10, output, columns: { density: new Float64Array(9) }, force: true }), RangeError);
    await exportAnnotations({ shardPath, rowCount: 3, output, columns: {}, force: true });
    assert.equal(A.tableFromIPC(readFileSync(output)).numRows, 3);
    assert.deepEqual(files(dir), ['partial.arrow', 'shard.annotations.arrow', 'shard.jsonl']);
  });
});
