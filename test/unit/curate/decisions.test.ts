import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../../extension/core/errors';
import {
  CHARS_PER_TOKEN, DECISION, OVERRIDE, SOURCE, compareSamplers, decide, decisionStats, overridesFrom,
  parseSamplerSpec, requireDecided, runSampler,
} from '../../../extension/core/curate';
import { keptRows, realScores } from './fixtures';

const real = realScores(3000);
const inputs = { rowCount: 3000, askllm: real.askllm, density: real.density };

test('overrides go on top of the sampler verdict in both directions', () => {
  const sampler = Uint8Array.from([1, 1, 0, 0, 1]);
  const overrides = overridesFrom(5, new Map([[1, 'drop'], [2, 'keep'], [4, 'keep']] as const));
  assert.deepEqual(Array.from(overrides), [0, OVERRIDE.drop, OVERRIDE.keep, 0, OVERRIDE.keep]);
  const d = decide(5, sampler, overrides);
  assert.deepEqual(Array.from(d.decision), [DECISION.keep, DECISION.drop, DECISION.keep, DECISION.drop, DECISION.keep]);
  assert.deepEqual(Array.from(d.source), [SOURCE.sampler, SOURCE.override, SOURCE.override, SOURCE.sampler, SOURCE.override]);
  assert.deepEqual(
    { kept: d.kept, dropped: d.dropped, undecided: d.undecided, keepOverrides: d.keepOverrides, dropOverrides: d.dropOverrides, changing: d.overridesChangingVerdict },
    { kept: 3, dropped: 2, undecided: 0, keepOverrides: 2, dropOverrides: 1, changing: 2 },
  );
  assert.doesNotThrow(() => requireDecided(d));
  // The sampler's own mask is not touched.
  assert.deepEqual(Array.from(sampler), [1, 1, 0, 0, 1]);
});

test('on a real sampler run, every override wins and the other rows keep the sampler verdict', () => {
  const { keep } = runSampler(parseSamplerSpec('askllm-top:0.3'), inputs);
  const entries: Array<[number, 'keep' | 'drop']> = [];
  for (let row = 0; row < 3000; row += 97) entries.push([row, keep[row] ? 'drop' : 'keep']);
  const d = decide(3000, keep, overridesFrom(3000, entries));
  const overridden = new Map(entries);
  for (let row = 0; row < 3000; row++) {
    const override = overridden.get(row);
    if (override) {
      assert.equal(d.decision[row], override === 'keep' ? DECISION.keep : DECISION.drop);
      assert.equal(d.source[row], SOURCE.override);
    } else {
      assert.equal(d.decision[row], keep[row]);
      assert.equal(d.source[row], SOURCE.sampler);
    }
  }
  assert.equal(d.overridesChangingVerdict, entries.length);
  const flipsToKeep = entries.filter(([, o]) => o === 'keep').length;
  assert.equal(d.kept, 900 + flipsToKeep - (entries.length - flipsToKeep));
});

test('without a sampler only overridden rows are decided, and export is refused with what to do', () => {
  const d = decide(10_000, undefined, overridesFrom(10_000, [[3, 'keep'], [8, 'drop'], [3, 'drop']]));
  assert.equal(d.decision[3], DECISION.drop); // later entries win
  assert.equal(d.decision[0], DECISION.undecided);
  assert.equal(d.source[0], SOURCE.none);
  assert.deepEqual([d.kept, d.dropped, d.undecided, d.overridesChangingVerdict], [0, 2, 9998, 0]);
  assert.throws(() => requireDecided(d), {
    name: 'UserError',
    message: 'no sampler is chosen, so 9,998 of 10,000 rows have no decision (only the 2 rows with a manual override do). ' +
      'Choose a sampler first, e.g. "random:1.0" to keep every row that no override drops.',
  });
  assert.equal(decide(4, undefined, undefined).undecided, 4);
  assert.throws(() => overridesFrom(10, [[10, 'keep']]), (err: unknown) => err instanceof UserError && /override names row 10, but the shard has 10 rows \(0 to 9\)/.test(err.message));
  assert.throws(() => decide(5, new Uint8Array(4), undefined), RangeError);
});

test('compareSamplers counts agreement and lists the rows only one sampler keeps', () => {
  const a = Uint8Array.from([1, 1, 0, 0, 1, 0]);
  const b = Uint8Array.from([1, 0, 1, 0, 1, 1]);
  const c = compareSamplers(a, b);
  assert.deepEqual({ ...c, onlyARows: Array.from(c.onlyARows), onlyBRows: Array.from(c.onlyBRows) }, {
    rowCount: 6, a: 3, b: 4, both: 2, onlyA: 1, onlyB: 2, neither: 1, jaccard: 2 / 5, onlyARows: [1], onlyBRows: [2, 5],
  });
  assert.equal(compareSamplers(new Uint8Array(3), new Uint8Array(3)).jaccard, 1);
  assert.throws(() => compareSamplers(a, new Uint8Array(2)), RangeError);
});

test('Ask-LLM and Density samplers pick very different rows on real text', () => {
  const quality = runSampler(parseSamplerSpec('askllm-top:0.3'), inputs).keep;
  const coverage = runSampler(parseSamplerSpec('density-ips:0.3'), inputs).keep;
  const c = compareSamplers(quality, coverage);
  assert.deepEqual([c.a, c.b, c.both + c.onlyA, c.both + c.onlyB, c.both + c.onlyA + c.onlyB + c.neither], [900, 900, 900, 900, 3000]);
  assert.deepEqual(Array.from(c.onlyARows), keptRows(quality).filter((row) => !coverage[row]));
  assert.deepEqual(Array.from(c.onlyBRows), keptRows(coverage).filter((row) => !quality[row]));
  assert.ok(c.jaccard > 0 && c.jaccard < 0.5, String(c.jaccard));
  assert.equal(compareSamplers(quality, quality).jaccard, 1);
});

