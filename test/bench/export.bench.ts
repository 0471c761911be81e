/**
 * Export of the ~1 GB JSONL shard keeping a seeded random 30% of the rows (byte-exact JSONL output
 * copied by the open shard's row index, SHA-256 of the shard, fsync, verification of the output),
 * against copying the same file in the same run (fs.copyFile, and a read/write stream copy). Target
 * from the issue: at least half the speed of the plain copy, with memory independent of the
 * shard's size (peak RSS during the export in a child process, on the 1 GB shard and on a 200 MB
 * one). Also: CPU time of the export (all threads; steadier than wall time on a busy machine), the
 * same export of the 200 MB shard without the index (every line scanned and parsed), and the
 * event-loop stalls of the calling thread during the export next to the same thread idle for as long.
 * Each export runs in a child that first opens the shard (indexing it, as the editor has done
 * before anyone exports; not timed).
 */
import { createReadStream, createWriteStream, mkdirSync, rmSync, statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { decide } from '../../extension/core/curate/decisions';
import { exportCurated } from '../../extension/core/export';
import { JsonlShard } from '../../extension/core/shard/jsonl';
import { openShard } from '../../extension/core/shard/open';
import { seededRandom } from '../fixtures/corpus';
import { BENCH_DIR, benchJsonlShard, inChild, timed, type Bench, type BenchResult } from './lib';

const KEEP = 0.3;
const OUT_DIR = join(BENCH_DIR, 'export-out');

function keepMask(rows: number): Uint8Array {
  const random = seededRandom(30);
  return Uint8Array.from({ length: rows }, () => (random() < KEEP ? 1 : 0));
}

/**
 * Run in a child: opens `path` (indexing it), then one export keeping 30%, by the row index or
 * (`byIndex` false) by scanning every line; the event loop, the CPU time of all threads and the
 * resident memory (sampled) are watched during the export only.
 */
export async function exportRun(path: string, output: string, byIndex: boolean): Promise<ExportRun> {
  rmSync(output, { force: true });
  rmSync(`${output}.recipe.json`, { force: true });
  const shard = await openShard(path);
  try {
    await shard.indexed;
    if (!(shard instanceof JsonlShard)) throw new Error(`${path} is not a JSONL shard`);
    const decisions = decide(shard.rowCount, keepMask(shard.rowCount), undefined);
    const rss = sampleRss();
    const watch = watchEventLoop();
    const cpu = process.cpuUsage();
    const { ms } = await timed(() => exportCurated({
      shard: { path, format: 'jsonl' }, rowIndex: byIndex ? shard.rowIndex() : undefined,
      decisions, output, recipe: { sampler: { spec: 'random:0.3', seed: 30 } },
    }));
    const used = process.cpuUsage(cpu);
    return { ms, cpuSeconds: (used.user + used.system) / 1e6, rows: shard.rowCount, kept: decisions.kept, loop: watch(), rss: rss() };
  } finally {
    await shard.close();
  }
}

/**
 * Starts sampling this process's resident memory every 5 ms; the returned function stops and gives
 * the peak (MB) and how far it rose above the start: what the export added to a process that already
 * holds the open shard (and whatever indexing it left behind, which grows with the shard).
 */
function sampleRss(): () => { peakMb: number; addedMb: number } {
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage.rss()); }, 5);
  return () => {
    clearInterval(timer);
    peak = Math.max(peak, process.memoryUsage.rss());
    return { peakMb: peak / (1 << 20), addedMb: (peak - start) / (1 << 20) };
  };
}

interface LoopWatch {
  p99StallMs: number;
  maxStallMs: number;
}

