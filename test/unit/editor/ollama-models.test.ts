/** The model picker's inventory and the status bar's line, against the fake Ollama server. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { canEmbed, canJudge, listInstalledModels, ollamaStatus } from '../../../extension/commands/ollama-models';
import { closedPort, startFakeOllama, type FakeOllama } from '../../fakes/ollama-server';

let fake: FakeOllama;
let second: FakeOllama;
before(async () => {
  fake = await startFakeOllama();
  second = await startFakeOllama({ models: [{ name: 'qwen2.5:0.5b', kind: 'judge' }] });
});
after(async () => {
  await fake.stop();
  await second.stop();
});

test('lists the installed models of every host and which can judge', async () => {
  const down = `http://127.0.0.1:${await closedPort()}`;
  const inventory = await listInstalledModels([fake.url, second.url, down]);
  assert.deepEqual(inventory.hosts.map((h) => [h.host, h.version ?? null]), [[fake.url, '0.13.5'], [second.url, '0.13.5'], [down, null]]);
  assert.match(inventory.hosts[2].error!, /Cannot reach Ollama at .*connection refused/);
  const byName = Object.fromEntries(inventory.models.map((m) => [m.name, m]));
  assert.deepEqual(Object.keys(byName), ['nomic-embed-text:latest', 'qwen2.5:0.5b', 'qwen3:0.6b']);
  assert.deepEqual(byName['qwen2.5:0.5b'].hosts, [fake.url, second.url]);
  assert.equal(canJudge(byName['qwen2.5:0.5b']), true);
  assert.equal(canJudge(byName['nomic-embed-text:latest']), false);
  assert.equal(canEmbed(byName['nomic-embed-text:latest']), true);
});

test('the status line: ready, not installed, cannot judge, too old, not reachable', async () => {
  assert.deepEqual(await ollamaStatus([fake.url], 'qwen2.5:0.5b').then((s) => [s.severity, s.text]), ['ok', 'Ollama 0.13.5 · qwen2.5:0.5b']);
  const missing = await ollamaStatus([fake.url, second.url], 'qwen3:0.6b');
  assert.deepEqual([missing.severity, missing.text], ['warning', 'Ollama 0.13.5 · qwen3:0.6b not installed']);
  assert.match(missing.tooltip, new RegExp(`not installed on ${second.url.replace(/[.]/g, '\\.')}: run \`ollama pull qwen3:0.6b\``));
  assert.equal((await ollamaStatus([fake.url], 'nomic-embed-text')).text, 'Ollama 0.13.5 · nomic-embed-text cannot judge');
  const down = `http://127.0.0.1:${await closedPort()}`;
  const unreachable = await ollamaStatus([down], 'qwen2.5:0.5b');
  assert.deepEqual([unreachable.severity, unreachable.text], ['error', 'Ollama: not reachable']);
  assert.match(unreachable.tooltip, /ollama serve/);
  assert.equal((await ollamaStatus([fake.url, down], 'qwen2.5:0.5b')).text, 'Ollama 1/2 hosts · qwen2.5:0.5b');
  fake.version = '0.6.2';
  try {
    assert.equal((await ollamaStatus([fake.url], 'qwen2.5:0.5b')).text, 'Ollama 0.6.2 (too old for Ask-LLM)');
  } finally {
    fake.version = '0.13.5';
  }
});

test('the status check asks /api/show for the configured model only', async () => {
  const before = fake.requests.length;
  await ollamaStatus([fake.url], 'qwen2.5:0.5b');
  const shows = fake.requests.slice(before).filter((r) => r.path === '/api/show');
  assert.deepEqual(shows.map((r) => r.body.model), ['qwen2.5:0.5b']);
});
