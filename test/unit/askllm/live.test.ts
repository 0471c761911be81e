// Ask-LLM against a real Ollama server: runs only when OLLAMA_HOST is set and answers.
// OLLAMA_MODEL picks the judge (default qwen2.5:0.5b; it must be pulled on that server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scoreRows, type AskLlmResult } from '../../../extension/core/askllm/run';
import { parseHosts } from '../../../extension/core/ollama/client';
import { realScoreItems } from '../../fakes/ollama-helpers';

async function reachable(hosts: string[]): Promise<string | undefined> {
  for (const host of hosts) {
    try {
      const res = await fetch(`${host}/api/version`, { signal: AbortSignal.timeout(3000) });
      if (!res.ok) return `${host} answered HTTP ${res.status}`;
    } catch (err) {
      return `${host}: ${(err as Error).message}`;
    }
  }
  return undefined;
}

test('live Ollama: real-text rows get Ask-LLM scores in [0, 1]', { timeout: 300_000 }, async (t) => {
  if (!process.env.OLLAMA_HOST) {
    t.skip('OLLAMA_HOST not set / not reachable: set OLLAMA_HOST (and OLLAMA_MODEL) to run against a real server');
    return;
  }
  const hosts = parseHosts(process.env.OLLAMA_HOST);
  const problem = await reachable(hosts);
  if (problem) {
    t.skip(`OLLAMA_HOST not set / not reachable: ${problem}`);
    return;
  }
  const results: AskLlmResult[] = [];
  const summary = await scoreRows(realScoreItems(5, 41), {
    hosts,
    model: process.env.OLLAMA_MODEL ?? 'qwen2.5:0.5b',
    concurrency: 2,
    onResult: (r) => { results.push(r); },
  });
  assert.equal(summary.scored + summary.failed, 5);
  assert.equal(summary.failed, 0, results.filter((r) => r.failed).map((r) => (r.failed ? r.reason : '')).join('\n'));
  for (const r of results) {
    if (r.failed) continue;
    for (const p of [r.pYes, r.pNo]) assert.ok(Number.isFinite(p) && p >= 0 && p <= 1, `row ${r.row}: ${p}`);
    assert.ok(r.normalized === null || (r.normalized >= 0 && r.normalized <= 1));
    assert.match(r.modelDigest, /^[0-9a-f]{64}$/);
  }
});
