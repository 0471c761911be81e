import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../../extension/core/errors';
import { RowUniform, parseSamplerSpec, runSampler, type SamplerInputs } from '../../../extension/core/curate';
import { keptRows, realScores } from './fixtures';

const real = realScores(3000);
const inputs: SamplerInputs = { rowCount: 3000, askllm: real.askllm, density: real.density };
const run = (spec: string, given: SamplerInputs = inputs, seed = 0) => runSampler(parseSamplerSpec(spec), given, seed);

function userError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof UserError, String(err));
    return err.message;
  }
  assert.fail('expected a UserError');
}

function mean(values: Float64Array, rows: number[]): number {
  return rows.reduce((sum, row) => sum + values[row], 0) / rows.length;
}

test('askllm-top keeps exactly the rows with the highest P(yes)', () => {
  const { keep, kept, steps } = run('askllm-top:0.3');
  assert.equal(kept, 900);
  assert.deepEqual(steps, [{ step: 'askllm-top:0.3', kind: 'askllm-top', entering: 3000, kept: 900 }]);
  const expected = [...real.askllm.keys()].sort((a, b) => real.askllm[b] - real.askllm[a] || a - b).slice(0, 900).sort((a, b) => a - b);
  assert.deepEqual(keptRows(keep), expected);
});

test('askllm-min keeps every row at or above the threshold', () => {
  const threshold = real.askllm[17]; // a real score, so the >= boundary is exercised
  const { keep, kept } = run(`askllm-min:${threshold}`);
  const expected = [...real.askllm.keys()].filter((row) => real.askllm[row] >= threshold);
  assert.deepEqual(keptRows(keep), expected);
  assert.equal(kept, expected.length);
  assert.ok(keep[17] === 1 && expected.length > 100 && expected.length < 2900);
});

test('density-top and density-bottom keep the densest and sparsest rows, ties to the lower row', () => {
  const order = [...real.density.keys()].sort((a, b) => real.density[a] - real.density[b] || a - b);
  const bottom = keptRows(run('density-bottom:500').keep);
  assert.deepEqual(bottom, order.slice(0, 500).sort((a, b) => a - b));
  const byDescending = [...real.density.keys()].sort((a, b) => real.density[b] - real.density[a] || a - b);
  const top = keptRows(run('density-top:0.1').keep);
  assert.deepEqual(top, byDescending.slice(0, 300).sort((a, b) => a - b));
  // The real densities are group sizes, so the cut falls inside a tie: the tie really was broken.
  const cut = real.density[byDescending[299]];
  assert.ok(real.density.filter((d) => d === cut).length > top.filter((row) => real.density[row] === cut).length);
});

test('ties are broken by row number, never by chance', () => {
  const flat = new Float64Array(10).fill(0.5);
  assert.deepEqual(keptRows(run('askllm-top:4', { rowCount: 10, askllm: flat }).keep), [0, 1, 2, 3]);
  const scores = Float64Array.from([0.9, 0.5, 0.5, 0.1, 0.5, 0.5, 0.9]);
  assert.deepEqual(keptRows(run('askllm-top:4', { rowCount: 7, askllm: scores }, 99).keep), [0, 1, 2, 6]);
  const density = Float64Array.from([3, 1, 2, 1, 1, 2]);
  assert.deepEqual(keptRows(run('density-bottom:2', { rowCount: 6, density }).keep), [1, 3]);
});

test('random keeps the requested number uniformly, and counts, fractions and rounding apply to rows entering', () => {
  assert.equal(run('random:0.5').kept, 1500);
  assert.equal(run('random:7').kept, 7);
  assert.equal(run('random:1').kept, 1);
  assert.equal(run('random:1.0').kept, 3000);
  assert.equal(run('random:5000').kept, 3000);
  assert.equal(run('random:0.5', { rowCount: 7 }).kept, 4);
  assert.equal(run('random:0.0001', { rowCount: 7 }).kept, 1);
  assert.equal(run('random:0.5', { rowCount: 0 }).kept, 0);
  const { steps } = run('random:0.5,random:0.5,random:3,random:0.999');
  assert.deepEqual(steps.map((s) => [s.entering, s.kept]), [[3000, 1500], [1500, 750], [750, 3], [3, 3]]);
});

test('a pipeline applies each step to the survivors of the previous one', () => {
  const { keep, steps } = run('askllm-min:0.5,density-ips:0.5');
  const survivors = [...real.askllm.keys()].filter((row) => real.askllm[row] >= 0.5);
  assert.equal(steps[0].kept, survivors.length);
  assert.equal(steps[1].entering, survivors.length);
  assert.equal(steps[1].kept, Math.round(survivors.length * 0.5));
  const kept = keptRows(keep);
  assert.equal(kept.length, steps[1].kept);
  assert.ok(kept.every((row) => real.askllm[row] >= 0.5));
  // Density is needed only for the rows entering density-ips: rows askllm-min drops may lack it.
  const density = real.density.slice();
  for (let row = 0; row < 3000; row++) if (real.askllm[row] < 0.5) density[row] = NaN;
  assert.deepEqual(run('askllm-min:0.5,density-ips:0.5', { ...inputs, density }).keep, keep);
});

