/**
 * Runs a sampler spec over whole-shard score arrays: no row text, no per-row objects. Each sized step
 * gives every entering row a key and keeps the `k` largest keys (quickselect for the threshold, ties
 * to the lower row number), so a run is O(n) on average and O(n log n) at worst per step.
 *
 * Keys per step kind:
 * - random: a seeded uniform draw u (RowUniform; depends only on seed, step position and row).
 * - askllm-top: P(yes). density-top: density. density-bottom: -density.
 * - density-ips: Efraimidis-Spirakis key u^(1/w) with IPS weight w = 1/density, taken in log space
 *   (log(u) / w = log(u) * density) so tiny weights do not underflow. The k largest keys are a
 *   weighted sample without replacement: each draw picks a remaining row with probability w / sum(w).
 */
import { UserError } from '../errors';
import { RowUniform } from './random';
import { kthSmallest } from './select';
import { SCORE_SOURCES, formatStep, stepKeepCount, stepKindInfo, type SamplerSpec, type SamplerStep, type StepKind } from './spec';

export interface SamplerInputs {
  rowCount: number;
  /** Ask-LLM P(yes) per row; NaN = not scored. */
  askllm?: Float64Array;
  /** Density per row (RACE estimate, >= 1); NaN = not computed. */
  density?: Float64Array;
}

export interface StepOutcome {
  /** The step's canonical text, e.g. `density-ips:0.5`. */
  step: string;
  kind: StepKind;
  entering: number;
  kept: number;
}

export interface SamplerResult {
  /** 1 = the sampler keeps the row, 0 = it drops it. */
  keep: Uint8Array;
  kept: number;
  steps: StepOutcome[];
}

const numberFormat = new Intl.NumberFormat('en-US');

/**
 * Runs `spec` over all rows. `seed` (a safe integer >= 0, default 0) makes every random choice;
 * the same spec, scores and seed give the same mask on every machine.
 * Throws UserError when a step needs a score that some entering rows lack (never treats it as 0).
 */
export function runSampler(spec: SamplerSpec, inputs: SamplerInputs, seed = 0): SamplerResult {
  const { rowCount } = inputs;
  if (!Number.isSafeInteger(rowCount) || rowCount < 0 || rowCount > 2 ** 32) throw new RangeError(`bad row count ${rowCount}`);
  for (const name of ['askllm', 'density'] as const) {
    const scores = inputs[name];
    if (scores && scores.length !== rowCount) throw new RangeError(`${name} has ${scores.length} values for ${rowCount} rows`);
  }
  if (!Number.isSafeInteger(seed) || seed < 0) throw new UserError(`the seed must be a whole number >= 0, not ${seed}`);

  const keep = new Uint8Array(rowCount).fill(1);
  let entering = rowCount;
  let keyBuffer: Float64Array | undefined;
  const steps: StepOutcome[] = [];
  spec.steps.forEach((step, position) => {
    const text = formatStep(step);
    const scores = checkedScores(step, `step ${position + 1} "${text}"`, inputs, keep, entering);
    let kept: number;
    if (step.kind === 'askllm-min') {
      kept = keepAtLeast(keep, scores!, step.threshold);
    } else {
      const k = stepKeepCount(step, entering);
      if (k < entering) {
        keyBuffer ??= new Float64Array(entering);
        keepLargestKeys(keep, entering, k, stepKey(step, scores, new RowUniform(seed, position)), keyBuffer.subarray(0, entering));
      }
      kept = k;
    }
    steps.push({ step: text, kind: step.kind, entering, kept });
    entering = kept;
  });
  return { keep, kept: entering, steps };
}

/** The score array a step needs, after checking every entering row has a usable value. */
function checkedScores(step: SamplerStep, where: string, inputs: SamplerInputs, keep: Uint8Array, entering: number): Float64Array | undefined {
  const needs = stepKindInfo(step.kind).needs;
  if (!needs) return undefined;
  const scores = inputs[needs];
  let missing = entering;
  let unusable = 0;
  let firstUnusable = -1;
  if (scores) {
    missing = 0;
    // IPS weights are 1/density: a density that is not a positive finite number has no weight.
    const needsPositive = step.kind === 'density-ips';
    for (let row = 0; row < keep.length; row++) {
      if (keep[row] === 0) continue;
      const value = scores[row];
      if (value !== value) missing++;
      else if (needsPositive && !(value > 0 && value < Infinity)) {
        if (unusable++ === 0) firstUnusable = row;
      }
    }
  }
  const source = SCORE_SOURCES[needs];
  if (missing > 0) {
    throw new UserError(
      `${where} needs ${source.withArticle} for every row it considers: ${numberFormat.format(missing)} of ` +
        `${numberFormat.format(entering)} rows have none. Run "${source.command}" (CLI: ${source.cli}) first.`,
    );
  }
  if (unusable > 0) {
    throw new UserError(
      `${where} weighs rows by 1/density, so every density must be a positive number: ${numberFormat.format(unusable)} of ` +
        `${numberFormat.format(entering)} rows have a density <= 0 or infinite (first: row ${firstUnusable}). ` +
        `Run "${source.command}" (CLI: ${source.cli}) again.`,
    );
  }
  return scores;
}

function keepAtLeast(keep: Uint8Array, scores: Float64Array, threshold: number): number {
  let kept = 0;
  for (let row = 0; row < keep.length; row++) {
    if (keep[row] === 0) continue;
    if (scores[row] >= threshold) kept++;
    else keep[row] = 0;
  }
  return kept;
}

function stepKey(step: Exclude<SamplerStep, { kind: 'askllm-min' }>, scores: Float64Array | undefined, uniform: RowUniform): (row: number) => number {
  switch (step.kind) {
    case 'random':
      return (row) => uniform.at(row);
    case 'askllm-top':
    case 'density-top':
      return (row) => scores![row];
    case 'density-bottom':
      return (row) => -scores![row];
    case 'density-ips':
      return (row) => Math.log(uniform.at(row)) * scores![row];
  }
}

/**
 * Keeps the `k` entering rows with the largest keys; among rows whose key equals the threshold the
 * lower row numbers are kept. Keys are computed twice (collect, then decide) rather than stored per
 * row, which saves a shard-sized array.
 */
function keepLargestKeys(keep: Uint8Array, entering: number, k: number, key: (row: number) => number, keys: Float64Array): void {
  let j = 0;
  for (let row = 0; row < keep.length; row++) if (keep[row] !== 0) keys[j++] = key(row);
  const threshold = kthSmallest(keys, entering - k);
  let above = 0;
  for (let i = 0; i < entering; i++) if (keys[i] > threshold) above++;
  let tiesLeft = k - above;
  for (let row = 0; row < keep.length; row++) {
    if (keep[row] === 0) continue;
    const value = key(row);
    if (value > threshold) continue;
    if (value === threshold && tiesLeft > 0) tiesLeft--;
    else keep[row] = 0;
  }
}
