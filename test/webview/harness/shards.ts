/**
 * Shards for the webview harness, served by the fake host: a synthetic one of 10 million rows
 * (text generated from the row index, so nothing is held in memory) with rows carrying markup that
 * must be shown as text, and a small one of real English text from test/fixtures/corpus.ts.
 */
import type { JsonValue, MalformedLine, RowView, ShardInfo } from '../../../extension/protocol';
import { realDocuments } from '../../fixtures/corpus';

export interface FakeShard {
  info: ShardInfo;
  row(index: number): RowView;
  malformed: MalformedLine[];
  /** Switch the text field (real hosts re-read the rows); returns false for an unknown column. */
  setTextField?(field: string): boolean;
}

export const SYNTHETIC_ROWS = 10_000_000;
/** Row indices of the rows whose text is markup. */
export const XSS_IMG_ROW = 2;
export const XSS_SCRIPT_ROW = 3;
export const XSS_IMG_TEXT = '<img src=x onerror="window.__xss=1">';
export const XSS_SCRIPT_TEXT = '</script><script>window.__xss=2</script>';

const WORDS = ['shard', 'token', 'corpus', 'model', 'document', 'quality', 'sample', 'filter', 'dedup', 'web', 'crawl', 'language', 'score', 'density', 'english', 'curation'];

/** Deterministic text for row `i`: "row <i+1>:" followed by words picked by an integer hash of i. */
export function syntheticText(i: number): string {
  if (i === XSS_IMG_ROW) return XSS_IMG_TEXT;
  if (i === XSS_SCRIPT_ROW) return XSS_SCRIPT_TEXT;
  let h = (i * 2654435761) >>> 0;
  const words: string[] = [];
  const n = 6 + (h % 18);
  for (let k = 0; k < n; k++) {
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
    words.push(WORDS[h % WORDS.length]);
  }
  return `row ${i + 1}: ${words.join(' ')}${i % 10 === 7 ? '\n\n  indented second paragraph' : ''}`;
}

export function syntheticShard(rowCount = SYNTHETIC_ROWS): FakeShard {
  return {
    info: {
      fileName: 'synthetic-10m.jsonl',
      format: 'jsonl',
      bytes: rowCount * 180,
      rowCount,
      indexed: true,
      columns: [
        { name: 'id', type: 'string' },
        { name: 'text', type: 'string' },
        { name: 'lang', type: 'string' },
        { name: 'n', type: 'number' },
        { name: 'meta', type: 'object' },
      ],
      textField: 'text',
      malformedCount: 3,
    },
    row: (i) => ({
      row: i,
      text: syntheticText(i),
      fields: { id: `syn-${i}`, lang: i % 5 === 0 ? 'de' : 'en', n: i % 97, meta: { bucket: i % 7, tags: ['a', `t${i % 3}`], nested: { ok: i % 2 === 0 } } },
    }),
    malformed: [
      { line: 18, error: 'Unexpected token } in JSON at position 17' },
      { line: 4_200_001, error: 'not a JSON object (array)' },
      { line: 9_999_999, error: 'Unterminated string in JSON at position 64' },
    ],
  };
}

/** `count` real documents (Brown corpus / nlp-corpus) as JSONL rows {id, text, source, chars}. */
export function corpusShard(count = 500): FakeShard {
  const docs = realDocuments(count, 3);
  let textField = 'text';
  const fieldsOf = (i: number): Record<string, JsonValue> => ({ id: docs[i].id, text: docs[i].text, source: docs[i].source, chars: docs[i].text.length });
  const shard: FakeShard = {
    info: {
      fileName: 'corpus.jsonl',
      format: 'jsonl',
      bytes: docs.reduce((n, d) => n + Buffer.byteLength(JSON.stringify(d)) + 12, 0),
      rowCount: docs.length,
      indexed: true,
      columns: [
        { name: 'id', type: 'string' },
        { name: 'text', type: 'string' },
        { name: 'source', type: 'string' },
        { name: 'chars', type: 'number' },
      ],
      textField,
      malformedCount: 0,
    },
    row: (i) => {
      const { [textField]: text, ...fields } = fieldsOf(i);
      return { row: i, text: typeof text === 'string' ? text : JSON.stringify(text), fields };
    },
    malformed: [],
    setTextField: (field) => {
      if (!shard.info.columns.some((c) => c.name === field)) return false;
      textField = field;
      shard.info = { ...shard.info, textField: field };
      return true;
    },
  };
  return shard;
}
