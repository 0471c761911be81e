/**
 * The curation model's whole-shard computations on 10M rows, as the model runs them for a large
 * shard: each job in the `curation` worker over SharedArrayBuffer-backed arrays (runCurationJob,
 * inWorker). Each figure: wall time, next to the same-run baseline (a Float64Array sort of the same
 * 10M P(yes) values on the main thread), and the main thread's longest stall meanwhile (a 5 ms
 * heartbeat), next to the stall of the same job run inline (what the editor did before).
 * Targets from the issue: the main thread never blocks (stall < 100 ms) while the job takes seconds.
 */
import { parseSamplerSpec, type SamplerSpec } from '../../extension/core/curate';
import { runCurationJob, toShared, type CurationJobInput, type CurationJobKind } from '../../extension/core/curation/compute';
import { seededRandom } from '../fixtures/corpus';
import { measureStalls as measure } from '../fixtures/stalls';
import type { Bench, BenchResult } from './lib';

const ROWS = 10_000_000;
const SAMPLER = 'askllm-min:0.2,density-ips:0.5';
const OTHER = 'askllm-top:0.3';
const STALL_TARGET_MS = 100;

/** P(yes) skewed towards 0 like real judges, density log-normal >= 1 like RACE scores, text lengths; on shared memory. */
function syntheticRows(rows: number) {
  const random = seededRandom(11);
  const askllm = toShared(new Float64Array(rows));
  const density = toShared(new Float64Array(rows));
  const chars = toShared(new Uint32Array(rows));
  const overrides = toShared(new Int8Array(rows));
  for (let row = 0; row < rows; row++) {
    const u = random();
    askllm[row] = Math.round(u * u * 10000) / 10000;
    density[row] = 1 + Math.round(Math.exp(3 * random() * random() * 3));
    chars[row] = 200 + Math.floor(random() * 4000);
    if (row % 1000 === 0) overrides[row] = row % 2000 === 0 ? 1 : -1;
  }
  return { askllm, density, chars, overrides };
}

export const bench: Bench = {
  title: 'curation model: 10M-row views, sampler + stats and compare off the main thread',
  async run(): Promise<BenchResult[]> {
    const data = syntheticRows(ROWS);
    const sampler: SamplerSpec = parseSamplerSpec(SAMPLER);
    const jobs: { name: string; kind: CurationJobKind; input: CurationJobInput<CurationJobKind> }[] = [
      { name: 'computeView sort by Ask-LLM score', kind: 'view', input: { view: { sort: { key: 'askllm', descending: true } }, inputs: { rowCount: ROWS, askllm: data.askllm } } },
      {
        name: `setSampler ${SAMPLER} + decisions + stats`,
        kind: 'decide',
        input: { rowCount: ROWS, ...data, sampler: { spec: sampler, seed: 0 }, statsOf: { askllm: true, density: true } },
      },
      {
        name: `compare ${SAMPLER} vs ${OTHER}`,
        kind: 'compare',
        input: { rowCount: ROWS, askllm: data.askllm, density: data.density, seed: 0, a: { text: SAMPLER, spec: sampler }, b: { text: OTHER, spec: parseSamplerSpec(OTHER) } },
      },
    ];

    const copy = data.askllm.slice();
    const sort = await measure(async () => copy.sort());
    const baseline = { name: 'Float64Array.sort of the 10M P(yes), main thread', value: sort.ms, unit: 'ms' };

    const results: BenchResult[] = [];
    for (const job of jobs) {
      const inWorker = await measure(() => runCurationJob(job.kind, job.input as never, { inWorker: true }));
      const inline = await measure(() => runCurationJob(job.kind, job.input as never, { inWorker: false }));
      results.push({
        name: `${job.name}, in the worker`,
        value: inWorker.ms,
        unit: 'ms',
        baseline,
        ratio: sort.ms / inWorker.ms,
        note: `inline (the old way) ${Math.round(inline.ms)} ms`,
      });
      results.push({
        name: `${job.name}: longest main-thread stall`,
        value: inWorker.stallMs,
        unit: 'ms',
        baseline: { name: 'stall when run inline on the main thread', value: inline.stallMs, unit: 'ms' },
        ratio: inline.stallMs / inWorker.stallMs,
        target: `< ${STALL_TARGET_MS} ms`,
        pass: inWorker.stallMs < STALL_TARGET_MS,
      });
    }
    return results;
  },
};
