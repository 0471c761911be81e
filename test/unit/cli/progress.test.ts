import { test } from 'node:test';
import assert from 'node:assert/strict';
import { terminalProgress, type ProgressStream } from '../../../extension/cli/progress';

function capture(isTTY: boolean): ProgressStream & { written: string[] } {
  const written: string[] = [];
  return { isTTY, columns: 100, written, write: (chunk) => written.push(chunk) > 0 };
}

test('the bar stays hidden on a pipe', () => {
  const stream = capture(false);
  let t = 0;
  const bar = terminalProgress(stream, 'Indexing', 'bytes', { now: () => t });
  for (let i = 1; i <= 10; i++) {
    t += 1000;
    bar.update(i * 1e8, 1e9);
  }
  bar.finish();
  assert.deepEqual(stream.written, []);
});

test('on a terminal the bar appears after the delay, redraws at most every redraw interval and is cleared', () => {
  const stream = capture(true);
  let t = 0;
  const bar = terminalProgress(stream, 'Indexing', 'bytes', { now: () => t, delayMs: 500, redrawMs: 100 });
  t = 200;
  bar.update(1e8, 1e9);
  assert.equal(stream.written.length, 0, 'quick work prints nothing');
  t = 1000;
  bar.update(5e8, 1e9);
  assert.equal(stream.written.length, 1);
  assert.match(stream.written[0], /^\r\x1b\[KIndexing \[#+\.+\]  50%  500 MB \/ 1.00 GB  500 MB\/s  1s left$/);
  t = 1050;
  bar.update(6e8, 1e9);
  assert.equal(stream.written.length, 1, 'no redraw within 100 ms');
  t = 1200;
  bar.update(1e9, 1e9);
  assert.match(stream.written[1], /\[#+\] 100%  1.00 GB \/ 1.00 GB/);
  bar.finish();
  assert.equal(stream.written[2], '\r\x1b[K');
});
