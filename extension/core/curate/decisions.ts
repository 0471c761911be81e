/**
 * Decisions: the sampler's verdict per row, then the manual override on top. Overrides travel as an
 * Int8Array with one byte per row (10 MB for 10M rows, read in one tight loop).
 *
 * Without a sampler, rows without an override are undecided. Export asks for a sampler first
 * (requireDecided); `random:1.0` keeps every row that no override drops.
 */
import { UserError } from '../errors';

export type Override = 'keep' | 'drop';

/** Values of an overrides array. */
export const OVERRIDE = { none: 0, keep: 1, drop: -1 } as const;
/** Values of Decisions.decision. */
export const DECISION = { drop: 0, keep: 1, undecided: 2 } as const;
/** Values of Decisions.source. */
export const SOURCE = { none: 0, sampler: 1, override: 2 } as const;

export interface Decisions {
  /** DECISION.keep, DECISION.drop or DECISION.undecided per row. */
  decision: Uint8Array;
  /** Where each row's decision came from: SOURCE.sampler, SOURCE.override or SOURCE.none (undecided). */
  source: Uint8Array;
  kept: number;
  dropped: number;
  undecided: number;
  keepOverrides: number;
  dropOverrides: number;
  /** Overrides that differ from the sampler's verdict (0 without a sampler). */
  overridesChangingVerdict: number;
}

const numberFormat = new Intl.NumberFormat('en-US');

/** An overrides array from (row, override) pairs, e.g. the store's Map; later pairs win. */
export function overridesFrom(rowCount: number, entries: Iterable<readonly [number, Override]>): Int8Array {
  const overrides = new Int8Array(rowCount);
  for (const [row, override] of entries) {
    if (!(Number.isInteger(row) && row >= 0 && row < rowCount)) {
      throw new UserError(`an override names row ${row}, but the shard has ${numberFormat.format(rowCount)} rows (0 to ${rowCount - 1})`);
    }
    overrides[row] = override === 'keep' ? OVERRIDE.keep : OVERRIDE.drop;
  }
  return overrides;
}

/** Decision per row: the sampler's verdict (`samplerKeep`, 1 = keep) with the overrides on top. */
export function decide(rowCount: number, samplerKeep: Uint8Array | undefined, overrides: Int8Array | undefined): Decisions {
  if (samplerKeep && samplerKeep.length !== rowCount) throw new RangeError(`sampler verdict has ${samplerKeep.length} rows, the shard ${rowCount}`);
  if (overrides && overrides.length !== rowCount) throw new RangeError(`overrides have ${overrides.length} rows, the shard ${rowCount}`);
  const decision = new Uint8Array(rowCount);
  const source = new Uint8Array(rowCount);
  if (samplerKeep) {
    decision.set(samplerKeep);
    source.fill(SOURCE.sampler);
  } else {
    decision.fill(DECISION.undecided);
  }
  let keepOverrides = 0;
  let dropOverrides = 0;
  let overridesChangingVerdict = 0;
  if (overrides) {
    for (let row = 0; row < rowCount; row++) {
      const override = overrides[row];
      if (override === OVERRIDE.none) continue;
      const verdict = override === OVERRIDE.keep ? DECISION.keep : DECISION.drop;
      if (override === OVERRIDE.keep) keepOverrides++;
      else dropOverrides++;
      if (samplerKeep && decision[row] !== verdict) overridesChangingVerdict++;
      decision[row] = verdict;
      source[row] = SOURCE.override;
    }
  }
  let kept = 0;
  let dropped = 0;
  for (let row = 0; row < rowCount; row++) {
    const d = decision[row];
    if (d === DECISION.keep) kept++;
    else if (d === DECISION.drop) dropped++;
  }
  return { decision, source, kept, dropped, undecided: rowCount - kept - dropped, keepOverrides, dropOverrides, overridesChangingVerdict };
}

/** Export needs a decision for every row: without a sampler it stops and says what to do. */
export function requireDecided(decisions: Decisions): void {
  if (decisions.undecided === 0) return;
  const rows = decisions.decision.length;
  const overridden = decisions.keepOverrides + decisions.dropOverrides;
  throw new UserError(
    `no sampler is chosen, so ${numberFormat.format(decisions.undecided)} of ${numberFormat.format(rows)} rows have no decision ` +
      `(only the ${numberFormat.format(overridden)} rows with a manual override do). Choose a sampler first, ` +
      `e.g. "random:1.0" to keep every row that no override drops.`,
  );
}
