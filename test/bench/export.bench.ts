/**
 * Export of the ~1 GB JSONL shard keeping a seeded random 30% of the rows (byte-exact JSONL output,
 * SHA-256 of the shard, fsync, verification by reopening the output), against copying the same
 * file in the same run (fs.copyFile, and a read/write stream copy). Target from the issue: at least
 * half the speed of the plain copy, with memory independent of the shard's size (peak RSS of the
 * export in a child process, on the 1 GB shard and on a 200 MB one). Also: the event-loop stalls
 * of the calling thread during the export (the work runs in worker threads), next to the same
 * thread idle for as long.
 */
import { createReadStream, createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { decide } from '../../extension/core/curate/decisions';
import { exportCurated } from '../../extension/core/export';
import { openShard } from '../../extension/core/shard/open';
import { seededRandom } from '../fixtures/corpus';
import { BENCH_DIR, benchJsonlShard, inChild, timed, type Bench, type BenchResult } from './lib';

const KEEP = 0.3;
const OUT_DIR = join(BENCH_DIR, 'export-out');

function keepMask(rows: number): Uint8Array {
  const random = seededRandom(30);
  return Uint8Array.from({ length: rows }, () => (random() < KEEP ? 1 : 0));
}

/** Run in a child: one export of `path` (whose row count is known) keeping 30%; the event loop is watched throughout. */
export async function exportRun(path: string, rowCount: number, output: string): Promise<ExportRun> {
  rmSync(output, { force: true });
  rmSync(`${output}.recipe.json`, { force: true });
  const decisions = decide(rowCount, keepMask(rowCount), undefined);
  const watch = watchEventLoop();
  const { ms } = await timed(() => exportCurated({
    shard: { path, format: 'jsonl' }, decisions, output, recipe: { sampler: { spec: 'random:0.3', seed: 30 } },
  }));
  return { ms, kept: decisions.kept, loop: watch() };
}

interface LoopWatch {
  p99StallMs: number;
  maxStallMs: number;
}

interface ExportRun {
  ms: number;
  kept: number;
  loop: LoopWatch;
}

/** Starts watching this thread's event loop; the returned function stops and reports. */
function watchEventLoop(): () => LoopWatch {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  return () => {
    delay.disable();
    return { p99StallMs: delay.percentile(99) / 1e6, maxStallMs: delay.max / 1e6 };
  };
}

/** The same watch on an idle thread for `ms`: what the machine's scheduling alone costs. */
async function idleLoop(ms: number): Promise<LoopWatch> {
  const watch = watchEventLoop();
  await sleep(ms);
  return watch();
}

async function rowsOf(path: string): Promise<number> {
  const shard = await openShard(path);
  try {
    await shard.indexed;
    return shard.rowCount;
  } finally {
    await shard.close();
  }
}

export const bench: Bench = {
  title: 'export: keep 30% of a ~1 GB JSONL shard (byte-exact, hashed, verified)',
  async run(): Promise<BenchResult[]> {
    const big = await benchJsonlShard('index-1g.jsonl', 1e9);
    const small = await benchJsonlShard('export-200m.jsonl', 2e8);
    mkdirSync(OUT_DIR, { recursive: true });
    const bytes = statSync(big).size;
    const mb = bytes / 1e6;
    const bigRows = await rowsOf(big);
    const smallRows = await rowsOf(small);

    const copyTarget = join(OUT_DIR, 'copy.jsonl');
    const copy = await timed(() => copyFile(big, copyTarget));
    rmSync(copyTarget);
    const streamCopy = await timed(() => pipeline(createReadStream(big, { highWaterMark: 1 << 20 }), createWriteStream(copyTarget)));
    rmSync(copyTarget);

    const run = inChild<ExportRun>(__filename, 'exportRun', [big, bigRows, join(OUT_DIR, 'big.curated.jsonl')]);
    const smallRun = inChild<ExportRun>(__filename, 'exportRun', [small, smallRows, join(OUT_DIR, 'small.curated.jsonl')]);
    const idle = await idleLoop(Math.min(run.value.ms, 20_000));
    rmSync(OUT_DIR, { recursive: true, force: true });

    const exportRate = mb / (run.value.ms / 1000);
    const copyRate = mb / (copy.ms / 1000);
    const streamRate = mb / (streamCopy.ms / 1000);
    const note = `${bigRows.toLocaleString('en-US')} rows, ${run.value.kept.toLocaleString('en-US')} kept; export ${(run.value.ms / 1000).toFixed(1)} s, copyFile ${(copy.ms / 1000).toFixed(1)} s, stream copy ${(streamCopy.ms / 1000).toFixed(1)} s; export also hashes the shard, fsyncs and re-reads the output to verify`;
    return [
      {
        name: 'export throughput (shard MB/s) vs fs.copyFile',
        value: exportRate, unit: 'MB/s',
        baseline: { name: 'fs.copyFile of the same file', value: copyRate, unit: 'MB/s' },
        ratio: exportRate / copyRate, target: '>= 0.5x copy', pass: exportRate >= 0.5 * copyRate, note,
      },
      {
        name: 'export throughput (shard MB/s) vs stream copy',
        value: exportRate, unit: 'MB/s',
        baseline: { name: 'read/write stream copy of the same file', value: streamRate, unit: 'MB/s' },
        ratio: exportRate / streamRate, target: '>= 0.5x copy', pass: exportRate >= 0.5 * streamRate,
      },
      {
        name: 'export peak RSS, ~1 GB shard',
        value: run.peakRssMb, unit: 'MB',
        baseline: { name: 'the same export of a ~200 MB shard', value: smallRun.peakRssMb, unit: 'MB' },
        ratio: smallRun.peakRssMb / run.peakRssMb, target: 'independent of shard size (<= 1.5x the 200 MB run)', pass: run.peakRssMb <= 1.5 * smallRun.peakRssMb,
        note: `${(statSync(small, { throwIfNoEntry: false })?.size ?? 0) / 1e6 | 0} MB shard: ${smallRows.toLocaleString('en-US')} rows, export ${(smallRun.value.ms / 1000).toFixed(1)} s; peak includes the decision arrays (~2 bytes per row)`,
      },
      {
        name: 'event-loop stall of the calling thread during the export, p99',
        value: run.value.loop.p99StallMs, unit: 'ms',
        baseline: { name: 'the same thread idle for as long, p99', value: idle.p99StallMs, unit: 'ms' },
        target: 'within a few ms of idle (the work runs in worker threads)', pass: run.value.loop.p99StallMs <= idle.p99StallMs + 5,
        note: `max ${run.value.loop.maxStallMs.toFixed(0)} ms (idle ${idle.maxStallMs.toFixed(0)} ms); stalls include waiting for a CPU while the export's worker threads and other processes run`,
      },
    ];
  },
};
