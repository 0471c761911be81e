import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions, normalizeHost, ollamaClient, parseHosts, supportsLogprobs } from '../../../extension/core/ollama/client';
import { classifyError, OllamaError } from '../../../extension/core/ollama/errors';
import { HostPool, backoffDelay, DEFAULT_RETRY } from '../../../extension/core/ollama/pool';
import { preflight } from '../../../extension/core/ollama/preflight';
import { embedTexts } from '../../../extension/core/ollama/embed';
import { estimateTokens, prefixWithinTokens } from '../../../extension/core/ollama/tokens';
import { UserError, isCancelled } from '../../../extension/core/errors';
import { FakeOllama, closedPort, fakeEmbedding, startFakeOllama } from '../../fakes/ollama-server';
import { FAST_RETRY, waitFor } from '../../fakes/ollama-helpers';
import { realDocuments } from '../../fixtures/corpus';

test('hosts are read like OLLAMA_HOST', () => {
  assert.equal(normalizeHost('localhost'), 'http://localhost:11434');
  assert.equal(normalizeHost(':11435'), 'http://127.0.0.1:11435');
  assert.equal(normalizeHost('http://gpu-box:8080/'), 'http://gpu-box:8080');
  assert.equal(normalizeHost('https://ollama.example.org'), 'https://ollama.example.org');
  assert.deepEqual(parseHosts('gpu1, gpu2:11500 gpu1'), ['http://gpu1:11434', 'http://gpu2:11500']);
  assert.deepEqual(parseHosts(undefined), ['http://127.0.0.1:11434']);
});

test('versions: log-probs from 0.12.11 on; dev builds (0.0.0) count as current', () => {
  assert.ok(compareVersions('0.12.11', '0.12.9') > 0);
  assert.ok(compareVersions('0.13.0-rc1', '0.12.11') > 0);
  assert.equal(compareVersions('v0.12.11', '0.12.11'), 0);
  assert.equal(supportsLogprobs('0.12.10'), false);
  assert.equal(supportsLogprobs('0.12.11'), true);
  assert.equal(supportsLogprobs('0.0.0'), true);
});

test('token estimate is conservative for English and counts other scripts per unit', () => {
  const english = realDocuments(20, 9).map((d) => d.text).join(' ');
  // Real BPE vocabularies average ~4 characters per English token; the estimate must not be below that.
  assert.ok(estimateTokens(english) >= english.length / 4);
  assert.equal(estimateTokens('日本語'), 3);
  const cut = prefixWithinTokens('ab😀cd', 2.5);
  assert.equal(cut, 2); // "ab" (2/3) + 😀 (2 units) would exceed 2.5; never half a surrogate pair
});

test('back-off doubles per retry up to the cap, with jitter in the upper half', () => {
  const policy = { ...DEFAULT_RETRY, baseDelayMs: 100, maxDelayMs: 1000 };
  assert.equal(backoffDelay(1, policy, () => 0), 50);
  assert.equal(backoffDelay(1, policy, () => 1), 100);
  assert.equal(backoffDelay(3, policy, () => 1), 400);
  assert.equal(backoffDelay(9, policy, () => 0.5), 750);
});

