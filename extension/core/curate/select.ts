/**
 * The value of rank `k` (0-based, ascending) among `values`, which is reordered in place.
 * Quickselect with a median-of-three pivot: O(n) on average. After more partitions than a balanced
 * run would need it sorts the remaining range natively, so the worst case stays O(n log n).
 */
export function kthSmallest(values: Float64Array, k: number): number {
  if (!(k >= 0 && k < values.length)) throw new RangeError(`rank ${k} is outside 0..${values.length - 1}`);
  let lo = 0;
  let hi = values.length - 1;
  let partitionsLeft = 2 * Math.ceil(Math.log2(values.length + 1)) + 4;
  while (hi > lo) {
    if (hi - lo < 32 || partitionsLeft-- === 0) {
      const range = values.subarray(lo, hi + 1);
      range.sort();
      return range[k - lo];
    }
    const pivot = medianOfThree(values[lo], values[(lo + hi) >>> 1], values[hi]);
    // Hoare partition: afterwards [lo, j] <= pivot, [i, hi] >= pivot and (j, i) == pivot.
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (values[i] < pivot) i++;
      while (values[j] > pivot) j--;
      if (i <= j) {
        const t = values[i];
        values[i] = values[j];
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return pivot;
  }
  return values[k];
}

function medianOfThree(a: number, b: number, c: number): number {
  if (a < b) return b < c ? b : a < c ? c : a;
  return a < c ? a : b < c ? c : b;
}
