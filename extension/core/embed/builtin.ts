/**
 * The built-in embedder: no server, no model file. A row's text becomes a bag of hashed word
 * unigrams and word bigrams with sublinear term weights (1 + ln tf), folded into `dim` signed
 * buckets (feature hashing) and L2-normalised.
 *
 * Bigrams weigh half as much as unigrams: measured on Brown/nlp-corpus documents with 5 random
 * word edits, full-weight bigrams pull near-duplicates down to cosine ~0.6 (an edit breaks two
 * bigrams but one unigram); at 0.5 near-duplicates stay >= 0.8 while unrelated documents stay at
 * ~0.02 mean. Character n-grams were not used: ~5x more features per row for no better separation
 * of word-level edits. Near-duplicate rows share most features and land
 * close together; unrelated rows share few and are nearly orthogonal.
 *
 * English function words are dropped before features are formed: without IDF (which needs a pass
 * over the whole shard) they are the features every document shares, and they alone would give
 * unrelated English documents a cosine of ~0.4.
 *
 * Speed matters (the density run embeds every row of a shard): the text is scanned once by char
 * code, hashing as it goes, with no per-token strings; per-row feature counts live in a reused
 * open-addressing table.
 */
import { throwIfAborted } from '../errors';
import type { Embedder } from './types';

export interface BuiltinEmbedderOptions {
  /** Vector dimension (default 256). */
  dim?: number;
  /** Weight of word-bigram features relative to unigrams (default 0.5; 0 = unigrams only). */
  bigramWeight?: number;
  /** Drop English function words (default true). */
  stopwords?: boolean;
}

export const BUILTIN_EMBEDDER_VERSION = 1;

/** Function words of English: shared by nearly every document, so they carry no topic. */
const STOPWORDS = (
  'a about above after again against all am an and any are as at be because been before being below between both but by ' +
  'can could did do does doing down during each few for from further had has have having he her here hers herself him ' +
  'himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other ' +
  'our ours ourselves out over own same she should so some such than that the their theirs them themselves then there ' +
  'these they this those through to too under until up very was we were what when where which while who whom why will ' +
  'with would you your yours yourself yourselves also may might must shall us one upon s t'
).split(' ');

// Per-code-unit tables for the Basic Multilingual Plane, built once: is it part of a word
// (Unicode letter, mark or digit), and its lower-case form when that is a single code unit.
const WORD_CHAR = new Uint8Array(65536);
const LOWER = new Uint16Array(65536);
{
  const wordChar = /^[\p{L}\p{M}\p{N}]$/u;
  for (let c = 0; c < 65536; c++) {
    LOWER[c] = c;
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const s = String.fromCharCode(c);
    if (wordChar.test(s)) WORD_CHAR[c] = 1;
    const lower = s.toLowerCase();
    if (lower.length === 1) LOWER[c] = lower.charCodeAt(0);
  }
}
const ASTRAL_WORD_CHAR = /^[\p{L}\p{M}\p{N}]$/u;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const UNIGRAM_SEED = 0x2545f491;
const BIGRAM_SEED = 0x5bd1e995;

/** murmur3's 32-bit finaliser: spreads FNV's weak low bits over the whole word. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** FNV-1a of a lower-cased word, exactly as the scanner computes it. */
function wordHash(word: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < word.length; i++) h = Math.imul(h ^ LOWER[word.charCodeAt(i)], FNV_PRIME);
  return h | 0;
}

/** A fixed set of 32-bit word hashes (open addressing; 0 marks an empty slot). */
class HashSet32 {
  private readonly slots: Int32Array;
  private readonly mask: number;
  constructor(values: number[]) {
    let size = 16;
    while (size < values.length * 4) size <<= 1;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (const v of values) {
      let i = fmix32(v) & this.mask;
      while (this.slots[i] !== 0 && this.slots[i] !== v) i = (i + 1) & this.mask;
      this.slots[i] = v;
    }
  }
  has(v: number): boolean {
    let i = fmix32(v) & this.mask;
    for (;;) {
      const s = this.slots[i];
      if (s === v) return v !== 0;
      if (s === 0) return false;
      i = (i + 1) & this.mask;
    }
  }
}
const STOPWORD_HASHES = new HashSet32(STOPWORDS.map(wordHash));

export class BuiltinEmbedder implements Embedder {
  readonly id: string;
  readonly dim: number;
  private readonly bigramWeight: number;
  private readonly stopwords: boolean;
  // Per-row feature counts, reused across rows: keys are feature hashes (0 = empty slot).
  private keys = new Int32Array(4096);
  private counts = new Int32Array(4096);
  private used = new Int32Array(4096);
  private usedCount = 0;