test('same seed gives the same mask, another seed another; the verdict is pinned across machines', () => {
  for (const spec of ['random:0.3', 'density-ips:0.3', 'askllm-min:0.4,density-ips:100']) {
    assert.deepEqual(run(spec, inputs, 5).keep, run(spec, inputs, 5).keep, spec);
    assert.notDeepEqual(run(spec, inputs, 5).keep, run(spec, inputs, 6).keep, spec);
  }
  assert.notDeepEqual(run('random:0.5', inputs, 2 ** 40).keep, run('random:0.5', inputs, 0).keep);
  // Golden values: changing the generator would silently change every recipe's result.
  assert.deepEqual(keptRows(run('random:5', { rowCount: 100 }, 42).keep), GOLDEN_RANDOM);
  assert.deepEqual(keptRows(run('density-ips:5', inputs, 7).keep), GOLDEN_IPS);
  assert.equal(new RowUniform(0, 0).at(0), GOLDEN_FIRST_DRAW);
  assert.throws(() => run('random:1', inputs, -1), /the seed must be a whole number >= 0, not -1/);
  assert.throws(() => run('random:1', inputs, 1.5), UserError);
});

const GOLDEN_RANDOM = [9, 18, 34, 43, 93];
const GOLDEN_IPS = [407, 1000, 1351, 1981, 2092];
const GOLDEN_FIRST_DRAW = 0.14549861470313574;

test("a row's draw depends only on (seed, step, row), not on iteration order or the other rows", () => {
  const uniform = new RowUniform(3, 1);
  const forward = Array.from({ length: 1000 }, (_, row) => uniform.at(row));
  const shuffled = [...forward.keys()].sort((a, b) => ((a * 7919) % 1000) - ((b * 7919) % 1000));
  for (const row of shuffled) assert.equal(new RowUniform(3, 1).at(row), forward[row]);
  assert.equal(new Set(forward).size, 1000);
  assert.ok(forward.every((u) => u > 0 && u < 1));
  // Appending rows that an earlier step filters out does not change the verdict on the others.
  const grown = { rowCount: 4000, askllm: new Float64Array(4000), density: new Float64Array(4000).fill(1) };
  grown.askllm.set(real.askllm);
  grown.density.set(real.density);
  const before = run('askllm-min:0.3,density-ips:200', inputs, 11).keep;
  const after = run('askllm-min:0.3,density-ips:200', grown, 11).keep;
  assert.deepEqual(after.subarray(0, 3000), before);
  // And the random step keeps exactly the survivors with the largest draws of step 2 (position 1).
  const survivors = [...real.askllm.keys()].filter((row) => real.askllm[row] >= 0.3);
  const draw = new RowUniform(11, 1);
  const expected = survivors.sort((a, b) => draw.at(b) - draw.at(a)).slice(0, 50).sort((a, b) => a - b);
  assert.deepEqual(keptRows(run('askllm-min:0.3,random:50', inputs, 11).keep), expected);
});

/** Selection counts of each row over `draws` seeded single draws, and per-row binomial z-scores against `expected`. */
function zScores(counts: number[], expected: number[], draws: number): number[] {
  return counts.map((c, i) => (c - draws * expected[i]) / Math.sqrt(draws * expected[i] * (1 - expected[i])));
}

test('density-ips picks each row with probability (1/density) / sum(1/density); density-proportional fails the same test', () => {
  const density = Float64Array.from([1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144]);
  const n = density.length;
  const draws = 40_000;
  const counts = new Array<number>(n).fill(0);
  const wrongCounts = new Array<number>(n).fill(0);
  for (let seed = 0; seed < draws; seed++) {
    counts[runSampler(parseSamplerSpec('density-ips:1'), { rowCount: n, density }, seed).keep.indexOf(1)]++;
    // The deliberate mistake of the paper's printed Algorithm 2: weights proportional to density.
    const uniform = new RowUniform(seed, 0);
    let best = 0;
    for (let row = 1; row < n; row++) if (Math.log(uniform.at(row)) / density[row] > Math.log(uniform.at(best)) / density[best]) best = row;
    wrongCounts[best]++;
  }
  const inverse = Array.from(density, (d) => 1 / d);
  const inverseTotal = inverse.reduce((a, b) => a + b);
  const ipsExpected = inverse.map((w) => w / inverseTotal);
  const densityTotal = density.reduce((a, b) => a + b);
  const proportionalExpected = Array.from(density, (d) => d / densityTotal);

  // Tolerance: every row within 4.5 sigma (a false alarm over 12 rows has probability ~1e-4).
  const z = zScores(counts, ipsExpected, draws);
  assert.ok(z.every((v) => Math.abs(v) < 4.5), `IPS frequencies off: z = ${z.map((v) => v.toFixed(1)).join(', ')}`);
  // The rarest-weighted row (density 144) is still drawn often enough for the test to mean something.
  assert.ok(draws * ipsExpected[n - 1] > 50);
  // The wrong implementation is consistent with its own (wrong) law, so the harness is sound ...
  assert.ok(zScores(wrongCounts, proportionalExpected, draws).every((v) => Math.abs(v) < 4.5));
  // ... and clearly fails the IPS test.
  assert.ok(Math.max(...zScores(wrongCounts, ipsExpected, draws).map(Math.abs)) > 50);
});

