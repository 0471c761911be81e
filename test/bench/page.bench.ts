/**
 * A page of 100 rows served through the shard editor's router (validation, read, field split, the
 * JSON serialization postMessage does) from an indexed ~1 GB JSONL shard, next to a bare pread of
 * the same number of bytes in the same run. Target: a page in under 10 ms.
 */
import { open } from 'node:fs/promises';
import { seededRandom } from '../fixtures/corpus';
import type { Logger } from '../../extension/editor/logger';
import { ShardRouter } from '../../extension/editor/router';
import { ShardSession } from '../../extension/editor/session';
import type { RowView } from '../../extension/protocol';
import { benchJsonlShard, type Bench } from './lib';

const PAGE_ROWS = 100;
const PAGES = 300;
const WARMUP = 20;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

export const bench: Bench = {
  title: `Shard editor: a page of ${PAGE_ROWS} rows through the router (~1 GB JSONL, indexed)`,
  async run() {
    const path = await benchJsonlShard('index-1g.jsonl', 1e9);
    const log: Logger = { info() {}, error: (m, err) => console.error(m, err) };
    const session = new ShardSession(path, {}, log);
    await session.settled;
    const shard = session.requireShard();
    let reply: { rows: RowView[] } | undefined;
    let serialized = 0;
    const router = new ShardRouter(session, (message) => {
      // VS Code serializes every message to the webview as JSON.
      serialized = JSON.stringify(message).length;
      if (message.type === 'response') {
        if (!message.ok) throw new Error(message.error);
        reply = message.result as { rows: RowView[] };
      }
    }, log);

    const random = seededRandom(23);
    const raw = await open(path, 'r');
    const pageMs: number[] = [];
    const rawMs: number[] = [];
    let messageChars = 0;
    try {
      for (let i = 0; i < WARMUP + PAGES; i++) {
        const start = Math.floor(random() * (shard.rowCount - PAGE_ROWS));
        const t0 = performance.now();
        await router.handle({ type: 'request', id: i, method: 'rows', params: { start, count: PAGE_ROWS } });
        const ms = performance.now() - t0;
        if (reply?.rows.length !== PAGE_ROWS || reply.rows[0].row !== start) throw new Error(`bad page at row ${start}`);
        // The page's bytes on disk: its lines are the JSON of their fields plus a newline each.
        const span = reply.rows.reduce((sum, r) => sum + Buffer.byteLength(JSON.stringify({ id: r.fields.id, text: r.text, source: r.fields.source, chars: r.fields.chars })) + 1, 0);
        const r0 = performance.now();
        await raw.read(Buffer.allocUnsafe(span), 0, span, Math.floor(random() * (shard.bytes - span)));
        const rms = performance.now() - r0;
        if (i >= WARMUP) {
          pageMs.push(ms);
          rawMs.push(rms);
          messageChars += serialized;
        }
      }
    } finally {
      await raw.close();
      router.dispose();
      await session.dispose();
    }
    const median = percentile(pageMs, 0.5);
    const rawMedian = percentile(rawMs, 0.5);
    return [
      {
        name: `rows request of ${PAGE_ROWS} rows, median of ${PAGES} random pages`,
        value: median,
        unit: 'ms',
        baseline: { name: 'pread of the same number of bytes', value: rawMedian, unit: 'ms' },
        ratio: rawMedian / median,
        target: '< 10 ms',
        pass: median < 10,
        note: `p95 ${percentile(pageMs, 0.95).toFixed(2)} ms (pread p95 ${percentile(rawMs, 0.95).toFixed(2)} ms); ${shard.rowCount.toLocaleString('en-US')} rows; reply ${Math.round(messageChars / PAGES / 1024)} kB of JSON per page`,
      },
    ];
  },
};
