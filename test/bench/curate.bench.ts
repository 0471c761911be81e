/**
 * Samplers over a 10M-row shard's score arrays (synthetic scores; no text is needed to decide).
 * Target from the issue: a 10M-row shard samples in about a second or two. Baseline: the native
 * Float64Array sort of the same 10M P(yes) values, measured in the same run.
 */
import { seededRandom } from '../fixtures/corpus';
import { parseSamplerSpec, runSampler } from '../../extension/core/curate';
import { inChild, timed, type Bench, type BenchResult } from './lib';

const ROWS = 10_000_000;
const SPECS = ['askllm-min:0.2,density-ips:0.5', 'askllm-top:0.3'];

/** P(yes) skewed towards 0 like real judges, density log-normal >= 1 like RACE scores; both with ties. */
function syntheticScores(rows: number): { askllm: Float64Array; density: Float64Array } {
  const random = seededRandom(11);
  const askllm = new Float64Array(rows);
  const density = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    const u = random();
    askllm[row] = Math.round(u * u * 10000) / 10000;
    density[row] = 1 + Math.round(Math.exp(3 * random() * random() * 3));
  }
  return { askllm, density };
}

/** Run in a child: builds the inputs and, unless `spec` is empty, runs the sampler once. */
export function samplerPeak(spec: string, rows: number): number {
  const { askllm, density } = syntheticScores(rows);
  return spec ? runSampler(parseSamplerSpec(spec), { rowCount: rows, askllm, density }).kept : 0;
}

export const bench: Bench = {
  title: 'curate: samplers on 10M rows',
  async run(): Promise<BenchResult[]> {
    const { askllm, density } = syntheticScores(ROWS);
    const results: BenchResult[] = [];
    const baselineCopy = askllm.slice();
    const sort = await timed(() => baselineCopy.sort());
    const baseline = { name: 'Float64Array.sort of the 10M P(yes)', value: sort.ms, unit: 'ms' };
    for (const spec of SPECS) {
      const parsed = parseSamplerSpec(spec);
      runSampler(parsed, { rowCount: 100_000, askllm: askllm.subarray(0, 100_000), density: density.subarray(0, 100_000) }); // warm up the JIT
      const { ms, value } = await timed(() => runSampler(parsed, { rowCount: ROWS, askllm, density }));
      results.push({
        name: `runSampler ${spec}`,
        value: ms,
        unit: 'ms',
        baseline,
        ratio: sort.ms / ms,
        target: '< 2,000 ms',
        pass: ms < 2000,
        note: `${Math.round(ROWS / (ms / 1000)).toLocaleString('en-US')} rows/s, kept ${value.kept.toLocaleString('en-US')}`,
      });
    }
    const inputsOnly = inChild<number>(__filename, 'samplerPeak', ['', ROWS]);
    const withSampler = inChild<number>(__filename, 'samplerPeak', [SPECS[0], ROWS]);
    results.push({
      name: `peak RSS, ${SPECS[0]} on 10M rows`,
      value: withSampler.peakRssMb,
      unit: 'MB',
      baseline: { name: 'building the two 10M score arrays only', value: inputsOnly.peakRssMb, unit: 'MB' },
      ratio: inputsOnly.peakRssMb / withSampler.peakRssMb,
      note: `sampler adds ${Math.round(withSampler.peakRssMb - inputsOnly.peakRssMb)} MB`,
    });
    return results;
  },
};