test('decisionStats: counts, characters, token estimate, means and split histograms', () => {
  const decision = Uint8Array.from([DECISION.keep, DECISION.keep, DECISION.drop, DECISION.drop, DECISION.undecided, DECISION.keep]);
  const askllm = Float64Array.from([0.15, 1, 0.05, NaN, 0.5, 0.999]);
  const density = Float64Array.from([1, 100, 10, 0, NaN, 1000]);
  const chars = Uint32Array.from([400, 7, 10, 20, 30, 1]);
  const stats = decisionStats(decision, { askllm, density, chars });
  assert.deepEqual([stats.rowCount, stats.kept, stats.dropped, stats.undecided], [6, 3, 2, 1]);
  assert.deepEqual(stats.chars, { kept: 408, dropped: 30, undecided: 30 });
  assert.equal(stats.keptTokensEstimate, 408 / CHARS_PER_TOKEN);

  const p = stats.askllm!;
  assert.deepEqual(p.kept, { mean: (0.15 + 1 + 0.999) / 3, withScore: 3, missing: 0 });
  assert.deepEqual(p.dropped, { mean: 0.05, withScore: 1, missing: 1 });
  assert.equal(p.histogram.scale, 'linear');
  assert.equal(p.histogram.edges.length, 21);
  assert.equal(p.histogram.edges[3], 0.15);
  assert.equal(p.histogram.edges[20], 1);
  assert.equal(p.histogram.kept[3], 1); // 0.15 sits on an edge: the bin that starts there
  assert.equal(p.histogram.kept[19], 2); // 0.999 and 1 (the last bin includes its upper edge)
  assert.equal(p.histogram.dropped[1], 1);
  assert.equal(p.histogram.undecided[10], 1);
  assert.deepEqual(p.histogram.missing, { kept: 0, dropped: 1, undecided: 0 });

  const d = stats.density!;
  assert.equal(d.histogram.scale, 'log');
  assert.deepEqual(d.kept, { mean: 1101 / 3, withScore: 3, missing: 0 });
  assert.deepEqual(d.dropped, { mean: 10, withScore: 1, missing: 1 }); // density 0 is not a density
  assert.deepEqual(d.undecided, { mean: null, withScore: 0, missing: 1 });
  const edges = d.histogram.edges;
  assert.equal(edges.length, 31);
  assert.equal(edges[0], 1);
  assert.equal(edges[30], 1000);
  assert.ok(Math.abs(edges[10] - 10) < 1e-9 && Math.abs(edges[20] - 100) < 1e-9); // geometric: 1, 10, 100, 1000 every 10 bins
  assert.equal(d.histogram.kept[0], 1);
  assert.equal(d.histogram.kept[29], 1);
  assert.equal(d.histogram.kept.reduce((a, b) => a + b), 3);
  assert.ok(d.histogram.dropped[9] + d.histogram.dropped[10] === 1);
  assert.deepEqual(d.histogram.missing, { kept: 0, dropped: 1, undecided: 1 });
  assert.ok(JSON.stringify(stats).indexOf('NaN') < 0);
});

test('decisionStats on a real decision: histograms account for every row, kept rows score higher', () => {
  const { keep } = runSampler(parseSamplerSpec('askllm-top:0.3'), inputs);
  const askllm = real.askllm.slice();
  for (let row = 0; row < 3000; row += 50) askllm[row] = NaN; // not yet scored
  const d = decide(3000, keep, undefined);
  const stats = decisionStats(d.decision, { askllm, density: real.density, chars: real.chars });
  const total = real.texts.filter((_, row) => keep[row]).reduce((sum, t) => sum + t.length, 0);
  assert.equal(stats.chars!.kept, total);
  assert.equal(stats.keptTokensEstimate, Math.round(total / 4));
  for (const score of [stats.askllm!, stats.density!]) {
    const h = score.histogram;
    assert.equal(h.kept.reduce((a, b) => a + b) + h.missing.kept, 900);
    assert.equal(h.dropped.reduce((a, b) => a + b) + h.missing.dropped, 2100);
    assert.equal(h.edges.length, h.kept.length + 1);
  }
  assert.equal(stats.askllm!.kept.missing + stats.askllm!.dropped.missing, 60);
  assert.ok(stats.askllm!.kept.mean! > stats.askllm!.dropped.mean!);
  // No rows below the cut are kept: the kept histogram starts where the dropped one ends.
  const lastDroppedBin = stats.askllm!.histogram.dropped.findLastIndex((c) => c > 0);
  const firstKeptBin = stats.askllm!.histogram.kept.findIndex((c) => c > 0);
  assert.ok(firstKeptBin >= lastDroppedBin);
  // A single density value gives one bin rather than a zero-width scale.
  const flat = decisionStats(d.decision, { density: new Float64Array(3000).fill(4) }).density!.histogram;
  assert.deepEqual([flat.edges, flat.kept, flat.dropped], [[4, 4], [900], [2100]]);
  assert.deepEqual(decisionStats(d.decision, { density: new Float64Array(3000).fill(NaN) }).density!.histogram.edges, []);
});
