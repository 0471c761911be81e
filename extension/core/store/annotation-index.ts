/**
 * The annotation journal folded into typed arrays (one slot per row), so that queries over millions
 * of rows are array scans. Every slot remembers the text hash its value was computed for; a query
 * takes the rows' current hashes and hides any value whose hash differs (stale).
 */
import { putHexHash, type RowTextHashes } from './text-hash';
import type { AskllmFailedRecord, AskllmRecord, OverrideRecord } from './records';

/** Rows grow the arrays by doubling; start small so a store with a few annotations stays small. */
const INITIAL_CAPACITY = 1024;

function capacityFor(row: number, current: number): number {
  let capacity = Math.max(current, INITIAL_CAPACITY);
  while (capacity <= row) capacity *= 2;
  return capacity;
}

/** Per-row text hashes (2 words per row) that grow with the highest row seen. */
class HashSlots {
  hashes = new BigUint64Array(0);
  words = new Uint32Array(0);

  protected grow(capacity: number): void {
    const hashes = new BigUint64Array(capacity);
    hashes.set(this.hashes);
    this.hashes = hashes;
    this.words = new Uint32Array(hashes.buffer);
  }

  isCurrent(row: number, current: RowTextHashes): boolean {
    return current.matches(row, this.words, row);
  }
}

export interface AskllmFingerprint {
  model: string;
  promptSha256: string;
}

export function fingerprintKey(fingerprint: AskllmFingerprint): string {
  return `${fingerprint.model}\u0000${fingerprint.promptSha256}`;
}

const scratch = new Uint32Array(2);

const SCORED = 1;
const OFF_FORMAT = 2;
const TRUNCATED = 4;
const FAILED = 8;

export interface AskllmSlot {
  pYes: number;
  pNo: number;
  offFormat: boolean;
  truncated: boolean;
}

/** Ask-LLM results of one model + prompt fingerprint. */
export class AskllmScores extends HashSlots {
  pYes = new Float64Array(0);
  pNo = new Float64Array(0);
  flags = new Uint8Array(0);
  /** Failure reasons of rows whose latest attempt failed. */
  readonly failures = new Map<number, string>();

  constructor(readonly fingerprint: AskllmFingerprint) {
    super();
  }

  protected override grow(capacity: number): void {
    super.grow(capacity);
    const pYes = new Float64Array(capacity).fill(NaN);
    pYes.set(this.pYes);
    const pNo = new Float64Array(capacity).fill(NaN);
    pNo.set(this.pNo);
    const flags = new Uint8Array(capacity);
    flags.set(this.flags);
    this.pYes = pYes;
    this.pNo = pNo;
    this.flags = flags;
  }

  applyResult(record: AskllmRecord): void {
    const { row } = record;
    if (row >= this.pYes.length) this.grow(capacityFor(row, this.pYes.length));
    putHexHash(this.words, row, record.textHash);
    this.pYes[row] = record.pYes;
    this.pNo[row] = record.pNo;
    this.flags[row] = SCORED | (record.offFormat ? OFF_FORMAT : 0) | (record.truncated ? TRUNCATED : 0);
    this.failures.delete(row);
  }

  /** A failure never hides a success for the same text: that score is still valid. */
  applyFailure(record: AskllmFailedRecord): void {
    const { row } = record;
    if (row >= this.pYes.length) this.grow(capacityFor(row, this.pYes.length));
    putHexHash(scratch, 0, record.textHash);
    if (this.flags[row] & SCORED && this.words[2 * row] === scratch[0] && this.words[2 * row + 1] === scratch[1]) return;
    this.words[2 * row] = scratch[0];
    this.words[2 * row + 1] = scratch[1];
    this.pYes[row] = NaN;
    this.pNo[row] = NaN;
    this.flags[row] = FAILED;
    this.failures.set(row, record.reason);
  }

  scoreAt(row: number, current: RowTextHashes): AskllmSlot | undefined {
    if (row >= this.flags.length || !(this.flags[row] & SCORED) || !this.isCurrent(row, current)) return undefined;
    const flags = this.flags[row];
    return { pYes: this.pYes[row], pNo: this.pNo[row], offFormat: (flags & OFF_FORMAT) !== 0, truncated: (flags & TRUNCATED) !== 0 };
  }

  failureAt(row: number, current: RowTextHashes): string | undefined {
    if (row >= this.flags.length || !(this.flags[row] & FAILED) || !this.isCurrent(row, current)) return undefined;
    return this.failures.get(row);
  }

  /** P(yes) per current row, NaN where there is no result for the row's current text. */
  scores(current: RowTextHashes): Float64Array {
    const out = new Float64Array(current.rowCount).fill(NaN);
    const n = Math.min(out.length, this.flags.length);
    for (let row = 0; row < n; row++) if (this.flags[row] & SCORED && this.isCurrent(row, current)) out[row] = this.pYes[row];
    return out;
  }

  /** 1 for each row that has a result for its current text (a resumed run skips these). */
  scoredMask(current: RowTextHashes): Uint8Array {
    const out = new Uint8Array(current.rowCount);
    const n = Math.min(out.length, this.flags.length);
    for (let row = 0; row < n; row++) if (this.flags[row] & SCORED && this.isCurrent(row, current)) out[row] = 1;
    return out;
  }

  /** Rows with any result or failure, ignoring staleness (what the journal holds). */
  counts(current?: RowTextHashes): { scored: number; failed: number } {
    let scored = 0;
    let failed = 0;
    for (let row = 0; row < this.flags.length; row++) {
      const flags = this.flags[row];
      if (flags === 0 || (current && !this.isCurrent(row, current))) continue;
      if (flags & SCORED) scored++;
      else if (flags & FAILED) failed++;
    }
    return { scored, failed };
  }
}

/** Manual keep/drop decisions: 1 keep, -1 drop, 0 none. */
export class OverrideSlots extends HashSlots {
  decisions = new Int8Array(0);

  protected override grow(capacity: number): void {
    super.grow(capacity);
    const decisions = new Int8Array(capacity);
    decisions.set(this.decisions);
    this.decisions = decisions;
  }

  apply(record: OverrideRecord): void {
    const value = record.decision === 'keep' ? 1 : record.decision === 'drop' ? -1 : 0;
    for (let i = 0; i < record.rows.length; i++) {
      const row = record.rows[i];
      if (row >= this.decisions.length) this.grow(capacityFor(row, this.decisions.length));
      putHexHash(this.words, row, record.textHashes[i]);
      this.decisions[row] = value;
    }
  }

  at(row: number, current: RowTextHashes): 'keep' | 'drop' | null {
    if (row >= this.decisions.length || this.decisions[row] === 0 || !this.isCurrent(row, current)) return null;
    return this.decisions[row] === 1 ? 'keep' : 'drop';
  }

  all(current: RowTextHashes): Int8Array {
    const out = new Int8Array(current.rowCount);
    const n = Math.min(out.length, this.decisions.length);
    for (let row = 0; row < n; row++) if (this.decisions[row] !== 0 && this.isCurrent(row, current)) out[row] = this.decisions[row];
    return out;
  }
}
