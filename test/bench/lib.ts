/**
 * Shared pieces of `npm run bench`: cached benchmark shards built from real text, timing, and
 * running a workload in a child process so its peak resident memory is its own.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeJsonlShard } from '../fixtures/corpus';

export const BENCH_DIR = resolve(__dirname, '..', '..', '.cache', 'bench');

/** One figure printed by the bench runner, with the same-run baseline it is compared to. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number; unit: string };
  /** value / baseline (or baseline / value for times, so that higher is always better). */
  ratio?: number;
  /** The target from the issue, in words, e.g. ">= 0.7x baseline" or "< 100 ms". */
  target?: string;
  pass?: boolean;
  note?: string;
}

export interface Bench {
  title: string;
  run(): Promise<BenchResult[]>;
}

/** A JSONL shard of real text of about `bytes` bytes, built once and reused (`.cache/bench/`). */
export async function benchJsonlShard(name: string, bytes: number): Promise<string> {
  mkdirSync(BENCH_DIR, { recursive: true });
  const path = join(BENCH_DIR, name);
  if (existsSync(path) && statSync(path).size >= bytes * 0.95) return path;
  const tmp = `${path}.tmp`;
  await writeJsonlShard(tmp, { targetBytes: bytes }, 7);
  renameSync(tmp, path);
  return path;
}

export async function timed<T>(fn: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/**
 * Runs `export async function <fn>(...args)` of a bench module in a fresh Node process and returns
 * what it resolved to, plus that process's peak resident memory (MB) and CPU seconds.
 * The peak is VmHWM from /proc, not getrusage's maxRSS: Linux keeps maxRSS across execve, so a child
 * would report this (large, long-running) process's resident size at the fork whenever it is larger.
 */
export function inChild<T>(modulePath: string, fn: string, args: unknown[] = []): { value: T; peakRssMb: number; cpuSeconds: number } {
  const script = `
    const m = require(${JSON.stringify(modulePath)});
    Promise.resolve(m[${JSON.stringify(fn)}](...${JSON.stringify(args)})).then((value) => {
      const u = process.resourceUsage();
      const hwm = /^VmHWM:\\s+(\\d+) kB/m.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'));
      const peakRssMb = Number(hwm[1]) / 1024;
      process.stdout.write('\\n@@RESULT@@' + JSON.stringify({ value, peakRssMb, cpuSeconds: (u.userCPUTime + u.systemCPUTime) / 1e6 }));
    }, (e) => { console.error(e); process.exit(1); });`;
  const out = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (out.status !== 0) throw new Error(`bench child ${fn} failed: ${out.stderr}`);
  const marker = out.stdout.lastIndexOf('@@RESULT@@');
  return JSON.parse(out.stdout.slice(marker + '@@RESULT@@'.length));
}

/**
 * The baseline of every pass over a JSONL file: the least a validating reader must do, read every
 * byte and JSON.parse every line (keeping nothing).
 */
export async function parseEveryLine(path: string): Promise<{ ms: number; lines: number }> {
  const t0 = performance.now();
  let lines = 0;
  let pieces: Buffer[] = [];
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let pos = 0;
    for (let nl = chunk.indexOf(10, pos); nl >= 0; nl = chunk.indexOf(10, pos)) {
      if (pieces.length > 0) {
        pieces.push(chunk.subarray(pos, nl));
        JSON.parse(Buffer.concat(pieces).toString('utf8'));
        pieces = [];
      } else {
        JSON.parse(chunk.toString('utf8', pos, nl));
      }
      lines++;
      pos = nl + 1;
    }
    if (pos < chunk.length) pieces.push(chunk.subarray(pos));
  }
  return { ms: performance.now() - t0, lines };
}

/** parseEveryLine in a child process (for its own peak RSS and CPU time). */
export function parseInChild(path: string): ReturnType<typeof inChild<{ ms: number; lines: number }>> {
  return inChild(__filename, 'parseEveryLine', [path]);
}
