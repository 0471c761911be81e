import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../../extension/core/errors';
import {
  STEP_KINDS, formatSamplerSpec, parseSamplerSpec, samplerSpecHelp, scoresNeeded, stepKeepCount,
} from '../../../extension/core/curate';

function parseError(text: string): string {
  try {
    parseSamplerSpec(text);
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError for ${JSON.stringify(text)}, got ${String(err)}`);
    return err.message;
  }
  assert.fail(`expected ${JSON.stringify(text)} to be rejected`);
}

test('parses every step kind, fractions vs counts vs thresholds', () => {
  assert.deepEqual(parseSamplerSpec('askllm-min:0.2,density-ips:0.5'), {
    steps: [{ kind: 'askllm-min', threshold: 0.2 }, { kind: 'density-ips', fraction: 0.5 }],
  });
  assert.deepEqual(parseSamplerSpec(' Random : 1000 , askllm-top:.3, density-top:1.0,density-bottom:5e-3,askllm-min:1').steps, [
    { kind: 'random', count: 1000 },
    { kind: 'askllm-top', fraction: 0.3 },
    { kind: 'density-top', fraction: 1 },
    { kind: 'density-bottom', fraction: 0.005 },
    { kind: 'askllm-min', threshold: 1 },
  ]);
  // A plain integer is a count, a decimal point makes a fraction: random:1 keeps one row, random:1.0 all.
  assert.deepEqual(parseSamplerSpec('random:1').steps, [{ kind: 'random', count: 1 }]);
  assert.deepEqual(parseSamplerSpec('random:1.0').steps, [{ kind: 'random', fraction: 1 }]);
  assert.deepEqual(parseSamplerSpec('askllm-min:0').steps, [{ kind: 'askllm-min', threshold: 0 }]);
});

test('formats specs canonically and round-trips', () => {
  const texts = ['askllm-min:0.2,density-ips:0.5', 'random:1.0', 'random:1', 'density-bottom:0.005', 'askllm-top:123456', 'askllm-min:1', 'random:1e-7'];
  for (const text of texts) assert.equal(formatSamplerSpec(parseSamplerSpec(text)), text);
  assert.equal(formatSamplerSpec(parseSamplerSpec(' RANDOM: 1.00 ,density-ips : .50')), 'random:1.0,density-ips:0.5');
  const spec = parseSamplerSpec('density-bottom:0.000001,askllm-min:0.25');
  assert.deepEqual(parseSamplerSpec(formatSamplerSpec(spec)), spec);
});

test('every parse error says which step, what is wrong and what is allowed', () => {
  assert.equal(parseError('density-top:0.5,density-ips:1.5'), 'step 2 "density-ips:1.5": the fraction must be in (0, 1] or an integer count >= 1, e.g. "density-ips:0.5" or "density-ips:1000"');
  for (const bad of ['random:0', 'random:0.0', 'random:-1', 'random:abc', 'random:1e3', 'random:0.5:2', 'random:99999999999999999999']) {
    assert.match(parseError(bad), /^step 1 ".+": the fraction must be in \(0, 1\] or an integer count >= 1/, bad);
  }
  assert.equal(parseError('random:0.5,top:0.5'), 'step 2 "top:0.5": unknown step "top"; known steps: random, askllm-top, askllm-min, density-ips, density-top, density-bottom');
  assert.equal(parseError(':0.5'), 'step 1 ":0.5": the step name is missing; known steps: random, askllm-top, askllm-min, density-ips, density-top, density-bottom');
  assert.equal(parseError('askllm-min:1.2'), 'step 1 "askllm-min:1.2": the threshold must be a P(yes) between 0 and 1, e.g. "askllm-min:0.2"');
  assert.match(parseError('askllm-min:-0.1'), /the threshold must be a P\(yes\) between 0 and 1/);
  assert.equal(parseError('random'), 'step 1 "random": missing the value after "random:"; the fraction must be in (0, 1] or an integer count >= 1, e.g. "random:0.5" or "random:1000"');
  assert.equal(parseError('askllm-min: '), 'step 1 "askllm-min:": missing the value after "askllm-min:"; the threshold must be a P(yes) between 0 and 1, e.g. "askllm-min:0.2"');
  assert.equal(parseError('random:0.5,,random:3'), 'step 2 is empty: separate steps with single commas, e.g. "askllm-min:0.2,density-ips:0.5"');
  assert.equal(parseError('random:0.5,'), 'step 2 is empty: separate steps with single commas, e.g. "askllm-min:0.2,density-ips:0.5"');
  assert.equal(parseError('   '), 'the sampler spec is empty: write one or more steps separated by commas, e.g. "askllm-min:0.2,density-ips:0.5"');
});

test('fractions round half up and keep at least one row; counts cap at the rows entering', () => {
  const fraction = (f: number) => ({ kind: 'random' as const, fraction: f });
  assert.equal(stepKeepCount(fraction(0.5), 7), 4);
  assert.equal(stepKeepCount(fraction(0.7), 5), 4); // 0.7 * 5 is 3.4999999999999996 in binary
  assert.equal(stepKeepCount(fraction(0.3), 5), 2); // 1.5
  assert.equal(stepKeepCount(fraction(0.34), 5), 2); // 1.7
  assert.equal(stepKeepCount(fraction(0.29), 5), 1); // 1.45
  assert.equal(stepKeepCount(fraction(0.001), 100), 1);
  assert.equal(stepKeepCount(fraction(0.001), 0), 0);
  assert.equal(stepKeepCount(fraction(1), 12345), 12345);
  assert.equal(stepKeepCount(fraction(0.123456), 10_000_000), 1_234_560);
  assert.equal(stepKeepCount({ kind: 'random', count: 5 }, 3), 3);
  assert.equal(stepKeepCount({ kind: 'random', count: 5 }, 30), 5);
});

test('STEP_KINDS drives the help text and the score requirements', () => {
  const help = samplerSpecHelp();
  for (const info of STEP_KINDS) {
    assert.ok(help.includes(info.description), info.kind);
    assert.doesNotThrow(() => parseSamplerSpec(info.example));
  }
  assert.deepEqual(STEP_KINDS.filter((k) => !k.coveragePreserving && k.needs === 'density').map((k) => k.kind), ['density-top', 'density-bottom']);
  assert.match(STEP_KINDS.find((k) => k.kind === 'density-top')!.label, /not coverage-preserving/);
  assert.deepEqual(scoresNeeded(parseSamplerSpec('random:0.5,density-ips:0.5,askllm-min:0.1,density-top:3')), ['density', 'askllm']);
  assert.deepEqual(scoresNeeded(parseSamplerSpec('random:0.5')), []);
});
