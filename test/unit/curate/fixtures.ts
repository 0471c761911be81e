/**
 * Real-ish per-row scores for the curate tests, derived from real text (test/fixtures/corpus.ts):
 * P(yes) grows with a document's length and share of letters, and density is the number of documents
 * in the same (source, length band), so long tails of rare documents and dense clusters both occur.
 */
import { realDocuments } from '../../fixtures/corpus';

export interface RealScores {
  texts: string[];
  askllm: Float64Array;
  density: Float64Array;
  chars: Uint32Array;
}

export function realScores(count: number): RealScores {
  const docs = realDocuments(count, 3);
  const texts = docs.map((d) => d.text);
  const askllm = new Float64Array(count);
  const density = new Float64Array(count);
  const chars = Uint32Array.from(texts, (t) => t.length);
  const groups = new Map<string, number[]>();
  docs.forEach((doc, row) => {
    const letters = (doc.text.match(/[A-Za-z]/g) ?? []).length / Math.max(1, doc.text.length);
    askllm[row] = 1 / (1 + Math.exp(-(Math.log(doc.text.length) - 6 + 4 * (letters - 0.75))));
    const key = `${doc.source}:${Math.round(Math.log2(doc.text.length + 1) * 2)}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  });
  for (const rows of groups.values()) for (const row of rows) density[row] = rows.length;
  return { texts, askllm, density, chars };
}

export function keptRows(keep: Uint8Array): number[] {
  const rows: number[] = [];
  keep.forEach((k, row) => {
    if (k) rows.push(row);
  });
  return rows;
}
