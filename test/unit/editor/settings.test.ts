/** The shardCurator.* settings: machine settings from user settings only, and clear messages for bad values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { askLlmSettings, densitySettings, ollamaHosts, storeDirectory, type SettingsReader } from '../../../extension/editor/settings';
import { UserError } from '../../../extension/core/errors';

/** A reader over user and workspace layers, merged the way VS Code merges a window-scoped setting. */
function reader(user: Record<string, unknown>, workspace: Record<string, unknown> = {}): SettingsReader {
  return { get: (key) => workspace[key] ?? user[key], userValue: (key) => user[key] };
}

test('the Ollama hosts and the store folder come from user settings; a workspace cannot redirect them', () => {
  const r = reader({ 'ollama.hosts': ['gpu-box:11434', 'http://127.0.0.1:11435/'] }, { 'ollama.hosts': ['http://evil.example:80'], storeDirectory: '/tmp/elsewhere' });
  assert.deepEqual(ollamaHosts(r), ['http://gpu-box:11434', 'http://127.0.0.1:11435']);
  assert.equal(storeDirectory(r), undefined);
  assert.deepEqual(ollamaHosts(reader({})), ['http://127.0.0.1:11434']);
  assert.equal(storeDirectory(reader({ storeDirectory: ' /data/annotations ' })), '/data/annotations');
  assert.throws(() => ollamaHosts(reader({ 'ollama.hosts': 'http://x:1' })), /must be a list of URLs/);
  assert.throws(() => ollamaHosts(reader({ 'ollama.hosts': ['http://[bad'] })), (err: Error) => err instanceof UserError && /not a host URL/.test(err.message));
});

test('Ask-LLM settings: defaults, the empty template means the paper\'s, and bad values name the setting', () => {
  const ok = askLlmSettings(reader({ 'askLlm.model': 'qwen2.5:1.5b', 'askLlm.promptTemplate': '', 'askLlm.concurrency': 4, 'askLlm.maxChars': 0 }));
  assert.deepEqual(ok, { hosts: ['http://127.0.0.1:11434'], model: 'qwen2.5:1.5b', promptTemplate: undefined, concurrency: 4, maxChars: undefined });
  const custom = askLlmSettings(reader({ 'askLlm.model': 'm', 'askLlm.promptTemplate': 'Is this good?\n{text}', 'askLlm.maxChars': 2000, 'askLlm.concurrency': 64 }));
  assert.deepEqual([custom.promptTemplate, custom.maxChars, custom.concurrency], ['Is this good?\n{text}', 2000, 64]);
  assert.throws(() => askLlmSettings(reader({ 'askLlm.model': 'm', 'askLlm.promptTemplate': 'Is this good?' })), /shardCurator\.askLlm\.promptTemplate: .*no \{text\} placeholder/);
  assert.throws(() => askLlmSettings(reader({ 'askLlm.model': 'm', 'askLlm.concurrency': 0 })), /shardCurator\.askLlm\.concurrency must be a whole number from 1 to 64 \(it is 0\)/);
  assert.throws(() => askLlmSettings(reader({ 'askLlm.model': 'm', 'askLlm.concurrency': 2.5 })), /concurrency must be a whole number/);
  assert.throws(() => askLlmSettings(reader({ 'askLlm.model': 'm', 'askLlm.maxChars': -1 })), /maxChars must be a whole number/);
  assert.throws(() => askLlmSettings(reader({ 'askLlm.model': '  ' })), /askLlm\.model is empty: run "Shard Curator: Select Ollama Model"/);
});

test('density settings: the embedder choice and the optional sketch overrides', () => {
  assert.deepEqual(densitySettings(reader({ 'density.embedder': '' })), { hosts: ['http://127.0.0.1:11434'], embedder: undefined, sketch: {} });
  assert.equal(densitySettings(reader({ 'density.embedder': 'builtin' })).embedder, 'builtin');
  assert.equal(densitySettings(reader({ 'density.embedder': 'ollama:nomic-embed-text' })).embedder, 'ollama:nomic-embed-text');
  assert.deepEqual(densitySettings(reader({ 'density.sketchRows': 512, 'density.buckets': null })).sketch, { rows: 512 });
  assert.throws(() => densitySettings(reader({ 'density.embedder': 'openai' })), /density\.embedder must be "builtin", "ollama:<model>"/);
  assert.throws(() => densitySettings(reader({ 'density.buckets': 1 })), /density\.buckets must be a whole number from 2/);
});
