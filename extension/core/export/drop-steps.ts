/**
 * Which sampler step dropped each row, for the reasons in the dropped-rows file. runSampler reports
 * only the final mask; a step's choices depend only on the rows entering it, the scores and the
 * seed (the random draws are keyed by step position), so running the spec's first n steps gives
 * exactly the rows alive after step n of the full run.
 */
import { runSampler, type SamplerInputs } from '../curate/sampler';
import { formatStep, type SamplerSpec } from '../curate/spec';

export interface DropSteps {
  /** Per row: 1 + the index of the step that dropped it, 0 if the sampler keeps it. */
  step: Uint8Array;
  /** The steps' canonical texts. */
  steps: string[];
}

/** Costs one sampler run per step (typed arrays only, no row text). */
export function samplerDropSteps(spec: SamplerSpec, inputs: SamplerInputs, seed = 0): DropSteps {
  if (spec.steps.length > 255) throw new RangeError(`a sampler spec of ${spec.steps.length} steps is more than drop steps can number`);
  const step = new Uint8Array(inputs.rowCount);
  let alive: Uint8Array | undefined;
  for (let n = 1; n <= spec.steps.length; n++) {
    const { keep } = runSampler({ steps: spec.steps.slice(0, n) }, inputs, seed);
    for (let row = 0; row < keep.length; row++) {
      if (keep[row] === 0 && (alive === undefined || alive[row] === 1)) step[row] = n;
    }
    alive = keep;
  }
  return { step, steps: spec.steps.map(formatStep) };
}
