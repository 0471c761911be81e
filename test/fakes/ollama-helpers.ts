/** Small helpers for tests that drive the fake Ollama server with real text. */
import { createHash } from 'node:crypto';
import { realDocuments } from '../fixtures/corpus';
import type { ScoreItem } from '../../extension/core/askllm/run';

/** Fast back-off for tests: the same retry logic, milliseconds instead of seconds. */
export const FAST_RETRY = { attempts: 4, baseDelayMs: 2, maxDelayMs: 10 };

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** `count` rows of real text (Brown corpus / nlp-corpus) as the scoring run takes them. */
export function realScoreItems(count: number, seed = 3): ScoreItem[] {
  return realDocuments(count, seed).map((doc, row) => ({ row, text: doc.text, textHash: sha256(doc.text) }));
}

/** Resolves once `condition()` holds; rejects after `timeoutMs` with `what` (so a broken test fails, not hangs). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
