/** package.json contributions, checked against what the extension registers and the rules it follows. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
const contributes = manifest.contributes;

test('binary shards open in the shard editor by default, text shards only on request', () => {
  const byPriority = Object.fromEntries(
    contributes.customEditors.map((e: { priority: string; selector: Array<{ filenamePattern: string }> }) => [e.priority, e.selector.map((s) => s.filenamePattern)]),
  );
  assert.deepEqual(byPriority, {
    default: ['*.arrow', '*.arrows', '*.feather', '*.ipc'],
    option: ['*.jsonl', '*.ndjson', '*.jsonl.gz', '*.json.gz'],
  });
});

test('the open command is in the explorer context menu and the editor title, for shard files only', () => {
  const command = contributes.commands.find((c: { command: string }) => c.command === 'shardCurator.open');
  assert.deepEqual({ title: command.title, category: command.category }, { title: 'Open Shard', category: 'Shard Curator' });
  for (const menu of ['explorer/context', 'editor/title']) {
    const item = contributes.menus[menu].find((m: { command: string }) => m.command === 'shardCurator.open');
    assert.ok(item, menu);
    const pattern = /resourceFilename =~ \/(.+)\/i/.exec(item.when)![1];
    const re = new RegExp(pattern, 'i');
    for (const name of ['a.jsonl', 'b.NDJSON', 'c.jsonl.gz', 'd.json.gz', 'e.arrow', 'f.arrows', 'g.feather', 'h.ipc']) assert.ok(re.test(name), `${menu}: ${name}`);
    for (const name of ['a.json', 'b.gz', 'c.txt', 'arrow', 'jsonl.md']) assert.ok(!re.test(name), `${menu}: ${name}`);
  }
  for (const items of Object.values(contributes.menus) as Array<Array<{ command: string }>>) {
    for (const item of items) assert.ok(contributes.commands.some((c: { command: string }) => c.command === item.command));
  }
});

test('settings have the scopes that keep workspaces from redirecting machine resources', () => {
  const props = contributes.configuration.properties;
  assert.equal(props['shardCurator.textField'].scope, 'resource');
  assert.equal(props['shardCurator.textField'].default, '');
  assert.equal(props['shardCurator.cacheDirectory'].scope, 'machine');
  assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
  assert.ok(manifest.capabilities.untrustedWorkspaces.description.length > 20);
  assert.equal(manifest.capabilities.virtualWorkspaces.supported, false);
  assert.deepEqual(manifest.activationEvents, []);
});
