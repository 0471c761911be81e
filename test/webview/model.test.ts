/** The grid's models without a browser: scroll mapping, selection ranges, the row page cache. */
import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import type { RowView } from '../../extension/protocol';
import { charLength, compactValue, oneLine } from '../../webview/grid/columns';
import { PAGE_ROWS, RowCache } from '../../webview/grid/row-cache';
import { MAX_SCROLL_PX, ScrollMap } from '../../webview/grid/scroll-map';
import { RowSelection } from '../../webview/grid/selection';
import { defaultViewState, sanitizeViewState } from '../../webview/state';

test('ScrollMap keeps 10M rows in a bounded range and reaches both ends exactly', () => {
  const map = new ScrollMap(10_000_000, 22, 660);
  assert.equal(map.spacerHeight, MAX_SCROLL_PX);
  assert.equal(map.virtualTopFromScrollTop(0), 0);
  // The largest scrollTop shows the last row at the bottom edge.
  const end = map.virtualTopFromScrollTop(map.maxScrollTop);
  assert.equal(end, 10_000_000 * 22 - 660);
  assert.equal(Math.floor((end + 660 - 1) / 22), 9_999_999);
  // Round trip is exact enough to land on the same row.
  for (const row of [1, 12_345, 5_000_000, 9_999_970]) {
    const top = row * 22;
    assert.equal(Math.round(map.virtualTopFromScrollTop(map.scrollTopFromVirtualTop(top)) / 22), row);
  }
  // Small shards are not scaled.
  const small = new ScrollMap(1000, 22, 660);
  assert.equal(small.scaled, false);
  assert.equal(small.virtualTopFromScrollTop(440), 440);
  assert.equal(small.maxVirtualTop, 22_000 - 660);
  assert.equal(new ScrollMap(0, 22, 660).maxVirtualTop, 0);
});

test('RowSelection: single, ranges with an anchor, toggles that split and merge ranges', () => {
  const state = defaultViewState().selection;
  const sel = new RowSelection(state);
  sel.selectOnly(5);
  sel.extendTo(1_000_000);
  assert.deepEqual(state.ranges, [[5, 1_000_000]]);
  assert.equal(sel.size, 999_996);
  sel.toggle(500);
  assert.deepEqual(state.ranges, [[5, 499], [501, 1_000_000]]);
  assert.equal(sel.has(500), false);
  assert.equal(sel.has(501), true);
  sel.toggle(500);
  assert.deepEqual(state.ranges, [[5, 1_000_000]]);
  sel.toggle(2_000_000);
  sel.extendTo(1_999_998);
  assert.deepEqual(state.ranges, [[1_999_998, 2_000_000]]);
  sel.clip(1_999_999);
  assert.deepEqual(state.ranges, [[1_999_998, 1_999_998]]);
  assert.equal(state.active, 1_999_998);
});

test('saved view state is validated: garbage and wrong versions fall back to defaults', () => {
  assert.deepEqual(sanitizeViewState(undefined), defaultViewState());
  assert.deepEqual(sanitizeViewState({ version: 2, topRow: 5 }), defaultViewState());
  const s = sanitizeViewState({ version: 1, topRow: -3, scrollLeft: 'x', selection: { ranges: [[3, 1], [4, 9]], active: 4, anchor: 4 }, columns: { hidden: ['text', 7], widths: { text: 200, id: -1 } }, search: { pattern: 'a', regex: 1 } });
  assert.equal(s.topRow, 0);
  assert.deepEqual(s.selection.ranges, [[4, 9]]);
  assert.deepEqual(s.columns, { hidden: ['text'], widths: { text: 200 } });
  assert.deepEqual(s.search, { pattern: 'a', regex: false, caseSensitive: false });
});

test('cell text: one line, code point lengths, compact JSON', () => {
  assert.equal(oneLine('a\nb\r\nc\td'), 'a ⏎ b ⏎ c d');
  assert.equal(charLength('naïve 😀'), 7);
  assert.equal(compactValue({ a: [1, 'x'] }), '{"a":[1,"x"]}');
  assert.equal(compactValue(null), 'null');
  assert.equal(compactValue(undefined), '');
});

function fakeRows(start: number, count: number): RowView[] {
  return Array.from({ length: count }, (_, i) => ({ row: start + i, text: `row ${start + i}`, fields: {} }));
}

test('RowCache: viewport pages plus one ahead, no duplicate requests, jumps wait to settle', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const requests: Array<[number, number]> = [];
    const resolvers: Array<() => void> = [];
    let loaded = 0;
    const cache = new RowCache(
      (start, count) => {
        requests.push([start, count]);
        return new Promise((resolve) => resolvers.push(() => resolve(fakeRows(start, count))));
      },
      () => loaded++,
      (error) => assert.fail(error),
    );
    cache.setRowCount(10_000_000);
    // First viewport: a jump from nothing, so it waits for the viewport to settle.
    cache.want(0, 30, 1);
    assert.deepEqual(requests, []);
    mock.timers.tick(60);
    assert.deepEqual(requests, [[0, PAGE_ROWS], [PAGE_ROWS, PAGE_ROWS]]);
    cache.want(5, 35, 1);
    assert.equal(requests.length, 2, 'in-flight pages are not requested again');
    for (const resolve of resolvers.splice(0)) resolve();
    await new Promise((r) => setImmediate(r));
    assert.equal(loaded, 2);
    assert.equal(cache.get(150)?.text, 'row 150');

    // A drag across the shard: every position is a jump; only where it stops is fetched.
    for (let i = 1; i <= 40; i++) {
      cache.want(i * 200_000, i * 200_000 + 30, 1);
      mock.timers.tick(16);
    }
    assert.equal(requests.length, 2);
    mock.timers.tick(60);
    assert.deepEqual(requests.slice(2), [[8_000_000, PAGE_ROWS], [8_000_100, PAGE_ROWS]]);
    // Scrolling on from there is not a jump: the next page is fetched at once.
    cache.want(8_000_090, 8_000_120, 1);
    assert.deepEqual(requests.slice(4), [[8_000_200, PAGE_ROWS]]);
  } finally {
    mock.timers.reset();
  }
});

test('RowCache: the last page of a growing shard is fetched again once more rows are known', async () => {
  const requests: Array<[number, number]> = [];
  const cache = new RowCache(async (start, count) => {
    requests.push([start, count]);
    return fakeRows(start, count);
  }, () => undefined, (error) => assert.fail(error));
  cache.setRowCount(150);
  assert.equal((await cache.load(120))?.text, 'row 120');
  assert.deepEqual(requests, [[100, 50]]);
  cache.setRowCount(400);
  assert.equal((await cache.load(170))?.text, 'row 170');
  assert.deepEqual(requests, [[100, 50], [100, 100]]);
  // clear() forgets everything (text field switched).
  cache.clear();
  assert.equal(cache.get(120), undefined);
});
