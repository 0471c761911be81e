/** Real-text fixtures and statistics shared by the density and embedding tests. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { realDocuments, seededRandom } from '../../fixtures/corpus';
import type { ShardSource } from '../../../extension/core/shard/types';

/** A few random word edits (delete, insert a word of the text, swap two words). */
export function editWords(text: string, random: () => number, edits: number): string {
  const words = text.split(' ');
  for (let k = 0; k < edits; k++) {
    const i = Math.floor(random() * words.length);
    const op = random();
    if (op < 0.33) words.splice(i, 1);
    else if (op < 0.66) words.splice(i, 0, words[Math.floor(random() * words.length)]);
    else {
      const j = Math.floor(random() * words.length);
      [words[i], words[j]] = [words[j], words[i]];
    }
  }
  return words.join(' ');
}

/**
 * `diverse` real documents with `copies` near-duplicates of one real paragraph (4 word edits each)
 * spread through them. Returns the texts and which indexes are planted.
 */
export function plantedCorpus(diverse = 2000, copies = 50, seed = 11): { texts: string[]; planted: Set<number> } {
  const docs = realDocuments(diverse + 200, seed).map((d) => d.text);
  const base = docs.slice(diverse).find((d) => d.length > 800)!;
  const random = seededRandom(seed + 1);
  const items = docs.slice(0, diverse).map((text) => ({ text, planted: false }));
  for (let c = 0; c < copies; c++) {
    items.splice(Math.floor(random() * (items.length + 1)), 0, { text: editWords(base, random, 4), planted: true });
  }
  const texts = items.map((item) => item.text);
  const planted = new Set(items.flatMap((item, i) => (item.planted ? [i] : [])));
  return { texts, planted };
}

function ranks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const r = new Float64Array(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++;
    for (let k = i; k <= j; k++) r[order[k]] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}

export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  const mean = (n - 1) / 2;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (ra[i] - mean) * (rb[i] - mean);
    aa += (ra[i] - mean) ** 2;
    bb += (rb[i] - mean) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

export const TMP = join(__dirname, '..', '..', '.tmp', 'density');

/** Writes texts as a JSONL shard {"id", "text"} and returns its ShardSource. */
export function writeTextShard(name: string, texts: string[]): ShardSource {
  mkdirSync(TMP, { recursive: true });
  const path = join(TMP, name);
  writeFileSync(path, texts.map((text, i) => JSON.stringify({ id: i, text })).join('\n') + '\n');
  return { path, format: 'jsonl', textField: 'text' };
}
