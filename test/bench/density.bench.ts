/**
 * Density with the built-in embedder + RACE sketch over a ~230 MB, ~200k-row JSONL shard, end to
 * end (scanTexts, embed, hash, count, query), against plainly reading + JSON.parse-ing every line
 * of the same shard in the same run. Also the split of the time between the stages.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Bench, BenchResult } from './lib';
import { benchJsonlShard, inChild } from './lib';
import { computeDensity } from '../../extension/core/density/run';
import { BuiltinEmbedder } from '../../extension/core/embed/builtin';
import { DEFAULT_RACE_PARAMS, newBucketArray, RaceHasher, RaceSketch } from '../../extension/core/density/race';
import { realDocuments } from '../fixtures/corpus';

/** Baseline: read the file line by line and JSON.parse each line (one thread). */
export async function parseShard(path: string): Promise<{ rows: number; seconds: number }> {
  const t0 = performance.now();
  let rows = 0;
  let chars = 0;
  for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
    if (line.length === 0) continue;
    chars += (JSON.parse(line) as { text: string }).text.length;
    rows++;
  }
  if (chars === 0) throw new Error('no text parsed');
  return { rows, seconds: (performance.now() - t0) / 1000 };
}

export async function densityRun(path: string, threads: 1 | 2): Promise<{ rows: number; seconds: number; timing: { embedSeconds: number; hashSeconds: number; countSeconds: number } }> {
  const result = await computeDensity({ path, format: 'jsonl', textField: 'text' }, { threads });
  return { rows: result.rowEnd - result.rowStart, seconds: result.seconds, timing: result.timing };
}

/** Per-stage cost on one thread over real documents, in microseconds per row. */
export function stageCosts(): { embedUs: number; hashUs: number; countUs: number; bytesPerRow: number } {
  const texts = realDocuments(5000, 7).map((d) => d.text);
  const embedder = new BuiltinEmbedder();
  const params = { ...DEFAULT_RACE_PARAMS, dim: embedder.dim };
  const vectors = new Float32Array(texts.length * embedder.dim);
  const hasher = new RaceHasher(params);
  const codes = newBucketArray(params, texts.length);
  const time = (fn: () => void) => {
    fn(); // warm up the JIT
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) fn();
    return ((performance.now() - t0) / 3 / texts.length) * 1000;
  };
  const embedUs = time(() => texts.forEach((t, i) => embedder.embedInto(t, vectors, i * embedder.dim)));
  const hashUs = time(() => texts.forEach((_, i) => hasher.hashInto(vectors, i * embedder.dim, codes, i * params.rows)));
  const countUs = time(() => {
    const sketch = new RaceSketch(params);
    sketch.insertAll(codes);
    sketch.queryAll(codes, new Float64Array(texts.length));
  });
  return { embedUs, hashUs, countUs, bytesPerRow: texts.reduce((s, t) => s + t.length, 0) / texts.length };
}

export const bench: Bench = {
  title: 'Density: built-in embedder + RACE sketch, ~230 MB JSONL',
  async run(): Promise<BenchResult[]> {
    const path = await benchJsonlShard('density-230m.jsonl', 230e6);
    const parse = inChild<{ rows: number; seconds: number }>(__filename, 'parseShard', [path]);
    const two = inChild<Awaited<ReturnType<typeof densityRun>>>(__filename, 'densityRun', [path, 2]);
    const one = inChild<Awaited<ReturnType<typeof densityRun>>>(__filename, 'densityRun', [path, 1]);
    const stages = inChild<ReturnType<typeof stageCosts>>(__filename, 'stageCosts').value;
    const parseRate = parse.value.rows / parse.value.seconds;
    const rate = two.value.rows / two.value.seconds;
    const t = two.value.timing;
    const other = two.value.seconds * 2 - t.embedSeconds - t.hashSeconds - t.countSeconds;
    const baseline = { name: 'read + JSON.parse every line', value: parseRate, unit: 'rows/s' };
    return [
      {
        name: `density end to end, 2 threads (${two.value.rows.toLocaleString('en-US')} rows)`,
        value: rate, unit: 'rows/s', baseline, ratio: rate / parseRate, target: '>= 20,000 rows/s', pass: rate >= 20_000,
        note: `${two.value.seconds.toFixed(1)} s; thread-seconds: embed ${t.embedSeconds.toFixed(1)}, hash ${t.hashSeconds.toFixed(1)}, count+query ${t.countSeconds.toFixed(2)}, read+parse+other ${other.toFixed(1)}`,
      },
      {
        name: 'density end to end, 1 thread', value: one.value.rows / one.value.seconds, unit: 'rows/s', baseline, ratio: one.value.rows / one.value.seconds / parseRate,
        note: `2 threads are ${(rate / (one.value.rows / one.value.seconds)).toFixed(2)}x faster`,
      },
      { name: 'density peak memory (2 threads)', value: two.peakRssMb, unit: 'MB', baseline: { name: 'parse only', value: parse.peakRssMb, unit: 'MB' }, target: '< 1024 MB', pass: two.peakRssMb < 1024 },
      {
        name: 'stage cost per row, one thread: embed', value: stages.embedUs, unit: 'µs',
        note: `hash (${Math.ceil((DEFAULT_RACE_PARAMS.rows * DEFAULT_RACE_PARAMS.hashesPerRow) / 256)} Hadamard rotations of 256, R=${DEFAULT_RACE_PARAMS.rows} K=${DEFAULT_RACE_PARAMS.hashesPerRow}) ${stages.hashUs.toFixed(1)} µs, count+query ${stages.countUs.toFixed(2)} µs, JSON parse ${((1e6 / parseRate)).toFixed(1)} µs; rows of ${Math.round(stages.bytesPerRow)} chars`,
      },
    ];
  },
};
