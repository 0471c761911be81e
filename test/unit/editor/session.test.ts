/** ShardSession: opening a real shard, the events a webview sees, the text field setting, closing. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Logger } from '../../../extension/editor/logger';
import { ShardSession, type SessionEvent } from '../../../extension/editor/session';
import { records, tempDir, writeArrow, writeJsonl } from '../cli/shards';

const noLog: Logger = { info() {}, error() {} };
let dir: string;
let cleanup: () => void;

before(() => ({ dir, cleanup } = tempDir('editor-session')));
after(() => cleanup());

test('a big JSONL shard streams index progress, then shardInfo with rows, then the complete shardInfo', async () => {
  const path = join(dir, 'big.jsonl');
  writeJsonl(path, records(12000, 4));
  const session = new ShardSession(path, { progressIntervalMs: 0 }, noLog);
  const events: SessionEvent[] = [];
  session.subscribe((e) => events.push(e));
  await session.settled;
  const infos = events.filter((e) => e.type === 'shardInfo').map((e) => (e as Extract<SessionEvent, { type: 'shardInfo' }>).info);
  assert.ok(infos.length >= 2);
  assert.ok(infos[0].rowCount > 0, 'the first shardInfo already has rows');
  assert.deepEqual(infos.map((i) => i.indexed), [...infos.slice(0, -1).map(() => false), true]);
  assert.equal(infos.at(-1)!.rowCount, 12000);
  const progress = events.filter((e) => e.type === 'indexProgress') as Array<Extract<SessionEvent, { type: 'indexProgress' }>>;
  assert.ok(progress.length > 0);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i].bytesDone >= progress[i - 1].bytesDone);
  assert.deepEqual(session.snapshot(), [{ type: 'shardInfo', info: infos.at(-1) }]);
  await session.dispose();
  assert.throws(() => session.requireShard(), /still opening/);
});

test('the text field setting applies when the shard has that column, and warns when it does not', async () => {
  const path = join(dir, 'web.arrow');
  writeArrow(path, records(50, 6), 'file');
  const picked = new ShardSession(path, { textField: 'source' }, noLog);
  await picked.settled;
  assert.equal(picked.info()!.textField, 'source');
  await picked.dispose();

  const warnings: string[] = [];
  const missing = new ShardSession(path, { textField: 'raw_content', onWarning: (m) => warnings.push(m) }, noLog);
  await missing.settled;
  assert.equal(missing.info()!.textField, 'text');
  assert.deepEqual(warnings, ['web.arrow has no column "raw_content" (setting shardCurator.textField); showing "text" as the text instead.']);
  await missing.dispose();

  // JSONL: the setting reaches the index pass, which hashes that column's texts (no second pass).
  const jsonlPath = writeJsonl(join(dir, 'web-setting.jsonl'), records(50, 6)).path;
  const jsonl = new ShardSession(jsonlPath, { textField: 'source' }, noLog);
  await jsonl.settled;
  assert.equal(jsonl.info()!.textField, 'source');
  assert.ok(jsonl.requireShard().textFacts?.(), 'the index pass gathered the facts of "source"');
  await jsonl.dispose();
});

test('a missing file fails with one readable message and the error is logged', async () => {
  const logged: string[] = [];
  const session = new ShardSession(join(dir, 'gone.jsonl'), {}, { info() {}, error: (m, err) => logged.push(`${m}: ${String(err)}`) });
  const events: SessionEvent[] = [];
  session.subscribe((e) => events.push(e));
  await session.settled;
  assert.equal(events.length, 1);
  assert.equal(events[0].type, 'shardError');
  assert.match((events[0] as { message: string }).message, /gone\.jsonl/);
  assert.equal(logged.length, 1);
  await session.dispose();
});
