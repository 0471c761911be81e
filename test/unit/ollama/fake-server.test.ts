// The fake Ollama server speaks the documented API; these tests hold it to that, through the real
// ollama-js client where possible, so every other test that relies on it tests something real.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ollama } from 'ollama';
import { FakeOllama, defaultAnswer, fakeYesShare, startFakeOllama } from '../../fakes/ollama-server';
import { realDocuments } from '../../fixtures/corpus';

async function post(url: string, body: unknown): Promise<{ status: number; json: any; contentType: string | null }> {
  const res = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: await res.json(), contentType: res.headers.get('content-type') };
}

describe('fake Ollama server', () => {
  let fake: FakeOllama;
  let client: Ollama;
  const text = realDocuments(1, 11)[0].text;

  before(async () => {
    fake = await startFakeOllama();
    client = new Ollama({ host: fake.url });
  });
  after(() => fake.stop());

  test('version, tags and show describe the configured models', async () => {
    assert.deepEqual(await client.version(), { version: '0.13.5' });
    const { models } = await client.list();
    assert.deepEqual(models.map((m) => m.name), ['qwen2.5:0.5b', 'qwen3:0.6b', 'nomic-embed-text:latest']);
    assert.match(models[0].digest, /^[0-9a-f]{64}$/);
    assert.equal(typeof models[0].modified_at, 'string');
    const judge = (await client.show({ model: 'qwen3:0.6b' })) as any;
    assert.deepEqual(judge.capabilities, ['completion', 'tools', 'thinking']);
    assert.equal(judge.model_info['qwen3.context_length'], 32768);
    const embedder = (await client.show({ model: 'nomic-embed-text' })) as any;
    assert.deepEqual(embedder.capabilities, ['embedding']);
    assert.equal(embedder.model_info['nomic-bert.embedding_length'], 768);
  });

  test('unknown model: 404 with the real error text, seen by ollama-js as a ResponseError', async () => {
    await assert.rejects(client.show({ model: 'llama3.2:3b' }), (err: any) => {
      assert.equal(err.name, 'ResponseError');
      assert.equal(err.status_code, 404);
      assert.equal(err.error, "model 'llama3.2:3b' not found");
      return true;
    });
  });

  test('chat, non-streamed: one JSON with top-level logprobs of the answer token', async () => {
    const prompt = `###\n${text}\n###\nAnswer yes or no.`;
    const res = await client.chat({ model: 'qwen2.5:0.5b', messages: [{ role: 'user', content: prompt }], stream: false, options: { num_predict: 1, temperature: 0 }, logprobs: true, top_logprobs: 20 });
    assert.equal(res.done, true);
    assert.equal(res.done_reason, 'length');
    assert.equal(res.logprobs?.length, 1);
    const first = res.logprobs![0];
    assert.equal(first.top_logprobs?.length, 20);
    assert.equal(res.message.content, first.token);
    const sorted = [...first.top_logprobs!].sort((a, b) => b.logprob - a.logprob);
    assert.deepEqual(first.top_logprobs, sorted);
    const yes = defaultAnswer(prompt, 'qwen2.5:0.5b').filter((t) => t.token.trim().toLowerCase() === 'yes').reduce((s, t) => s + Math.exp(t.logprob), 0);
    assert.ok(Math.abs(yes - 0.9 * fakeYesShare(prompt)) < 1e-12);
    assert.ok(Number.isInteger(res.total_duration) && res.total_duration >= 0);
  });

  test('chat, streamed: NDJSON lines, logprobs per token, the last one done', async () => {
    const stream = await client.chat({ model: 'qwen2.5:0.5b', messages: [{ role: 'user', content: text }], stream: true, logprobs: true, top_logprobs: 3 });
    const parts = [];
    for await (const part of stream) parts.push(part);
    assert.equal(parts.length, 3);
    assert.deepEqual(parts.map((p) => p.done), [false, false, true]);
    assert.equal(parts[0].logprobs?.[0].top_logprobs?.length, 3);
    assert.equal(parts[2].done_reason, 'stop');
  });

  test('generate answers with `response` and the same log-probs', async () => {
    const res = await client.generate({ model: 'qwen2.5:0.5b', prompt: text, stream: false, options: { num_predict: 1 }, logprobs: true, top_logprobs: 5 });
    assert.equal(res.response, res.logprobs![0].token);
    assert.equal(res.logprobs![0].top_logprobs!.length, 5);
  });

  test('the real server\'s 400s: top_logprobs range, embedding model as chat, think on a non-thinking model', async () => {
    const chat = (body: object) => post(`${fake.url}/api/chat`, { model: 'qwen2.5:0.5b', messages: [{ role: 'user', content: 'hi' }], stream: false, ...body });
    assert.deepEqual((await chat({ logprobs: true, top_logprobs: 21 })).json, { error: 'top_logprobs must be between 0 and 20' });
    assert.equal((await chat({ logprobs: true, top_logprobs: -1 })).status, 400);
    const embedAsChat = await chat({ model: 'nomic-embed-text' });
    assert.deepEqual([embedAsChat.status, embedAsChat.json], [400, { error: '"nomic-embed-text" does not support chat' }]);
    const embedAsGenerate = await post(`${fake.url}/api/generate`, { model: 'nomic-embed-text', prompt: 'hi' });
    assert.deepEqual(embedAsGenerate.json, { error: '"nomic-embed-text" does not support generate' });
    assert.deepEqual((await chat({ think: true })).json, { error: '"qwen2.5:0.5b" does not support thinking' });
    assert.equal((await chat({ think: false })).status, 200);
    const bad = await post(`${fake.url}/api/chat`, '{not json');
    assert.equal(bad.status, 400);
    assert.match(bad.contentType ?? '', /application\/json/);
    assert.equal(typeof bad.json.error, 'string');
  });

  test('a thinking model thinks first unless sent think: false', async () => {
    const ask = (think?: boolean) => client.chat({ model: 'qwen3:0.6b', messages: [{ role: 'user', content: text }], stream: false, options: { num_predict: 1 }, logprobs: true, top_logprobs: 20, ...(think === undefined ? {} : { think }) });
    const thinking = await ask();
    assert.equal(thinking.message.content, '');
    assert.equal(thinking.logprobs![0].token, 'Okay');
    const answering = await ask(false);
    assert.equal(answering.logprobs![0].top_logprobs!.length, 20);
    assert.notEqual(answering.logprobs![0].token, 'Okay');
  });

  test('embed: L2-normalised vectors in input order, deterministic; empty input yields no vector', async () => {
    const docs = realDocuments(3, 5).map((d) => d.text);
    const res = await client.embed({ model: 'nomic-embed-text', input: docs });
    assert.equal(res.embeddings.length, 3);
    for (const v of res.embeddings) {
      assert.equal(v.length, 768);
      assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-9);
    }
    const again = await client.embed({ model: 'nomic-embed-text', input: docs[1] });
    assert.deepEqual(again.embeddings[0], res.embeddings[1]);
    assert.ok(res.prompt_eval_count > 0);
    assert.deepEqual((await client.embed({ model: 'nomic-embed-text', input: '' })).embeddings, []);
    assert.equal((await client.embed({ model: 'nomic-embed-text', input: [docs[0], '', docs[2]] })).embeddings.length, 2);
  });

  test('old servers (< 0.12.11) ignore logprobs', async () => {
    const old = await startFakeOllama({ version: '0.12.10' });
    try {
      const res = await new Ollama({ host: old.url }).chat({ model: 'qwen2.5:0.5b', messages: [{ role: 'user', content: text }], stream: false, logprobs: true, top_logprobs: 20 });
      assert.equal(res.logprobs, undefined);
      assert.equal(res.done, true);
    } finally {
      await old.stop();
    }
  });

  test('slots and queue: requests beyond the queue get the real 503', async () => {
    const busy = await startFakeOllama({ slots: 1, maxQueue: 1, latencyMs: 100 });
    try {
      const ask = () => post(`${busy.url}/api/chat`, { model: 'qwen2.5:0.5b', messages: [{ role: 'user', content: 'hi' }], stream: false });
      const answers = await Promise.all([ask(), ask(), ask()]);
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 200, 503]);
      assert.deepEqual(answers.find((a) => a.status === 503)!.json, { error: 'server busy, please try again.  maximum pending requests exceeded' });
      assert.equal(busy.maxInFlight, 3);
    } finally {
      await busy.stop();
    }
  });

  test('records every request with its body; scripted faults come first', async () => {
    const before = fake.requests.length;
    fake.failNext(1, { status: 500 });
    const failed = await post(`${fake.url}/api/chat`, { model: 'qwen2.5:0.5b', messages: [], stream: false });
    assert.equal(failed.status, 500);
    fake.failNext(1, { drop: 'before-headers' });
    await assert.rejects(fetch(`${fake.url}/api/embed`, { method: 'POST', body: JSON.stringify({ model: 'nomic-embed-text', input: 'x' }) }), /fetch failed/);
    const recorded = fake.requests.slice(before);
    assert.deepEqual(recorded.map((r) => [r.path, r.status, r.aborted]), [['/api/chat', 500, false], ['/api/embed', undefined, true]]);
    assert.deepEqual(recorded[1].body, { model: 'nomic-embed-text', input: 'x' });
  });
});
