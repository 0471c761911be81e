/**
 * Arrow cells as JSON-safe values: 64-bit integers become numbers when exact, else decimal strings;
 * dates and timestamps become ISO strings at the column's full precision; binary becomes base64;
 * lists, structs and maps become JSON arrays and objects; nulls anywhere become null.
 */
import { DataType, DateUnit, MapRow, StructRow, TimeUnit, Vector, type Timestamp } from 'apache-arrow';
import type { JsonValue } from './types';

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The value at `index` of `vector`, typed by the vector's Arrow type. */
export function cellValue(vector: Vector, index: number): JsonValue {
  if (!vector.isValid(index)) return null;
  const type = vector.type;
  if (DataType.isStruct(type)) {
    const out: { [key: string]: JsonValue } = {};
    type.children.forEach((field, k) => { out[field.name] = cellValue(vector.getChildAt(k)!, index); });
    return out;
  }
  if (DataType.isTimestamp(type)) return timestampIso(vector, index, type);
  const value: unknown = vector.get(index);
  if (DataType.isList(type) || DataType.isLargeList(type) || DataType.isFixedSizeList(type)) {
    const items = value as Vector;
    return Array.from({ length: items.length }, (_, j) => cellValue(items, j));
  }
  if (DataType.isDate(type)) {
    const date = new Date(value as number);
    if (Number.isNaN(date.getTime())) return String(value);
    return type.unit === DateUnit.DAY ? date.toISOString().slice(0, 10) : date.toISOString();
  }
  if (DataType.isDecimal(type)) return scaledDecimal(String(value), type.scale);
  return jsonOf(value);
}

/** Any value apache-arrow's getters return, converted by its runtime shape (used where the type adds nothing). */
export function jsonOf(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : value.toString();
  }
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (value instanceof Vector) return Array.from({ length: value.length }, (_, j) => cellValue(value, j));
  if (value instanceof MapRow) {
    const out: { [key: string]: JsonValue } = {};
    for (const [key, item] of value as Iterable<[unknown, unknown]>) {
      const json = jsonOf(key);
      out[typeof json === 'string' ? json : JSON.stringify(json)] = jsonOf(item);
    }
    return out;
  }
  if (value instanceof StructRow) {
    return Object.fromEntries(Object.entries(value.toJSON() as object).map(([key, item]) => [key, jsonOf(item)]));
  }
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<unknown>, jsonOf);
  if (Array.isArray(value)) return value.map(jsonOf);
  return String(value);
}

const TICKS_PER_SECOND: Record<TimeUnit, bigint> = {
  [TimeUnit.SECOND]: 1n,
  [TimeUnit.MILLISECOND]: 1_000n,
  [TimeUnit.MICROSECOND]: 1_000_000n,
  [TimeUnit.NANOSECOND]: 1_000_000_000n,
};

/**
 * ISO 8601 at the column's precision (apache-arrow's getter rounds to float milliseconds).
 * Timestamps with a time zone are instants (`Z`); without one they are wall-clock times (no `Z`).
 */
function timestampIso(vector: Vector, index: number, type: Timestamp): string {
  const ticks = rawInt64(vector, index);
  const perSecond = TICKS_PER_SECOND[type.unit];
  let seconds = ticks / perSecond;
  let fraction = ticks % perSecond;
  if (fraction < 0n) {
    seconds -= 1n;
    fraction += perSecond;
  }
  const date = new Date(Number(seconds) * 1000);
  if (Number.isNaN(date.getTime())) return ticks.toString();
  const digits = String(perSecond).length - 1;
  const iso = date.toISOString().slice(0, 19) + (digits > 0 ? `.${String(fraction).padStart(digits, '0')}` : '');
  return type.timezone ? `${iso}Z` : iso;
}

/** The stored 64-bit value at `index`, across the vector's chunks. */
function rawInt64(vector: Vector, index: number): bigint {
  let i = index;
  for (const data of vector.data) {
    if (i < data.length) return BigInt(data.values[data.offset + i]);
    i -= data.length;
  }
  throw new RangeError(`row ${index} is outside a vector of ${vector.length} values`);
}

/** "12345" with scale 2 -> "123.45"; negative scales append zeros. */
function scaledDecimal(unscaled: string, scale: number): string {
  const negative = unscaled.startsWith('-');
  const digits = negative ? unscaled.slice(1) : unscaled;
  let out: string;
  if (scale <= 0) out = digits + '0'.repeat(-scale);
  else {
    const padded = digits.padStart(scale + 1, '0');
    out = `${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
  }
  return negative ? `-${out}` : out;
}
