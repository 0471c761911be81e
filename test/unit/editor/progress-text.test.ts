/** The words of the progress notifications and the proposed name of the dropped-rows file. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { percentDone, progressText } from '../../../extension/commands/progress-text';
import { droppedPathFor } from '../../../extension/commands/paths';
import { RateMeter } from '../../../extension/core/run/progress';

test('progress says rows done of total, then the rate and time left once measured, and failures', () => {
  assert.equal(progressText({ done: 0, total: 12000 }), '0 / 12,000 rows');
  let now = 0;
  const meter = new RateMeter(12000, 5000, () => now);
  meter.update(0);
  now = 10_000;
  assert.equal(progressText({ ...meter.update(1234), failed: 3 }), '1,234 / 12,000 rows · 123 rows/s · 1m 27s left · 3 failed');
  assert.equal(progressText({ done: 12000, total: 12000, rate: 2500, etaSeconds: 0 }), '12,000 / 12,000 rows · 2,500 rows/s');
  assert.equal(progressText({ done: 5, total: 10, rate: 2.25, etaSeconds: 2.2 }, 'texts'), '5 / 10 texts · 2.3 texts/s · 2s left');
  assert.equal(percentDone({ done: 3, total: 12 }), 25);
  assert.equal(percentDone({ done: 0, total: 0 }), 0);
});

test('the dropped rows go beside the output under a name that says so', () => {
  assert.equal(droppedPathFor('/d/web.curated.jsonl'), '/d/web.dropped.jsonl');
  assert.equal(droppedPathFor('/d/web.curated.jsonl.gz'), '/d/web.dropped.jsonl.gz');
  assert.equal(droppedPathFor('/d/best.arrow'), '/d/best.dropped.arrow');
  assert.equal(droppedPathFor('/d.x/out'), '/d.x/out.dropped');
});