interface ExportRun {
  ms: number;
  cpuSeconds: number;
  rows: number;
  kept: number;
  loop: LoopWatch;
  rss: { peakMb: number; addedMb: number };
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

export const bench: Bench = {
  title: 'export: keep 30% of a ~1 GB JSONL shard (byte-exact, hashed, verified)',
  async run(): Promise<BenchResult[]> {
    const big = await benchJsonlShard('index-1g.jsonl', 1e9);
    const small = await benchJsonlShard('export-200m.jsonl', 2e8);
    mkdirSync(OUT_DIR, { recursive: true });
    const mb = statSync(big).size / 1e6;
    const smallMb = statSync(small).size / 1e6;

    const copyTarget = join(OUT_DIR, 'copy.jsonl');
    const copy = await timed(() => copyFile(big, copyTarget));
    rmSync(copyTarget);
    const copyCpu = process.cpuUsage();
    const streamCopy = await timed(() => pipeline(createReadStream(big, { highWaterMark: 1 << 20 }), createWriteStream(copyTarget)));
    const streamCpu = process.cpuUsage(copyCpu);
    rmSync(copyTarget);

    const run = inChild<ExportRun>(__filename, 'exportRun', [big, join(OUT_DIR, 'big.curated.jsonl'), true]).value;
    const smallRun = inChild<ExportRun>(__filename, 'exportRun', [small, join(OUT_DIR, 'small.curated.jsonl'), true]).value;
    const smallScan = inChild<ExportRun>(__filename, 'exportRun', [small, join(OUT_DIR, 'small-scan.curated.jsonl'), false]).value;
    const idle = await idleLoop(Math.min(run.ms, 20_000));
    rmSync(OUT_DIR, { recursive: true, force: true });

    const rate = (megabytes: number, ms: number) => megabytes / (ms / 1000);
    const exportRate = rate(mb, run.ms);
    const copyRate = rate(mb, copy.ms);
    const streamRate = rate(mb, streamCopy.ms);
    const streamCpuSeconds = (streamCpu.user + streamCpu.system) / 1e6;
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const note = `${run.rows.toLocaleString('en-US')} rows, ${run.kept.toLocaleString('en-US')} kept; export ${seconds(run.ms)} (CPU ${run.cpuSeconds.toFixed(1)} s, all threads), copyFile ${seconds(copy.ms)}, stream copy ${seconds(streamCopy.ms)}; export also hashes the shard, fsyncs and re-reads the output to verify`;
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
        name: 'export CPU time, ~1 GB shard (all threads)',
        value: run.cpuSeconds, unit: 's',
        baseline: { name: 'read/write stream copy of the same file', value: streamCpuSeconds, unit: 's' },
        ratio: streamCpuSeconds / run.cpuSeconds,
        note: 'the export also SHA-256-hashes the whole shard (a second worker), fsyncs and re-reads the output',
      },
      {
        name: 'export by the row index vs by scanning every line, ~200 MB shard',
        value: rate(smallMb, smallRun.ms), unit: 'MB/s',
        baseline: { name: 'the same export without the index (scan + JSON.parse of every line, output reopened to verify)', value: rate(smallMb, smallScan.ms), unit: 'MB/s' },
        ratio: smallScan.ms / smallRun.ms,
        note: `${seconds(smallRun.ms)} (CPU ${smallRun.cpuSeconds.toFixed(1)} s) vs ${seconds(smallScan.ms)} (CPU ${smallScan.cpuSeconds.toFixed(1)} s)`,
      },
      {
        name: 'resident memory the export adds, ~1 GB shard',
        value: run.rss.addedMb, unit: 'MB',
        baseline: { name: 'the same export of a ~200 MB shard', value: smallRun.rss.addedMb, unit: 'MB' },
        ratio: smallRun.rss.addedMb / run.rss.addedMb, target: 'independent of shard size (<= 1.5x the 200 MB run)', pass: run.rss.addedMb <= 1.5 * smallRun.rss.addedMb,
        note: `peak RSS sampled every 5 ms during the export minus RSS just before it, in a process holding the open shard (peaks ${run.rss.peakMb.toFixed(0)} MB and ${smallRun.rss.peakMb.toFixed(0)} MB); ${smallRun.rows.toLocaleString('en-US')} rows in the 200 MB shard; includes the two worker threads and the copy of the row index (12 bytes per row)`,
      },
      {
        name: 'event-loop stall of the calling thread during the export, p99',
        value: run.loop.p99StallMs, unit: 'ms',
        baseline: { name: 'the same thread idle for as long, p99', value: idle.p99StallMs, unit: 'ms' },
        target: 'within a few ms of idle (the work runs in worker threads)', pass: run.loop.p99StallMs <= idle.p99StallMs + 5,
        note: `max ${run.loop.maxStallMs.toFixed(0)} ms (idle ${idle.maxStallMs.toFixed(0)} ms); stalls include waiting for a CPU while the export's worker threads and other processes run`,
      },
    ];
  },
};
