/**
 * Compares two samplers by their own verdicts (runSampler masks; manual overrides left out): how
 * many rows each keeps, how much they agree, and the rows only one of them keeps, for browsing.
 */
export interface SamplerComparison {
  rowCount: number;
  /** Rows A keeps, rows B keeps. */
  a: number;
  b: number;
  both: number;
  onlyA: number;
  onlyB: number;
  neither: number;
  /** both / (rows either keeps); 1 when neither keeps any row (two empty sets are identical). */
  jaccard: number;
  /** Row numbers only A keeps / only B keeps, ascending; page through them with subarray(). */
  onlyARows: Uint32Array;
  onlyBRows: Uint32Array;
}

export function compareSamplers(a: Uint8Array, b: Uint8Array): SamplerComparison {
  if (a.length !== b.length) throw new RangeError(`the verdicts cover ${a.length} and ${b.length} rows`);
  const rowCount = a.length;
  let both = 0;
  let onlyA = 0;
  let onlyB = 0;
  for (let row = 0; row < rowCount; row++) {
    const inA = a[row] !== 0;
    const inB = b[row] !== 0;
    if (inA && inB) both++;
    else if (inA) onlyA++;
    else if (inB) onlyB++;
  }
  const onlyARows = new Uint32Array(onlyA);
  const onlyBRows = new Uint32Array(onlyB);
  let i = 0;
  let j = 0;
  for (let row = 0; row < rowCount; row++) {
    const inA = a[row] !== 0;
    if (inA !== (b[row] !== 0)) {
      if (inA) onlyARows[i++] = row;
      else onlyBRows[j++] = row;
    }
  }
  const union = both + onlyA + onlyB;
  return {
    rowCount,
    a: both + onlyA,
    b: both + onlyB,
    both,
    onlyA,
    onlyB,
    neither: rowCount - union,
    jaccard: union === 0 ? 1 : both / union,
    onlyARows,
    onlyBRows,
  };
}