  constructor(options: BuiltinEmbedderOptions = {}) {
    this.dim = options.dim ?? 256;
    if (!Number.isInteger(this.dim) || this.dim < 8 || this.dim > 65536) throw new RangeError(`embedding dimension must be an integer in 8..65536, got ${this.dim}`);
    this.bigramWeight = options.bigramWeight ?? 0.5;
    if (!(this.bigramWeight >= 0)) throw new RangeError(`bigram weight must be >= 0, got ${this.bigramWeight}`);
    this.stopwords = options.stopwords ?? true;
    this.id = `builtin-v${BUILTIN_EMBEDDER_VERSION}-d${this.dim}-w${this.bigramWeight > 0 ? `-b${this.bigramWeight}` : ''}${this.stopwords ? '-sw' : ''}`;
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i++) {
      if ((i & 255) === 0) throwIfAborted(signal);
      const v = new Float32Array(this.dim);
      this.embedInto(texts[i], v, 0);
      out.push(v);
    }
    return out;
  }

  /** Writes the embedding of `text` into `out[offset .. offset+dim)` (overwriting it). */
  embedInto(text: string, out: Float32Array, offset: number): void {
    const dim = this.dim;
    out.fill(0, offset, offset + dim);
    this.countFeatures(text);
    const keys = this.keys;
    const counts = this.counts;
    const used = this.used;
    const bigramWeight = this.bigramWeight;
    let norm = 0;
    for (let u = 0; u < this.usedCount; u++) {
      const slot = used[u];
      const key = keys[slot];
      const tf = counts[slot];
      keys[slot] = 0;
      // Feature key bits: 0 = sign, 1 = bigram flag, 2.. = bucket (independent after fmix32).
      const weight = (tf === 1 ? 1 : 1 + Math.log(tf)) * ((key & 2) === 0 ? 1 : bigramWeight);
      out[offset + ((key >>> 2) % dim)] += (key & 1) === 0 ? weight : -weight;
    }
    this.usedCount = 0;
    for (let i = offset; i < offset + dim; i++) norm += out[i] * out[i];
    if (norm > 0) {
      const scale = 1 / Math.sqrt(norm);
      for (let i = offset; i < offset + dim; i++) out[i] *= scale;
    }
  }

  /** Scans `text` once and fills the feature table with unigram and bigram counts. */
  private countFeatures(text: string): void {
    // At most one word per two code units (word + separator), two features per word.
    const needed = text.length + 16;
    if (needed * 2 > this.keys.length) this.grow(needed * 2);
    const stop = this.stopwords ? STOPWORD_HASHES : undefined;
    const bigrams = this.bigramWeight > 0;
    let h = FNV_OFFSET;
    let inWord = false;
    let prev = 0;
    let hasPrev = false;
    const n = text.length;
    for (let i = 0; i <= n; i++) {
      let c = i < n ? text.charCodeAt(i) : 32;
      let isWord: boolean;
      if (c < 128) {
        if (c >= 65 && c <= 90) {
          c |= 32;
          isWord = true;
        } else isWord = (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
      } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
        const low = text.charCodeAt(i + 1);
        isWord = low >= 0xdc00 && low <= 0xdfff && ASTRAL_WORD_CHAR.test(text.slice(i, i + 2));
        if (isWord) {
          h = Math.imul(Math.imul(h ^ c, FNV_PRIME) ^ low, FNV_PRIME);
          inWord = true;
          i++;
          continue;
        }
      } else {
        isWord = WORD_CHAR[c] === 1;
        c = LOWER[c];
      }
      if (isWord) {
        h = Math.imul(h ^ c, FNV_PRIME);
        inWord = true;
      } else if (inWord) {
        h |= 0;
        if (stop === undefined || !stop.has(h)) {
          this.add(fmix32(h ^ UNIGRAM_SEED) & ~2);
          if (bigrams && hasPrev) this.add(fmix32((Math.imul(prev, 0x9e3779b1) + h) ^ BIGRAM_SEED) | 2);
          prev = h;
          hasPrev = true;
        }
        h = FNV_OFFSET;
        inWord = false;
      }
    }
  }

  private add(key: number): void {
    if (key === 0) key = 4;
    const keys = this.keys;
    const mask = keys.length - 1;
    let slot = key & mask;
    for (;;) {
      const k = keys[slot];
      if (k === key) {
        this.counts[slot]++;
        return;
      }
      if (k === 0) {
        keys[slot] = key;
        this.counts[slot] = 1;
        this.used[this.usedCount++] = slot;
        return;
      }
      slot = (slot + 1) & mask;
    }
  }

  private grow(minSize: number): void {
    let size = this.keys.length;
    while (size < minSize) size <<= 1;
    this.keys = new Int32Array(size);
    this.counts = new Int32Array(size);
    this.used = new Int32Array(size);
  }
}
