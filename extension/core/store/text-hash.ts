/**
 * Fingerprints that key the annotation store: the text hash of a row (so results computed for an
 * older version of the row's text are never shown) and the SHA-256 of a prompt template.
 *
 * textHash = the first 64 bits of SHA-256 over the UTF-8 bytes of the row's text, as 16 lowercase hex
 * digits. Anyone can recompute it: `hashlib.sha256(text.encode()).hexdigest()[:16]`. SHA-256 (not a
 * faster non-cryptographic hash) because it costs ~2 µs per 1 KB row, a fraction of reading and
 * parsing that row, and it is the same hash family as the prompt fingerprint.
 */
import { hash } from 'node:crypto';
import type { TextItem } from '../shard/types';
import { CancelledError, ShardError } from '../errors';

export function textHash(text: string): string {
  return hash('sha256', text, 'hex').slice(0, 16);
}

/** sha256 (hex, 64 digits) of a prompt template: the prompt half of an Ask-LLM fingerprint. */
export function promptSha256(template: string): string {
  return hash('sha256', template, 'hex');
}

export const TEXT_HASH_PATTERN = /^[0-9a-f]{16}$/;

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Index of the high / low 32-bit word of 64-bit value i inside a Uint32Array view of a BigUint64Array. */
export const HI = littleEndian ? 1 : 0;
export const LO = littleEndian ? 0 : 1;

/** Writes a 16-hex-digit hash into slot `index` of a Uint32Array view (2 words per hash). */
export function putHexHash(words: Uint32Array, index: number, hex: string): void {
  words[2 * index + HI] = parseInt(hex.slice(0, 8), 16);
  words[2 * index + LO] = parseInt(hex.slice(8, 16), 16);
}

/** Writes textHash(text) into slot `index` of a Uint32Array view, without the hex detour. */
export function putTextHash(words: Uint32Array, index: number, text: string): void {
  const digest = hash('sha256', text, 'buffer');
  words[2 * index + HI] = digest.readUInt32BE(0);
  words[2 * index + LO] = digest.readUInt32BE(4);
}

export function hexHashAt(words: Uint32Array, index: number): string {
  return words[2 * index + HI].toString(16).padStart(8, '0') + words[2 * index + LO].toString(16).padStart(8, '0');
}

/**
 * The current text hash of every row of a shard: one 64-bit value per row in a BigUint64Array
 * (transferable between threads, and the column type of the density side files), compared through
 * a Uint32Array view of the same memory so that no BigInt is created per row.
 */
export class RowTextHashes {
  readonly words: Uint32Array;

  constructor(readonly values: BigUint64Array) {
    this.words = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
  }

  static fromTexts(texts: Iterable<string>): RowTextHashes {
    const list = [...texts];
    const hashes = new RowTextHashes(new BigUint64Array(list.length));
    list.forEach((text, row) => putHexHash(hashes.words, row, textHash(text)));
    return hashes;
  }

  get rowCount(): number {
    return this.values.length;
  }

  hex(row: number): string {
    return hexHashAt(this.words, row);
  }

  /** True when `row` exists and its current hash equals slot `index` of `words`. */
  matches(row: number, words: Uint32Array, index: number): boolean {
    return row < this.values.length && this.words[2 * row] === words[2 * index] && this.words[2 * row + 1] === words[2 * index + 1];
  }
}

export interface HashProgress {
  done: number;
  total: number;
}

/**
 * Hashes the texts of rows [start, end) as they stream by; slot i of the result is row start + i.
 * Progress is reported about every 2,000 rows; the signal stops the pass with CancelledError.
 */
export async function hashTexts(
  items: AsyncIterable<TextItem> | Iterable<TextItem>,
  start: number,
  end: number,
  options: { signal?: AbortSignal; onProgress?: (progress: HashProgress) => void; file?: string } = {},
): Promise<BigUint64Array> {
  const values = new BigUint64Array(end - start);
  const words = new Uint32Array(values.buffer);
  const total = end - start;
  let done = 0;
  for await (const item of items) {
    if (options.signal?.aborted) throw new CancelledError();
    if (item.row < start || item.row >= end) continue;
    putTextHash(words, item.row - start, item.text);
    done++;
    if (done % 2000 === 0) options.onProgress?.({ done, total });
  }
  if (done !== total) {
    throw new ShardError(options.file ?? 'shard', `expected ${total} rows from row ${start} but read ${done}; the file changed on disk since it was opened. Reopen it.`);
  }
  options.onProgress?.({ done, total });
  return values;
}
