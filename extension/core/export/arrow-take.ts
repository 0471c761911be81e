/**
 * Copies chosen row ranges of Arrow data into new, contiguous data of the same type: the values'
 * bytes unchanged, dictionaries shared (not re-encoded), nulls kept. Export uses it when the kept
 * rows of a record batch are scattered; a single run is a zero-copy slice instead. Writing each run
 * as its own record batch would turn a random 30% sample into hundreds of thousands of tiny batches.
 *
 * apache-arrow conventions followed here: `values`, `valueOffsets` and `typeIds` are already sliced
 * (element i of the data is at index i), validity bitmaps and boolean values are not (bit
 * `offset + i`); struct and fixed-size-list children are sliced along, list children are not.
 */
import { Data, DataType, Type, type Field, type FixedSizeList } from 'apache-arrow';
import { UserError } from '../errors';

/** Row ranges as flat pairs [start0, end0, start1, end1, ...], ascending, relative to the data. */
export type Ranges = number[];

function rangesLength(ranges: Ranges): number {
  let length = 0;
  for (let i = 0; i < ranges.length; i += 2) length += ranges[i + 1] - ranges[i];
  return length;
}

/** Bits [offset + start, offset + end) of each range, packed; returns the bitmap and its count of 0 bits. */
function takeBits(bits: Uint8Array, offset: number, ranges: Ranges, length: number): { bitmap: Uint8Array; zeros: number } {
  const bitmap = new Uint8Array((length + 7) >> 3);
  let out = 0;
  let zeros = 0;
  for (let r = 0; r < ranges.length; r += 2) {
    for (let i = offset + ranges[r], end = offset + ranges[r + 1]; i < end; i++, out++) {
      if (bits[i >> 3] & (1 << (i & 7))) bitmap[out >> 3] |= 1 << (out & 7);
      else zeros++;
    }
  }
  return { bitmap, zeros };
}

type TypedArray = Exclude<ArrayBufferView, DataView> & { length: number; subarray(begin: number, end: number): TypedArray; set(array: ArrayLike<number | bigint>, offset: number): void };

/** Elements [stride * start, stride * end) of each range, concatenated. */
function takeFixed(values: TypedArray, stride: number, ranges: Ranges, length: number): TypedArray {
  const out = new (values.constructor as new (n: number) => TypedArray)(stride * length);
  let at = 0;
  for (let r = 0; r < ranges.length; r += 2) {
    const part = values.subarray(stride * ranges[r], stride * ranges[r + 1]);
    out.set(part as unknown as ArrayLike<number>, at);
    at += part.length;
  }
  return out;
}

/** New offsets for the taken rows and the matching ranges of the values (bytes or child rows). */
function takeOffsets(offsets: Int32Array | BigInt64Array, ranges: Ranges, length: number): { offsets: Int32Array | BigInt64Array; valueRanges: Ranges } {
  const large = offsets instanceof BigInt64Array;
  const out = large ? new BigInt64Array(length + 1) : new Int32Array(length + 1);
  const valueRanges: Ranges = [];
  let position = 0;
  let at = 0;
  for (let r = 0; r < ranges.length; r += 2) {
    const from = Number(offsets[ranges[r]]);
    for (let i = ranges[r]; i < ranges[r + 1]; i++) {
      const rowStart = Number(offsets[i]);
      if (large) (out as BigInt64Array)[at++] = BigInt(position + rowStart - from);
      else (out as Int32Array)[at++] = position + rowStart - from;
    }
    const to = Number(offsets[ranges[r + 1]]);
    if (to > from) valueRanges.push(from, to);
    position += to - from;
  }
  if (large) (out as BigInt64Array)[at] = BigInt(position);
  else (out as Int32Array)[at] = position;
  return { offsets: out, valueRanges };
}

/** The rows in `ranges` of `data`, as new data of the same type. `field` names the column in errors. */
export function takeRanges(data: Data, ranges: Ranges, field: Field | { name: string }): Data {
  const length = rangesLength(ranges);
  const type = data.type as DataType;
  if (type.typeId === Type.Null) return new Data(type, 0, length, length);

  let nullBitmap: Uint8Array | undefined;
  let nullCount = 0;
  if (data.nullCount > 0) {
    const taken = takeBits(data.nullBitmap, data.offset, ranges, length);
    nullBitmap = taken.bitmap;
    nullCount = taken.zeros;
  }
  const make = (valueOffsets: ArrayBufferView | undefined, values: ArrayBufferView | undefined, children: Data[] = []) =>
    new Data(type, 0, length, nullCount, [valueOffsets, values, nullBitmap, undefined] as never, children, data.dictionary);

  switch (type.typeId) {
    case Type.Bool:
      return make(undefined, takeBits(data.values as Uint8Array, data.offset, ranges, length).bitmap);
    case Type.Utf8:
    case Type.Binary:
    case Type.LargeUtf8:
    case Type.LargeBinary: {
      const { offsets, valueRanges } = takeOffsets(data.valueOffsets as Int32Array | BigInt64Array, ranges, length);
      const bytes = takeFixed(data.values as TypedArray, 1, valueRanges, rangesLength(valueRanges));
      return make(offsets, bytes);
    }
    case Type.List:
    case Type.LargeList:
    case Type.Map: {
      const { offsets, valueRanges } = takeOffsets(data.valueOffsets as Int32Array | BigInt64Array, ranges, length);
      return make(offsets, undefined, [takeRanges(data.children[0], valueRanges, field)]);
    }
    case Type.FixedSizeList: {
      const size = (type as FixedSizeList).listSize;
      const childRanges = ranges.map((row) => row * size);
      return make(undefined, undefined, [takeRanges(data.children[0], childRanges, field)]);
    }
    case Type.Struct:
      return make(undefined, undefined, data.children.map((child) => takeRanges(child, ranges, field)));
    case Type.Union:
    case Type.DenseUnion:
    case Type.SparseUnion:
    case Type.Utf8View:
    case Type.BinaryView:
      throw new UserError(
        `column "${field.name}" has the Arrow type ${String(type)}, whose rows Arrow export cannot pick out; ` +
          'export to JSONL instead (format "jsonl"), or keep whole record batches');
    default:
      // Fixed-width values (ints, floats, dates, times, timestamps, intervals, durations, decimals,
      // fixed-size binary, dictionary indices): `stride` elements per row.
      return make(undefined, takeFixed(data.values as TypedArray, data.stride, ranges, length));
  }
}
