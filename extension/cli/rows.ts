/**
 * Row lists on the command line, shared by score, density and mark: `1,5,10:20` is rows 1, 5 and
 * 10 to 19 (A:B is A inclusive to B exclusive, as in Python); `A:` runs to the end, `:B` from 0.
 */
import { UsageError, type CliCommand, type OptionSpecs } from './command';

/** Half-open ranges [start, end) in the order given; checked against the shard's row count. */
export function parseRowRanges(text: string, rowCount: number, option: string, command?: CliCommand<OptionSpecs>): Array<[number, number]> {
  const bad = (why: string) => new UsageError(`${option} "${text}": ${why}; write rows like 1,5,10:20 (10:20 is rows 10 to 19)`, command);
  if (text.trim() === '') throw bad('no rows given');
  const number = (part: string, fallback: number): number => {
    const trimmed = part.trim();
    if (trimmed === '') return fallback;
    if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(Number(trimmed))) throw bad(`"${trimmed}" is not a row number`);
    return Number(trimmed);
  };
  return text.split(',').map((item): [number, number] => {
    const colon = item.indexOf(':');
    if (item.trim() === '') throw bad('an empty item between commas');
    const [start, end] = colon < 0 ? [number(item, NaN), number(item, NaN) + 1] : [number(item.slice(0, colon), 0), number(item.slice(colon + 1), rowCount)];
    if (start >= end) throw bad(`${item.trim()} holds no rows (the end is exclusive)`);
    if (end > rowCount) throw bad(`the shard has ${rowCount.toLocaleString('en-US')} rows (0 to ${rowCount - 1})`);
    return [start, end];
  });
}

/** Every row of the ranges, in order (duplicates kept: callers de-duplicate where it matters). */
export function rowsOfRanges(ranges: Array<[number, number]>): Uint32Array {
  const total = ranges.reduce((sum, [start, end]) => sum + end - start, 0);
  const rows = new Uint32Array(total);
  let i = 0;
  for (const [start, end] of ranges) for (let row = start; row < end; row++) rows[i++] = row;
  return rows;
}
