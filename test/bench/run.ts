/**
 * `npm run bench [filter]`: runs every test/bench/*.bench.ts (each exports `bench: Bench`) and prints
 * each figure next to its same-run baseline. Results also go to .cache/bench/results.json.
 * `npm run bench` builds first; worker threads (here and in bench child processes) run the bundles
 * in dist/workers, as the extension and the CLI do.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BENCH_DIR, type Bench, type BenchResult } from './lib';

process.env.SHARD_CURATOR_WORKER_DIR = resolve(__dirname, '..', '..', 'dist', 'workers');

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(3);
}

async function main(): Promise<void> {
  const filters = process.argv.slice(2);
  const files = readdirSync(__dirname).filter((f) => f.endsWith('.bench.ts')).sort()
    .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)));
  const all: Array<{ title: string; results: BenchResult[] }> = [];
  let failed = 0;
  for (const file of files) {
    const { bench } = require(join(__dirname, file)) as { bench: Bench };
    console.log(`\n## ${bench.title}`);
    const results = await bench.run();
    for (const r of results) {
      const base = r.baseline ? `   baseline ${r.baseline.name}: ${fmt(r.baseline.value)} ${r.baseline.unit}` : '';
      const ratio = r.ratio !== undefined ? `   ratio ${r.ratio.toFixed(2)}x` : '';
      const verdict = r.target ? `   target ${r.target}: ${r.pass ? 'met' : 'NOT MET'}` : '';
      console.log(`${r.name}: ${fmt(r.value)} ${r.unit}${base}${ratio}${verdict}${r.note ? `   (${r.note})` : ''}`);
      if (r.pass === false) failed++;
    }
    all.push({ title: bench.title, results });
  }
  mkdirSync(BENCH_DIR, { recursive: true });
  writeFileSync(join(BENCH_DIR, 'results.json'), JSON.stringify({ date: new Date().toISOString(), benches: all }, null, 2));
  console.log(`\n${failed === 0 ? 'all targets met' : `${failed} target(s) not met`}`);
}

void main();