describe('HostPool', () => {
  let fake: FakeOllama;
  before(async () => { fake = await startFakeOllama(); });
  after(() => fake.stop());

  const chat = (pool: HostPool, signal?: AbortSignal) =>
    pool.request((client) => client.chat({ model: 'qwen2.5:0.5b', messages: [{ role: 'user', content: 'Is the sky blue?' }], stream: false }), { signal, model: 'qwen2.5:0.5b' });

  test('a 503 burst and dropped connections are retried until they succeed', async () => {
    const pool = new HostPool([fake.url], FAST_RETRY);
    fake.failNext(3, { status: 503 });
    const busy = await chat(pool);
    assert.equal(busy.attempts, 4);
    fake.failNext(1, { drop: 'before-headers' });
    fake.failNext(1, { drop: 'mid-body' });
    const dropped = await chat(pool);
    assert.equal(dropped.attempts, 3);
    assert.equal(dropped.value.done, true);
  });

  test('500 is retried a bounded number of times, then reported with Ollama\'s words', async () => {
    const pool = new HostPool([fake.url], FAST_RETRY);
    const before = fake.inferenceRequests().length;
    fake.failNext(FAST_RETRY.attempts, { status: 500, error: 'llama runner process has terminated: signal: killed' });
    await assert.rejects(chat(pool), (err: unknown) => {
      assert.ok(err instanceof OllamaError);
      assert.equal(err.kind, 'server');
      assert.equal(err.message, `Ollama at ${fake.url} failed: llama runner process has terminated: signal: killed (HTTP 500) (after 4 attempts). Check the Ollama server log.`);
      return true;
    });
    assert.equal(fake.inferenceRequests().length - before, 4);
  });

  test('400 and 404 are never retried', async () => {
    const pool = new HostPool([fake.url], FAST_RETRY);
    const before = fake.inferenceRequests().length;
    fake.failNext(1, { status: 400, error: 'invalid options' });
    await assert.rejects(chat(pool), /rejected the request: invalid options \(HTTP 400\)/);
    await assert.rejects(
      pool.request((client) => client.chat({ model: 'gemma3:4b', messages: [{ role: 'user', content: 'x' }], stream: false }), { model: 'gemma3:4b' }),
      (err: unknown) => err instanceof OllamaError && err.kind === 'model-missing' && /ollama pull gemma3:4b/.test(err.message),
    );
    assert.equal(fake.inferenceRequests().length - before, 2);
  });

  test('connection refused names the host and says how to start Ollama', async () => {
    const dead = `http://127.0.0.1:${await closedPort()}`;
    await assert.rejects(new HostPool([dead], { ...FAST_RETRY, retryRefused: false }).request((c) => c.version()), (err: unknown) => {
      assert.ok(err instanceof OllamaError && err instanceof UserError);
      assert.equal(err.kind, 'refused');
      assert.equal(err.message, `Cannot reach Ollama at ${dead}: connection refused. Start it with \`ollama serve\`, or check the host address and port.`);
      return true;
    });
    assert.equal(classifyError(new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ENOTFOUND' }) })).kind, 'unresolved');
  });

  test('a host that refuses is skipped; requests spread over the hosts that answer', async () => {
    const second = await startFakeOllama();
    const dead = `http://127.0.0.1:${await closedPort()}`;
    try {
      const pool = new HostPool([dead, fake.url, second.url], FAST_RETRY, 60_000);
      // One by one: the dead host costs at most one extra attempt, then it is skipped for downMs.
      const sequential = [];
      for (let i = 0; i < 3; i++) sequential.push(await chat(pool));
      assert.ok(sequential.reduce((n, r) => n + r.attempts - 1, 0) <= 1);
      const firstCounts = [fake.inferenceRequests().length, second.inferenceRequests().length];
      const results = await Promise.all(Array.from({ length: 12 }, () => chat(pool)));
      assert.ok(results.every((r) => r.host !== dead && r.attempts === 1));
      const served = [fake.inferenceRequests().length - firstCounts[0], second.inferenceRequests().length - firstCounts[1]];
      assert.equal(served[0] + served[1], 12);
      assert.ok(served[0] >= 4 && served[1] >= 4, `both hosts serve: ${served}`);
    } finally {
      await second.stop();
    }
  });

  test('least-in-flight: a host busy with a long request gets the next ones', async () => {
    const slow = await startFakeOllama({ latencyMs: (_path, body) => (body.messages?.[0]?.content === 'slow' ? 1500 : 0) });
    try {
      const pool = new HostPool([slow.url, fake.url]);
      const long = pool.request((c) => c.chat({ model: 'qwen2.5:0.5b', messages: [{ role: 'user', content: 'slow' }], stream: false }));
      await waitFor(() => slow.inferenceRequests().length === 1, 'the slow request to arrive');
      const quick = await chat(pool);
      assert.equal(quick.host, fake.url);
      assert.equal((await long).host, slow.url);
    } finally {
      await slow.stop();
    }
  });

  test('aborting cancels a non-streamed request in flight: the server sees the connection go', async () => {
    const slow = await startFakeOllama({ latencyMs: 60_000 });
    try {
      const controller = new AbortController();
      const pending = chat(new HostPool([slow.url]), controller.signal);
      await waitFor(() => slow.inferenceRequests().length === 1, 'the request to arrive');
      controller.abort();
      await assert.rejects(pending, (err: unknown) => isCancelled(err));
      await waitFor(() => slow.inferenceRequests()[0].aborted, 'the server to see the abort');
    } finally {
      await slow.stop();
    }
  });

  test('ollamaClient merges the caller\'s signal for GETs too', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(ollamaClient(fake.url, controller.signal).version(), (err: any) => err.name === 'AbortError');
  });
});

describe('preflight', () => {
  let fake: FakeOllama;
  before(async () => {
    fake = await startFakeOllama({ models: [
      { name: 'qwen2.5:0.5b', kind: 'judge', contextLength: 32768 },
      { name: 'qwen3:0.6b', kind: 'judge', thinking: true, contextLength: 40960 },
      { name: 'nomic-embed-text', kind: 'embedding', contextLength: 2048, embeddingLength: 768 },
    ] });
  });
  after(() => fake.stop());

  test('reports version, digest, capabilities and context per host', async () => {
    const [info] = await preflight([fake.url], 'qwen3:0.6b', 'judge');
    const listed = (await ollamaClient(fake.url).list()).models.find((m) => m.name === 'qwen3:0.6b')!;
    assert.deepEqual(info, {
      host: fake.url, version: '0.13.5', model: 'qwen3:0.6b', digest: listed.digest,
      capabilities: ['completion', 'tools', 'thinking'], contextLength: 40960, embeddingLength: 896,
    });
    const [embedder] = await preflight([fake.url], 'nomic-embed-text', 'embed');
    assert.equal(embedder.embeddingLength, 768);
    assert.equal(embedder.contextLength, 2048);
  });

  test('each failure has its own message', async () => {
    await assert.rejects(preflight([fake.url], 'llama3.2:3b', 'judge'), { message: `Model "llama3.2:3b" is not installed on Ollama at ${fake.url}. Install it with \`ollama pull llama3.2:3b\`.` });
    await assert.rejects(preflight([fake.url], 'nomic-embed-text', 'judge'), /cannot be the Ask-LLM judge: it is an embedding model \(capabilities: embedding\)\. Pick a chat model/);
    await assert.rejects(preflight([fake.url], 'qwen2.5:0.5b', 'embed'), /is not an embedding model .*nomic-embed-text/);
    const dead = `http://127.0.0.1:${await closedPort()}`;
    await assert.rejects(preflight([fake.url, dead], 'qwen2.5:0.5b', 'judge'), { message: `Cannot reach Ollama at ${dead}: connection refused. Start it with \`ollama serve\`, or check the host address and port.` });
    const old = await startFakeOllama({ version: '0.12.3' });
    try {
      await assert.rejects(preflight([old.url], 'qwen2.5:0.5b', 'judge'), { message: `Ollama at ${old.url} is version 0.12.3, which returns no log-probabilities; Ask-LLM needs Ollama 0.12.11 or newer. Upgrade Ollama (https://ollama.com/download) and try again.` });
      // embedding needs no log-probs: an old server is fine for it
      assert.equal((await preflight([old.url], 'nomic-embed-text', 'embed'))[0].version, '0.12.3');
    } finally {
      await old.stop();
    }
  });

  test('several hosts must hold the same weights', async () => {
    const other = await startFakeOllama({ models: [{ name: 'qwen2.5:0.5b', kind: 'judge', digest: 'a'.repeat(64) }] });
    try {
      await assert.rejects(preflight([fake.url, other.url], 'qwen2.5:0.5b', 'judge'), /different versions of "qwen2.5:0.5b".*ollama pull qwen2.5:0.5b/);
    } finally {
      await other.stop();
    }
  });
});

describe('embedTexts', () => {
  let fake: FakeOllama;
  before(async () => { fake = await startFakeOllama({ models: [{ name: 'nomic-embed-text', kind: 'embedding', contextLength: 512, embeddingLength: 64 }] }); });
  after(() => fake.stop());

  test('batches, keeps input order, filters empty texts and flags texts over the context', async () => {
    const docs = realDocuments(9, 21).map((d) => d.text);
    const long = realDocuments(40, 22).map((d) => d.text).join('\n\n');
    const texts = [docs[0], '', docs[1], docs[2], long, docs[3], '', docs[4], docs[5], docs[6], docs[7], docs[8]];
    const before = fake.inferenceRequests().length;
    const progress: number[] = [];
    const result = await embedTexts(new HostPool([fake.url], FAST_RETRY), texts, { model: 'nomic-embed-text', contextLength: 512, batchSize: 4, onProgress: (n) => progress.push(n) });
    const requests = fake.inferenceRequests().slice(before);
    assert.deepEqual(requests.map((r) => r.body.input.length), [4, 4, 2]);
    assert.ok(requests.every((r) => r.body.truncate === true && r.body.input.every((t: string) => t.length > 0)));
    assert.equal(result.dims, 64);
    texts.forEach((text, i) => {
      if (text === '') assert.equal(result.vectors[i], null);
      else assert.deepEqual(Array.from(result.vectors[i]!), Array.from(Float32Array.from(fakeEmbedding(text === long ? text.slice(0, (512 - 2) * 4) : text, 64))));
    });
    assert.deepEqual(result.truncated, texts.map((t) => t === long));
    assert.deepEqual(progress.at(-1), texts.length);
    assert.ok(result.promptTokens > 0);
  });
});
