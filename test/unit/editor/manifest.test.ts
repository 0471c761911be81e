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

test('the curation commands are in the palette only while a shard editor is active, the main ones in its title bar', () => {
  const titles = Object.fromEntries(contributes.commands.map((c: { command: string; title: string; category: string }) => [c.command, `${c.category}: ${c.title}`]));
  assert.deepEqual(titles, {
    'shardCurator.open': 'Shard Curator: Open Shard',
    'shardCurator.selectModel': 'Shard Curator: Select Ollama Model',
    'shardCurator.scoreSelected': 'Shard Curator: Score Selected Rows with Ask-LLM',
    'shardCurator.scoreAll': 'Shard Curator: Score All Rows with Ask-LLM',
    'shardCurator.computeDensity': 'Shard Curator: Compute Density',
    'shardCurator.showNearest': 'Shard Curator: Show Nearest Rows',
    'shardCurator.export': 'Shard Curator: Export Curated Shard...',
    'shardCurator.exportAnnotations': 'Shard Curator: Export Annotations as Arrow...',
    'shardCurator.openExample': 'Shard Curator: Open Example Shard',
  });
  const palette = Object.fromEntries(contributes.menus.commandPalette.map((m: { command: string; when: string }) => [m.command, m.when]));
  for (const command of ['scoreSelected', 'scoreAll', 'computeDensity', 'showNearest', 'export', 'exportAnnotations']) {
    assert.equal(palette[`shardCurator.${command}`], 'shardCurator.shardEditorActive', command);
  }
  assert.equal(palette['shardCurator.selectModel'], undefined, 'the model picker works without a shard');
  const title = contributes.menus['editor/title'].filter((m: { command: string }) => m.command !== 'shardCurator.open');
  assert.deepEqual(title.map((m: { command: string }) => m.command), ['shardCurator.scoreAll', 'shardCurator.computeDensity', 'shardCurator.export']);
  for (const item of title) {
    assert.equal(item.when, 'activeCustomEditorId == shardCurator.shardEditor || activeCustomEditorId == shardCurator.textShardEditor');
    assert.ok(contributes.commands.find((c: { command: string; icon?: string }) => c.command === item.command).icon, `${item.command} has an icon for the title bar`);
  }
});

test('a workspace cannot send the data to another machine or write stores elsewhere: hosts and store folder are machine settings', () => {
  const props = contributes.configuration.properties;
  const restricted: string[] = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
  for (const key of ['shardCurator.ollama.hosts', 'shardCurator.storeDirectory', 'shardCurator.cacheDirectory']) {
    assert.equal(props[key].scope, 'machine', key);
    assert.ok(restricted.includes(key), `${key} is restricted in untrusted workspaces`);
    assert.match(props[key].markdownDescription, /Remote settings/, `${key} tells remote-window users where to set it`);
  }
  assert.deepEqual(props['shardCurator.ollama.hosts'].default, ['http://127.0.0.1:11434']);
  assert.equal(props['shardCurator.ollama.hosts'].items.type, 'string');
});

test('the Ask-LLM and density settings have the documented defaults and bounds', () => {
  const props = contributes.configuration.properties;
  const pick = (key: string) => {
    const { type, default: value, minimum, maximum } = props[key];
    return { type, default: value, minimum, maximum };
  };
  assert.equal(typeof props['shardCurator.askLlm.model'].default, 'string');
  assert.ok(props['shardCurator.askLlm.model'].default.length > 0);
  assert.deepEqual(pick('shardCurator.askLlm.concurrency'), { type: 'integer', default: 4, minimum: 1, maximum: 64 });
  assert.deepEqual(pick('shardCurator.askLlm.maxChars'), { type: 'integer', default: 0, minimum: 0, maximum: undefined });
  assert.equal(props['shardCurator.askLlm.promptTemplate'].default, '');
  assert.equal(props['shardCurator.askLlm.promptTemplate'].editPresentation, 'multilineText');
  assert.match(props['shardCurator.askLlm.promptTemplate'].markdownDescription, /\{text\}/);
  const embedder = new RegExp(props['shardCurator.density.embedder'].pattern);
  for (const ok of ['', 'builtin', 'ollama:nomic-embed-text']) assert.ok(embedder.test(ok), ok);
  for (const bad of ['openai', 'ollama:', 'builtin ']) assert.ok(!embedder.test(bad), bad);
  assert.deepEqual(pick('shardCurator.density.sketchRows'), { type: ['integer', 'null'], default: null, minimum: 1, maximum: 100000 });
  assert.equal(props['shardCurator.density.buckets'].default, null);
});
