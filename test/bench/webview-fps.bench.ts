/**
 * Scrolling smoothness of the shard editor's grid over 10,000,000 rows in headless Chromium (the
 * harness page of test/webview): frame times measured with requestAnimationFrame while the grid is
 * scrolled every frame, by wheel events (row by row) and by scrollbar-drag jumps across the whole
 * shard (every frame a new, uncached place). Baseline: an empty page's frames in the same browser.
 */
import { loadavg } from 'node:os';
import type { Page } from 'playwright-core';
import { launchBrowser, openEditor, waitForRows } from '../webview/harness/harness';
import { SYNTHETIC_ROWS, syntheticShard } from '../webview/harness/shards';
import type { Bench, BenchResult } from './lib';

const SECONDS = 4;

/**
 * Runs in the page (a plain string, so no transpiler helpers leak in): calls `step(i)` once per
 * animation frame for `ms`, returns the frame intervals.
 */
const MEASURE = `async ({ ms, mode }) => {
  const grid = document.querySelector('[role=grid]');
  const times = [];
  let last = performance.now();
  const end = last + ms;
  let i = 0;
  await new Promise((done) => {
    const frame = (now) => {
      times.push(now - last);
      last = now;
      i++;
      if (mode === 'wheel') grid.dispatchEvent(new WheelEvent('wheel', { deltaY: 66, bubbles: true, cancelable: true }));
      if (mode === 'drag') grid.scrollTop = ((i * 7919) % 1000) / 1000 * (grid.scrollHeight - grid.clientHeight);
      if (now < end) requestAnimationFrame(frame); else done();
    };
    requestAnimationFrame(frame);
  });
  return times.slice(2);
}`;

async function frameTimes(page: Page, mode: 'idle' | 'wheel' | 'drag'): Promise<number[]> {
  return page.evaluate(`(${MEASURE})(${JSON.stringify({ ms: SECONDS * 1000, mode })})`) as Promise<number[]>;
}

function stats(times: number[]): { fps: number; p95: number; p99: number } {
  const sorted = [...times].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  return { fps: 1000 / mean, p95: pick(0.95), p99: pick(0.99) };
}

export const bench: Bench = {
  title: `webview grid scrolling, ${SYNTHETIC_ROWS.toLocaleString('en-US')} rows (headless Chromium, rAF frame times)`,
  async run(): Promise<BenchResult[]> {
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
      const empty = await context.newPage();
      await empty.goto('about:blank');
      const base = stats(await frameTimes(empty, 'idle'));
      await context.close();

      const h = await openEditor(browser, syntheticShard());
      await h.page.waitForSelector(`[role=grid][aria-rowcount="${SYNTHETIC_ROWS}"]`);
      await waitForRows(h.page, (rows) => rows.length > 0 && rows.every((r) => r.cells[1] !== ''), 'the first rows');
      const wheel = stats(await frameTimes(h.page, 'wheel'));
      const drag = stats(await frameTimes(h.page, 'drag'));
      const requests = h.host.rowRequests().length;
      await h.close();

      const results: BenchResult[] = [];
      for (const [label, s] of [['wheel (3 rows/frame)', wheel], ['scrollbar jumps (new place every frame)', drag]] as const) {
        results.push(
          { name: `${label}: mean fps`, value: s.fps, unit: 'fps', baseline: { name: 'empty page', value: base.fps, unit: 'fps' }, ratio: s.fps / base.fps, target: '>= 55 fps', pass: s.fps >= 55 },
          { name: `${label}: p95 frame`, value: s.p95, unit: 'ms', baseline: { name: 'empty page p95', value: base.p95, unit: 'ms' }, ratio: base.p95 / s.p95, target: '<= 16.7 ms (60 fps)', pass: s.p95 <= 16.7 + 0.5 },
          { name: `${label}: p99 frame`, value: s.p99, unit: 'ms', baseline: { name: 'empty page p99', value: base.p99, unit: 'ms' }, ratio: base.p99 / s.p99 },
        );
      }
      results.push({ name: 'rows requests during both runs', value: requests, unit: 'requests', note: `${SECONDS * 2} s of scrolling, pages of 100 rows; load average ${loadavg()[0].toFixed(1)} (software rendering, shared cores: pessimistic)` });
      return results;
    } finally {
      await browser.close();
    }
  },
};
