/**
 * Shared pieces of the export tests: a JSONL shard of real text with the awkward lines real files
 * have (a BOM, CRLF endings, invalid UTF-8, malformed and blank lines, no final newline), whose
 * rows' exact bytes are known; seeded keep masks; and a look at what a folder holds.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { decide, type Decisions } from '../../../extension/core/curate/decisions';
import { realDocuments, seededRandom } from '../../fixtures/corpus';

export function tempDir(name: string): { dir: string; cleanup: () => void } {
  const dir = resolve(__dirname, '..', '..', '.tmp', 'export', `${name}-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function files(dir: string): string[] {
  return readdirSync(dir).sort();
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface JsonlFixture {
  content: Buffer;
  /** Each row's bytes exactly as in the file (line ending included; no BOM). */
  rowBytes: Buffer[];
  rowValues: Array<Record<string, unknown>>;
  malformed: number;
}

/**
 * `count` rows of real documents, with: a UTF-8 BOM before the first line, CRLF endings on every
 * fifth row, a row whose text holds invalid UTF-8 bytes, a row padded with whitespace, malformed
 * and blank lines among the rows, and a last row without a newline.
 */
export function jsonlFixture(count: number, seed = 4): JsonlFixture {
  const docs = realDocuments(count, seed);
  const parts: Buffer[] = [Buffer.from([0xef, 0xbb, 0xbf])];
  const rowBytes: Buffer[] = [];
  const rowValues: Array<Record<string, unknown>> = [];
  let malformed = 0;
  docs.forEach((doc, i) => {
    const value = { id: doc.id, text: doc.text, source: doc.source, chars: doc.text.length };
    let body = Buffer.from(JSON.stringify(value));
    if (i === 3) {
      // Latin-1 bytes inside the text: invalid UTF-8, still a JSON string once decoded (as U+FFFD).
      body = Buffer.concat([Buffer.from(`{"id":"${doc.id}","text":"caf`), Buffer.from([0xe9, 0xff]), Buffer.from(` ${doc.text.slice(0, 40).replace(/["\\]/g, '')}","source":"latin1","chars":3}`)]);
    }
    if (i === 4) body = Buffer.from(`  ${JSON.stringify(value).replace('","', '" , "')}\t `);
    const ending = i === count - 1 ? '' : i % 5 === 0 ? '\r\n' : '\n';
    const line = Buffer.concat([body, Buffer.from(ending)]);
    parts.push(line);
    rowBytes.push(line);
    rowValues.push(JSON.parse(body.toString('utf8')) as Record<string, unknown>);
    if (i % 97 === 10) {
      parts.push(Buffer.from('{"id": "cut", "text": "The jury said it did not\n'));
      malformed++;
    }
    if (i % 89 === 7) parts.push(Buffer.from('\n   \r\n'));
    if (i === 20) {
      parts.push(Buffer.from('[1, 2, 3]\r\n'));
      malformed++;
    }
  });
  return { content: Buffer.concat(parts), rowBytes, rowValues, malformed };
}

/** The kept rows' bytes, each ending in a newline. */
export function expectedJsonl(rowBytes: Buffer[], keep: (row: number) => boolean): Buffer {
  const out: Buffer[] = [];
  rowBytes.forEach((bytes, row) => {
    if (!keep(row)) return;
    out.push(bytes);
    if (bytes[bytes.length - 1] !== 0x0a) out.push(Buffer.from('\n'));
  });
  return Buffer.concat(out);
}

/** A seeded mask keeping about `fraction` of the rows. */
export function randomMask(rows: number, fraction: number, seed = 9): Uint8Array {
  const random = seededRandom(seed);
  return Uint8Array.from({ length: rows }, () => (random() < fraction ? 1 : 0));
}

export function decisionsOf(mask: Uint8Array, overrides?: Array<[number, 'keep' | 'drop']>): Decisions {
  let array: Int8Array | undefined;
  if (overrides) {
    array = new Int8Array(mask.length);
    for (const [row, override] of overrides) array[row] = override === 'keep' ? 1 : -1;
  }
  return decide(mask.length, mask, array);
}

/** Lines of a JSONL file (without their endings), dropping the empty string after the last newline. */
export function lines(content: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let nl = content.indexOf(10); nl >= 0; nl = content.indexOf(10, start)) {
    out.push(content.subarray(start, nl));
    start = nl + 1;
  }
  if (start < content.length) out.push(content.subarray(start));
  return out;
}
