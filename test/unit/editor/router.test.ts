/** The webview message router over a really opened shard, with the webview replaced by a capture. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { truncateSync as truncate } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../../extension/editor/logger';
import { ShardSession } from '../../../extension/editor/session';
import { RouterHarness } from './router-harness';
import { MAX_PAGE_ROWS, type ToWebviewMessage } from '../../../extension/protocol';
import { MALFORMED, records, tempDir, writeArrow, writeJsonl, type JsonlFixture } from '../cli/shards';

type SearchEvent = Extract<ToWebviewMessage, { type: 'searchProgress' }>;

class Harness extends RouterHarness {
  /** Waits until the search with this id posted its last event. */
  async searchDone(searchId: number): Promise<SearchEvent[]> {
    for (;;) {
      const events = this.posted.filter((m): m is SearchEvent => m.type === 'searchProgress' && m.searchId === searchId);
      if (events.some((e) => e.done)) return events;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

const noLog: Logger = { info() {}, error() {} };
let dir: string;
let cleanup: () => void;
let fixture: JsonlFixture;
let session: ShardSession;
let h: Harness;

before(async () => {
  ({ dir, cleanup } = tempDir('editor'));
  fixture = writeJsonl(join(dir, 'web.jsonl'), records(1500, 8), new Map([[4, MALFORMED[0]], [1000, MALFORMED[2]]]));
  session = new ShardSession(fixture.path, {}, noLog);
  await session.settled;
  h = new Harness(session);
});
after(async () => {
  h.router.dispose();
  await session.dispose();
  cleanup();
});

test('ready sends the complete shard info', async () => {
  await h.router.handle({ type: 'ready' });
  const info = h.posted.filter((m) => m.type === 'shardInfo').at(-1);
  assert.ok(info && info.type === 'shardInfo');
  assert.deepEqual(info.info, {
    fileName: 'web.jsonl',
    format: 'jsonl',
    bytes: fixture.bytes,
    rowCount: 1500,
    indexed: true,
    columns: [{ name: 'id', type: 'string' }, { name: 'text', type: 'string' }, { name: 'source', type: 'string' }, { name: 'chars', type: 'number' }],
    textField: 'text',
    malformedCount: 2,
  });
});

describe('rows', () => {
  test('answers a page with the text apart and every other field', async () => {
    const { rows } = await h.ok<{ rows: Array<{ row: number; text: string; fields: Record<string, unknown> }> }>('rows', { start: 3, count: 100 });
    assert.equal(rows.length, 100);
    rows.forEach((r, i) => {
      const record = fixture.rows[3 + i];
      assert.equal(r.row, 3 + i);
      assert.equal(r.text, record.text);
      assert.deepEqual(r.fields, { id: record.id, source: record.source, chars: record.chars });
    });
  });

  test('clips ranges to the shard', async () => {
    assert.deepEqual((await h.ok<{ rows: Array<{ row: number }> }>('rows', { start: 1495, count: 100 })).rows.map((r) => r.row), [1495, 1496, 1497, 1498, 1499]);
    assert.deepEqual(await h.ok('rows', { start: 1500, count: 10 }), { rows: [] });
    assert.deepEqual(await h.ok('rows', { start: 10 ** 9, count: MAX_PAGE_ROWS }), { rows: [] });
    assert.deepEqual(await h.ok('rows', { start: 0, count: 0 }), { rows: [] });
    assert.equal((await h.ok<{ rows: unknown[] }>('rows', { start: 0, count: MAX_PAGE_ROWS })).rows.length, MAX_PAGE_ROWS);
  });

  test('rejects counts over the page limit and indices that are not non-negative integers', async () => {
    assert.match(await h.error('rows', { start: 0, count: MAX_PAGE_ROWS + 1 }), /over the page limit of 1000/);
    for (const bad of [{ start: -1, count: 10 }, { start: 1.5, count: 10 }, { start: '0', count: 10 }, { start: 0 }, { start: 0, count: Number.NaN }, { start: 2 ** 60, count: 1 }]) {
      assert.match(await h.error('rows', bad), /must be an integer >= 0/);
    }
    assert.match(await h.error('rows', null), /needs an object of parameters/);
    assert.match(await h.error('rows', [0, 10]), /needs an object of parameters/);
  });
});

test('malformed lists the broken lines with their line numbers', async () => {
  const result = await h.ok<{ count: number; examples: Array<{ line: number; error: string }> }>('malformed', {});
  assert.equal(result.count, 2);
  assert.deepEqual(result.examples.map((e) => e.line), fixture.malformedLines);
});

describe('bad messages are rejected and logged, never thrown', () => {
  test('messages that are not requests', async () => {
    const before = h.posted.length;
    for (const message of [null, 42, 'rows', [], {}, { type: 7 }, { type: 'explode' }, { type: 'log', level: 'panic', message: 'x' }]) {
      await h.router.handle(message);
    }
    assert.equal(h.posted.length, before, 'nothing is answered');
    assert.equal(h.logged.filter((l) => l.startsWith('error Rejected a webview message')).length, 8);
  });

  test('requests without an id get no answer; unknown methods get an error', async () => {
    const before = h.posted.length;
    await h.router.handle({ type: 'request', method: 'rows', params: { start: 0, count: 1 } });
    await h.router.handle({ type: 'request', id: '1', method: 'rows', params: { start: 0, count: 1 } });
    assert.equal(h.posted.length, before);
    assert.match(await h.error('deleteShard', {}), /Unknown request "deleteShard"/);
    assert.match(await h.error('toString', {}), /Unknown request "toString"/);
    assert.match(await h.error('__proto__', {}), /Unknown request/);
  });

  test('webview log messages go to the log', async () => {
    await h.router.handle({ type: 'log', level: 'error', message: 'TypeError: x is undefined' });
    assert.ok(h.logged.includes('error webview: TypeError: x is undefined'));
  });
});

describe('search', () => {
  test('streams the matching rows and ends with done', async () => {
    assert.deepEqual(await h.ok('search', { searchId: 1, query: { pattern: 'SAID', regex: false, caseSensitive: false } }), { started: true });
    const events = await h.searchDone(1);
    const want = fixture.rows.flatMap((r, i) => (r.text.toLowerCase().includes('said') ? [i] : []));
    assert.deepEqual(events.flatMap((e) => e.matches), want);
    const last = events.at(-1)!;
    assert.equal(last.done, true);
    assert.equal(last.error, undefined);
    assert.equal(last.total, 1500);
    assert.equal(last.scanned, 1500);
  });

  test('a bad regex is refused with the reason; malformed queries are refused', async () => {
    assert.match(await h.error('search', { searchId: 2, query: { pattern: '[a-', regex: true, caseSensitive: true } }), /Invalid regular expression.*Fix the regular expression/);
    assert.match(await h.error('search', { searchId: 3, query: { pattern: 'x' } }), /query must be/);
    assert.match(await h.error('search', { searchId: -1, query: { pattern: 'x', regex: false, caseSensitive: true } }), /searchId must be an integer/);
  });

  test('cancelSearch stops the running search; a new search replaces the old one', async () => {
    await h.ok('search', { searchId: 10, query: { pattern: 'the', regex: false, caseSensitive: true } });
    assert.deepEqual(await h.ok('cancelSearch', { searchId: 10 }), { cancelled: true });
    assert.equal((await h.searchDone(10)).at(-1)!.error, 'Cancelled.');
    assert.deepEqual(await h.ok('cancelSearch', { searchId: 10 }), { cancelled: false });

    await h.ok('search', { searchId: 11, query: { pattern: 'the', regex: false, caseSensitive: true } });
    await h.ok('search', { searchId: 12, query: { pattern: 'jury', regex: false, caseSensitive: true } });
    assert.equal((await h.searchDone(11)).at(-1)!.error, 'Replaced by a new search.');
    const events = await h.searchDone(12);
    assert.deepEqual(events.flatMap((e) => e.matches), fixture.rows.flatMap((r, i) => (r.text.includes('jury') ? [i] : [])));
  });
});

test('setTextField switches the text field for rows; unknown fields are refused', async () => {
  const { info } = await h.ok<{ info: { textField: string } }>('setTextField', { field: 'source' });
  assert.equal(info.textField, 'source');
  const { rows } = await h.ok<{ rows: Array<{ text: string; fields: Record<string, unknown> }> }>('rows', { start: 0, count: 2 });
  assert.equal(rows[0].text, fixture.rows[0].source);
  assert.deepEqual(rows[0].fields, { id: fixture.rows[0].id, text: fixture.rows[0].text, chars: fixture.rows[0].chars });
  assert.match(await h.error('setTextField', { field: 'body' }), /"body" is not a column of web\.jsonl; columns are: id, text, source, chars/);
  assert.match(await h.error('setTextField', { field: 3 }), /field must be a column name/);
  await h.ok('setTextField', { field: 'text' });
});

test('an unreadable file shows one shardError and every request says why', async () => {
  const path = join(dir, 'broken.arrow');
  writeArrow(path, records(300, 2), 'file');
  truncate(path, 4000); // an interrupted download
  const broken = new ShardSession(path, {}, noLog);
  const b = new Harness(broken);
  await broken.settled;
  const errors = b.posted.filter((m) => m.type === 'shardError');
  assert.equal(errors.length, 1);
  assert.match((errors[0] as { message: string }).message, /broken\.arrow: .*truncated/);
  await b.router.handle({ type: 'ready' });
  assert.deepEqual(b.posted.at(-1), errors[0]);
  assert.match(await b.error('rows', { start: 0, count: 10 }), /broken\.arrow: .*truncated/);
  b.router.dispose();
  await broken.dispose();
});

test('after dispose the router posts nothing more', async () => {
  const s = new ShardSession(fixture.path, {}, noLog);
  const d = new Harness(s);
  await s.settled;
  await d.ok('search', { searchId: 1, query: { pattern: 'the', regex: false, caseSensitive: true } });
  d.router.dispose();
  const count = d.posted.length;
  await d.router.handle({ type: 'ready' });
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(d.posted.length, count);
  await s.dispose();
});
