// The Ask-LLM scoring run against the fake Ollama server, with real text.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreRows, type AskLlmResult, type ScoreOptions, type ScoreItem } from '../../../extension/core/askllm/run';
import { DEFAULT_PROMPT_TEMPLATE, promptSha256, renderPrompt } from '../../../extension/core/askllm/prompt';
import { estimateTokens } from '../../../extension/core/ollama/tokens';
import { UserError } from '../../../extension/core/errors';
import { FakeOllama, closedPort, defaultAnswer, fakeYesShare, startFakeOllama, type TopLogprob } from '../../fakes/ollama-server';
import { FAST_RETRY, realScoreItems, sha256, waitFor } from '../../fakes/ollama-helpers';
import { realDocuments } from '../../fixtures/corpus';

const JUDGE = 'qwen2.5:0.5b';

async function run(items: ScoreItem[], options: Partial<ScoreOptions> & { hosts: string[] }) {
  const results: AskLlmResult[] = [];
  const summary = await scoreRows(items, { model: JUDGE, retry: FAST_RETRY, onResult: (r) => { results.push(r); }, ...options });
  return { results, summary, byRow: new Map(results.map((r) => [r.row, r])) };
}

describe('scoreRows', () => {
  let fake: FakeOllama;
  before(async () => { fake = await startFakeOllama(); });
  after(() => fake.stop());

  test('scores every row of real text: the engine\'s numbers are the server\'s log-probs summed', async () => {
    const items = realScoreItems(24);
    const progress: number[] = [];
    const { results, summary, byRow } = await run(items, { hosts: [fake.url], onProgress: (p) => progress.push(p.done) });
    assert.deepEqual([summary.scored, summary.failed, summary.cancelled], [24, 0, false]);
    assert.equal(results.length, 24);
    const [info] = (await fetch(`${fake.url}/api/tags`).then((r) => r.json())).models;
    for (const item of items) {
      const r = byRow.get(item.row)!;
      assert.equal(r.failed, false);
      if (r.failed) continue;
      const p = fakeYesShare(renderPrompt(DEFAULT_PROMPT_TEMPLATE, item.text, { contextTokens: 4096 }).prompt);
      assert.ok(Math.abs(r.pYes - 0.9 * p) < 1e-9);
      assert.ok(Math.abs(r.pNo - 0.9 * (1 - p)) < 1e-9);
      assert.ok(Math.abs(r.normalized! - p) < 1e-9);
      assert.deepEqual(
        { textHash: r.textHash, model: r.model, modelDigest: r.modelDigest, promptSha256: r.promptSha256, offFormat: r.offFormat, host: r.host },
        { textHash: item.textHash, model: JUDGE, modelDigest: info.digest, promptSha256: promptSha256(DEFAULT_PROMPT_TEMPLATE), offFormat: false, host: fake.url },
      );
      assert.ok(r.ms >= 0);
    }
    // scores differ between documents (a judge that says the same thing for everything is broken)
    assert.ok(new Set(results.map((r) => (r.failed ? -1 : r.pYes.toFixed(6)))).size > 20);
    assert.equal(progress.at(-1), 24);
  });

  test('the request is exactly the judge request; think: false only for thinking models', async () => {
    const items = realScoreItems(3, 8);
    const before = fake.inferenceRequests().length;
    await run(items, { hosts: [fake.url] });
    const { results } = await run(items, { hosts: [fake.url], model: 'qwen3:0.6b' });
    const bodies = fake.inferenceRequests().slice(before).map((r) => r.body);
    assert.equal(bodies.length, 6);
    bodies.forEach((body, i) => {
      const item = items[i % 3];
      const expected: Record<string, unknown> = {
        model: i < 3 ? JUDGE : 'qwen3:0.6b',
        messages: [{ role: 'user', content: renderPrompt(DEFAULT_PROMPT_TEMPLATE, item.text, { contextTokens: 4096 }).prompt }],
        stream: false,
        options: { num_predict: 1, temperature: 0 },
        logprobs: true,
        top_logprobs: 20,
      };
      if (i >= 3) expected.think = false;
      assert.deepEqual(body, expected);
    });
    // the thinking model answered yes/no because it was told not to think
    assert.ok(results.every((r) => !r.failed && !r.offFormat));
  });

  test('exact P(yes) from given log-probs: split yes-variants summed, off-format answers score 0', async () => {
    const docs = realDocuments(3, 30).map((d) => d.text);
    const answers = new Map<string, TopLogprob[]>([
      [docs[0], [{ token: 'Yes', logprob: Math.log(0.5) }, { token: ' yes', logprob: Math.log(0.2) }, { token: 'No', logprob: Math.log(0.1) }, { token: 'Maybe', logprob: Math.log(0.05) }]],
      [docs[1], [{ token: 'The', logprob: Math.log(0.7) }, { token: 'I', logprob: Math.log(0.2) }]],
      [docs[2], [{ token: 'NO', logprob: Math.log(0.6) }, { token: ' no', logprob: Math.log(0.3) }, { token: 'yes', logprob: Math.log(0.01) }]],
    ]);
    const custom = await startFakeOllama({ answer: (prompt, model) => [...answers].find(([text]) => prompt.includes(text))?.[1] ?? defaultAnswer(prompt, model) });
    try {
      const { byRow } = await run(docs.map((text, row) => ({ row, text, textHash: sha256(text) })), { hosts: [custom.url] });
      const pick = (row: number) => {
        const r = byRow.get(row)!;
        assert.equal(r.failed, false);
        return r.failed ? undefined : [r.pYes, r.pNo, r.normalized, r.offFormat];
      };
      const close = (a: unknown[] | undefined, b: unknown[]) => a!.every((x, i) => (typeof x === 'number' ? Math.abs(x - (b[i] as number)) < 1e-12 : x === b[i]));
      assert.ok(close(pick(0), [0.7, 0.1, 0.875, false]), String(pick(0)));
      assert.deepEqual(pick(1), [0, 0, null, true]);
      assert.ok(close(pick(2), [0.01, 0.9, 0.01 / 0.91, false]), String(pick(2)));
    } finally {
      await custom.stop();
    }
  });

  test('texts longer than the model\'s context are cut to fit and recorded as truncated', async () => {
    const small = await startFakeOllama({ models: [{ name: JUDGE, kind: 'judge', contextLength: 512 }] });
    try {
      const long = realDocuments(50, 6).map((d) => d.text).join('\n\n');
      const short = realDocuments(1, 7)[0].text.slice(0, 300);
      const { byRow, summary } = await run([{ row: 0, text: long, textHash: sha256(long) }, { row: 1, text: short, textHash: sha256(short) }], { hosts: [small.url] });
      assert.equal(summary.setup.contextTokens, 512);
      assert.deepEqual([byRow.get(0)!.truncated, byRow.get(1)!.truncated], [true, false]);
      const sent = small.inferenceRequests().map((r) => r.body.messages[0].content as string);
      assert.ok(sent.every((content) => estimateTokens(content) <= 512));
      assert.ok(sent.some((content) => content.includes(short)));
      const capped = await run([{ row: 5, text: short, textHash: sha256(short) }], { hosts: [small.url], maxChars: 100 });
      assert.equal(capped.byRow.get(5)!.truncated, true);
    } finally {
      await small.stop();
    }
  });

  test('a 503 burst and dropped connections are retried: every row is scored', async () => {
    const items = realScoreItems(10, 12);
    const before = fake.inferenceRequests().length;
    fake.failNext(5, { status: 503 });
    fake.failNext(2, { drop: 'before-headers' });
    fake.failNext(2, { drop: 'mid-body' });
    const { summary, results } = await run(items, { hosts: [fake.url], concurrency: 2, retry: { ...FAST_RETRY, attempts: 12 } });
    assert.deepEqual([summary.scored, summary.failed], [10, 0]);
    assert.deepEqual(results.map((r) => r.row).sort((a, b) => a - b), items.map((i) => i.row));
    assert.equal(fake.inferenceRequests().length - before, 10 + 9);
  });

  test('a server queue that overflows (real 503s) is ridden out by back-off', async () => {
    const busy = await startFakeOllama({ slots: 1, maxQueue: 1, latencyMs: 5 });
    try {
      const { summary } = await run(realScoreItems(12, 13), { hosts: [busy.url], concurrency: 4, retry: { attempts: 30, baseDelayMs: 2, maxDelayMs: 20 } });
      assert.deepEqual([summary.scored, summary.failed], [12, 0]);
      assert.ok(busy.inferenceRequests().some((r) => r.status === 503), 'the queue did overflow');
    } finally {
      await busy.stop();
    }
  });

  test('a row that keeps failing with 500 becomes a failure record after the retry bound; the run goes on', async () => {
    const items = realScoreItems(4, 14);
    const before = fake.inferenceRequests().length;
    fake.failNext(FAST_RETRY.attempts, { status: 500, error: 'llama runner process has terminated: exit status 2' });
    const { summary, byRow } = await run(items, { hosts: [fake.url], concurrency: 1 });
    assert.deepEqual([summary.scored, summary.failed], [3, 1]);
    const failure = byRow.get(0)!;
    assert.equal(failure.failed, true);
    if (failure.failed) {
      assert.equal(failure.reason, `Ollama at ${fake.url} failed: llama runner process has terminated: exit status 2 (HTTP 500) (after 4 attempts). Check the Ollama server log.`);
      assert.equal(failure.host, fake.url);
      assert.equal(failure.textHash, items[0].textHash);
    }
    assert.equal(fake.inferenceRequests().length - before, FAST_RETRY.attempts + 3);
  });

  test('a 400 for one row is not retried: that row fails, the others are scored', async () => {
    const before = fake.inferenceRequests().length;
    fake.failNext(1, { status: 400, error: 'invalid message content' });
    const { summary, byRow } = await run(realScoreItems(3, 15), { hosts: [fake.url], concurrency: 1 });
    assert.deepEqual([summary.scored, summary.failed], [2, 1]);
    const r = byRow.get(0)!;
    assert.ok(r.failed && r.reason === `Ollama at ${fake.url} rejected the request: invalid message content (HTTP 400).`);
    assert.equal(fake.inferenceRequests().length - before, 3);
  });

  test('a model removed mid-run (404) stops the run at once with `ollama pull`; results so far were delivered', async () => {
    const gone = await startFakeOllama();
    try {
      const results: AskLlmResult[] = [];
      const pending = scoreRows(realScoreItems(30, 16), { hosts: [gone.url], model: JUDGE, concurrency: 1, retry: FAST_RETRY, onResult: (r) => {
        results.push(r);
        if (results.length === 5) gone.models.delete(JUDGE);
      } });
      await assert.rejects(pending, (err: unknown) => err instanceof UserError && err.message === `Model "${JUDGE}" is not installed on Ollama at ${gone.url}. Install it with \`ollama pull ${JUDGE}\`.`);
      assert.equal(results.length, 5);
      assert.equal(gone.inferenceRequests().filter((r) => r.status === 404).length, 1);
    } finally {
      await gone.stop();
    }
  });

  test('preflight failures: missing model, embedding model as judge, old server, nothing listening', async () => {
    const items = realScoreItems(2, 17);
    await assert.rejects(run(items, { hosts: [fake.url], model: 'llama3.2:3b' }), /ollama pull llama3.2:3b/);
    await assert.rejects(run(items, { hosts: [fake.url], model: 'nomic-embed-text' }), /cannot be the Ask-LLM judge: it is an embedding model/);
    const old = await startFakeOllama({ version: '0.12.10' });
    try {
      await assert.rejects(run(items, { hosts: [old.url] }), /version 0\.12\.10, which returns no log-probabilities; Ask-LLM needs Ollama 0\.12\.11 or newer\. Upgrade Ollama/);
      // told to skip preflight, the run still refuses to invent scores from an answer without log-probs
      const hostInfo = [{ host: old.url, version: '0.12.10', model: JUDGE, digest: 'd'.repeat(64), capabilities: ['completion'], contextLength: 32768 }];
      await assert.rejects(run(items, { hosts: [old.url], hostInfo }), /answered without log-probabilities/);
    } finally {
      await old.stop();
    }
    const dead = `http://127.0.0.1:${await closedPort()}`;
    await assert.rejects(run(items, { hosts: [dead] }), { message: `Cannot reach Ollama at ${dead}: connection refused. Start it with \`ollama serve\`, or check the host address and port.` });
    assert.equal(fake.inferenceRequests().filter((r) => r.body?.model === 'llama3.2:3b' || r.body?.model === 'nomic-embed-text').length, 0);
  });

  test('a server that goes away mid-run stops the run with the "ollama serve" message after retries', async () => {
    const crashing = await startFakeOllama();
    const results: AskLlmResult[] = [];
    const pending = scoreRows(realScoreItems(40, 18), { hosts: [crashing.url], model: JUDGE, concurrency: 2, retry: FAST_RETRY, onResult: (r) => {
      results.push(r);
      if (results.length === 6) void crashing.stop();
    } });
    await assert.rejects(pending, /Cannot reach Ollama at .*: connection refused \(after 4 attempts\)\. Start it with `ollama serve`/);
    assert.ok(results.length >= 6 && results.length < 40);
    assert.ok(results.every((r) => !r.failed));
  });

  test('cancel aborts the requests in flight at once; nothing is delivered after it', { timeout: 20_000 }, async () => {
    // Rows after the first four take a minute each: only an abort ends this run quickly.
    const items = realScoreItems(20, 19);
    const slowTexts = new Set(items.slice(4).map((i) => i.text));
    const slow = await startFakeOllama({ latencyMs: (_path, body) => ([...slowTexts].some((t) => body.messages[0].content.includes(t)) ? 60_000 : 0) });
    try {
      const controller = new AbortController();
      const results: AskLlmResult[] = [];
      let afterCancel = 0;
      const pending = scoreRows(items, { hosts: [slow.url], model: JUDGE, concurrency: 4, signal: controller.signal, onResult: (r) => {
        if (controller.signal.aborted) afterCancel++;
        results.push(r);
      } });
      await waitFor(() => results.length === 4 && slow.inferenceRequests().filter((r) => !r.finishedAt).length === 4, 'four slow requests in flight');
      controller.abort();
      const summary = await pending;
      assert.deepEqual([summary.scored, summary.failed, summary.cancelled], [4, 0, true]);
      await waitFor(() => slow.inferenceRequests().filter((r) => r.aborted).length === 4, 'the server to see four aborted connections');
      assert.equal(slow.inferenceRequests().length, 8);
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(afterCancel, 0);
      assert.equal(results.length, 4);
    } finally {
      await slow.stop();
    }
  });

  test('the server never sees more requests in flight than the concurrency', async () => {
    const paced = await startFakeOllama({ latencyMs: 15 });
    try {
      const { summary } = await run(realScoreItems(40, 20), { hosts: [paced.url], concurrency: 5 });
      assert.equal(summary.scored, 40);
      assert.equal(paced.maxInFlight, 5);
      assert.ok(paced.inferenceRequests().every((r) => r.inFlight <= 5));
    } finally {
      await paced.stop();
    }
  });

  test('two hosts share the work', async () => {
    const a = await startFakeOllama({ latencyMs: 10 });
    const b = await startFakeOllama({ latencyMs: 10 });
    try {
      const { summary, results } = await run(realScoreItems(30, 21), { hosts: [a.url, b.url], concurrency: 4 });
      assert.equal(summary.scored, 30);
      const onA = a.inferenceRequests().length;
      const onB = b.inferenceRequests().length;
      assert.equal(onA + onB, 30);
      assert.ok(onA >= 10 && onB >= 10, `a=${onA} b=${onB}`);
      assert.equal(results.filter((r) => r.host === a.url).length, onA);
      // the two fakes hold the same weights (same digest), as preflight demands
      assert.equal(new Set(results.map((r) => r.modelDigest)).size, 1);
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  test('an error in the row source or in onResult stops the run with that error', async () => {
    async function* broken(): AsyncGenerator<ScoreItem> {
      yield* realScoreItems(3, 22);
      throw new UserError('shard.jsonl: line 4: unexpected end of file');
    }
    await assert.rejects(scoreRows(broken(), { hosts: [fake.url], model: JUDGE, onResult: () => undefined }), /line 4: unexpected end of file/);
    await assert.rejects(scoreRows(realScoreItems(5, 23), { hosts: [fake.url], model: JUDGE, onResult: () => { throw new Error('ENOSPC: no space left on device'); } }), /ENOSPC/);
  });
});