test('random picks every row equally often', () => {
  const n = 10;
  const draws = 20_000;
  const counts = new Array<number>(n).fill(0);
  for (let seed = 0; seed < draws; seed++) counts[runSampler(parseSamplerSpec('random:1'), { rowCount: n }, seed).keep.indexOf(1)]++;
  const z = zScores(counts, new Array<number>(n).fill(1 / n), draws);
  assert.ok(z.every((v) => Math.abs(v) < 4.5), z.join(', '));
});

test('density-ips keys live in log space: huge densities do not underflow into ties', () => {
  // u^(1/w) with w = 1/1e6 is 0 for every u in floating point; every row would tie and row 0 always win.
  const density = new Float64Array(4).fill(1e6);
  const counts = [0, 0, 0, 0];
  for (let seed = 0; seed < 4000; seed++) counts[runSampler(parseSamplerSpec('density-ips:1'), { rowCount: 4, density }, seed).keep.indexOf(1)]++;
  const z = zScores(counts, [0.25, 0.25, 0.25, 0.25], 4000);
  assert.ok(z.every((v) => Math.abs(v) < 4.5), counts.join(', '));
});

test('density-ips with a fraction keeps low-density rows more often', () => {
  const { keep } = run('density-ips:0.3', inputs, 1);
  const kept = keptRows(keep);
  const dropped = [...real.density.keys()].filter((row) => keep[row] === 0);
  assert.ok(mean(real.density, kept) < 0.8 * mean(real.density, dropped), `${mean(real.density, kept)} vs ${mean(real.density, dropped)}`);
  const rate = (mask: Uint8Array, lo: number, hi: number) => {
    const rows = [...real.density.keys()].filter((row) => real.density[row] >= lo && real.density[row] < hi);
    return rows.filter((row) => mask[row]).length / rows.length;
  };
  // Rare rows (density < 20) are kept at 3x the rate of the densest (>= 200); random keeps both at ~0.3.
  assert.ok(rate(keep, 1, 20) > 3 * rate(keep, 200, Infinity), `${rate(keep, 1, 20)} vs ${rate(keep, 200, Infinity)}`);
  const random = run('random:0.3', inputs, 1).keep;
  assert.ok(Math.abs(rate(random, 200, Infinity) - 0.3) < 0.05 && rate(keep, 200, Infinity) < 0.25);
  // Unlike density-bottom it still keeps rows of the densest regions (coverage).
  assert.ok(rate(keep, 200, Infinity) > 0.1);
  assert.equal(keptRows(run('density-bottom:0.3').keep).filter((row) => real.density[row] >= 200).length, 0);
});

test('a step that lacks its score names the count and the command that computes it', () => {
  const askllm = new Float64Array(10_000).fill(0.5);
  for (let row = 0; row < 1234; row++) askllm[row * 8] = NaN;
  assert.equal(
    userError(() => run('askllm-top:0.3', { rowCount: 10_000, askllm })),
    'step 1 "askllm-top:0.3" needs an Ask-LLM score for every row it considers: 1,234 of 10,000 rows have none. ' +
      'Run "Shard Curator: Score All Rows with Ask-LLM" (CLI: shard-curator score <shard>) first.',
  );
  assert.match(userError(() => run('askllm-min:0.1', { rowCount: 10_000, askllm })), /^step 1 "askllm-min:0.1" needs an Ask-LLM score .* 1,234 of 10,000 rows have none/);
  assert.equal(
    userError(() => run('random:0.5,density-ips:0.5', { rowCount: 3000 })),
    'step 2 "density-ips:0.5" needs a density for every row it considers: 1,500 of 1,500 rows have none. ' +
      'Run "Shard Curator: Compute Density" (CLI: shard-curator density <shard>) first.',
  );
  // Even a step that would keep every row needs its score: missing is never read as 0.
  assert.match(userError(() => run('density-top:1.0', { rowCount: 3, density: Float64Array.from([1, NaN, 2]) })), /1 of 3 rows have none/);
  const density = real.density.slice();
  density[5] = 0;
  density[9] = Infinity;
  assert.equal(
    userError(() => run('density-ips:0.5', { ...inputs, density })),
    'step 1 "density-ips:0.5" weighs rows by 1/density, so every density must be a positive number: 2 of 3,000 rows have ' +
      'a density <= 0 or infinite (first: row 5). Run "Shard Curator: Compute Density" (CLI: shard-curator density <shard>) again.',
  );
  assert.equal(run('density-top:0.5', { ...inputs, density }).kept, 1500);
});
