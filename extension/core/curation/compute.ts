/**
 * The curation model's whole-shard computations (views, sampler + decisions + stats, comparison,
 * drop steps) as jobs over typed arrays. One code path: `runCurationJob` runs the same handler either
 * inline (small shards, no thread start-up) or in the `curation` worker thread (large shards, so the
 * extension host's main thread never stalls on a 10M-row pass).
 *
 * No copies of the big arrays per job: the model keeps its arrays on SharedArrayBuffers (see
 * toShared), which postMessage shares instead of copying, and the worker puts the arrays the model
 * keeps and sends back later (verdicts, decisions) on SharedArrayBuffers too. A view's row order is
 * transferred. Aborting a job terminates its thread, so a superseded job stops using the CPU at once.
 */
import { CancelledError, UserError, throwIfAborted } from '../errors';
import { runWorker, WorkerError } from '../run/workers';
import { compareSamplers } from '../curate/compare';
import { decide, type Decisions } from '../curate/decisions';
import { runSampler, type SamplerInputs, type SamplerResult } from '../curate/sampler';
import type { SamplerSpec } from '../curate/spec';
import { decisionStats, type DecisionStats } from '../curate/stats';
import { samplerDropSteps, type DropSteps } from '../export/drop-steps';
import type { SamplerComparisonView, ViewSpec } from '../../protocol';
import { computeViewRows, type ViewInputs } from './view';

/** A sampler's verdicts, or why it cannot decide (a step needs scores some rows lack). */
export interface SamplerOutcome {
  result?: SamplerResult;
  error?: string;
}

export interface DecideInput extends SamplerInputs {
  /** null: no sampler, rows without an override stay undecided. */
  sampler: { spec: SamplerSpec; seed: number; outcome?: SamplerOutcome } | null;
  overrides: Int8Array;
  chars: Uint32Array;
  /** Which of `askllm` / `density` the stats cover (the sampler may need a score the panels do not show). */
  statsOf: { askllm: boolean; density: boolean };
}

export interface DecideOutcome {
  /** undefined without a sampler. */
  sampler?: SamplerOutcome;
  decisions: Decisions;
  stats: DecisionStats;
  /** Rows with a density value. */
  densityRows: number;
}

export interface CompareInput extends SamplerInputs {
  a: { text: string; spec: SamplerSpec };
  b: { text: string; spec: SamplerSpec };
  seed: number;
}

export interface CompareOutcome extends SamplerComparisonView {
  /** The two samplers' keep masks, for the `compare` view filter. */
  keepA: Uint8Array;
  keepB: Uint8Array;
}

export interface DropStepsInput extends SamplerInputs {
  spec: SamplerSpec;
  seed: number;
}

/** The sampler's verdict (reused when given), the overrides on top, and the stats the panels show. */
function decideJob(input: DecideInput): DecideOutcome {
  let sampler: SamplerOutcome | undefined;
  if (input.sampler) {
    sampler = input.sampler.outcome;
    if (!sampler) {
      try {
        sampler = { result: runSampler(input.sampler.spec, input, input.sampler.seed) };
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        sampler = { error: err.message };
      }
    }
  }
  const decisions = decide(input.rowCount, sampler?.result?.keep, input.overrides);
  const stats = decisionStats(decisions.decision, {
    askllm: input.statsOf.askllm ? input.askllm : undefined,
    density: input.statsOf.density ? input.density : undefined,
    chars: input.chars,
  });
  let densityRows = 0;
  const density = input.density;
  if (density) for (let row = 0; row < density.length; row++) if (density[row] === density[row]) densityRows++;
  return { sampler, decisions, stats, densityRows };
}

function compareJob(input: CompareInput): CompareOutcome {
  const run = ({ text, spec }: CompareInput['a'], which: string) => {
    try {
      return runSampler(spec, input, input.seed).keep;
    } catch (err) {
      if (err instanceof UserError) throw new UserError(`sampler ${which} (${text}): ${err.message}`, { cause: err });
      throw err;
    }
  };
  const keepA = run(input.a, 'A');
  const keepB = run(input.b, 'B');
  const { a, b, both, onlyA, onlyB, jaccard } = compareSamplers(keepA, keepB);
  return { a, b, both, onlyA, onlyB, jaccard, keepA, keepB };
}

const handlers = {
  view: (input: { view: ViewSpec; inputs: ViewInputs }) => computeViewRows(input.view, input.inputs),
  decide: decideJob,
  compare: compareJob,
  dropSteps: (input: DropStepsInput): DropSteps => samplerDropSteps(input.spec, input, input.seed),
};

type Handlers = typeof handlers;
export type CurationJobKind = keyof Handlers;
export type CurationJobInput<K extends CurationJobKind> = Parameters<Handlers[K]>[0];
export type CurationJobResult<K extends CurationJobKind> = ReturnType<Handlers[K]>;
export type CurationRequest = { [K in CurationJobKind]: { kind: K; input: CurationJobInput<K> } }[CurationJobKind];

type SharableArray = Float64Array | Uint32Array | Uint8Array | Int8Array;

/** `array` on a SharedArrayBuffer (a copy unless it already is): posting it to a worker then shares it. */
export function toShared<T extends SharableArray>(array: T): T {
  if (array.buffer instanceof SharedArrayBuffer) return array;
  const Type = array.constructor as new (buffer: SharedArrayBuffer) => T;
  const shared = new Type(new SharedArrayBuffer(array.byteLength));
  shared.set(array as never);
  return shared;
}

/**
 * The worker side: runs a job and readies its result for the trip back. The arrays the model keeps
 * and may send to a later job move to SharedArrayBuffers here, off the main thread; the rest
 * is transferred (the second element).
 */
export function serveCurationRequest(request: CurationRequest): { result: unknown; transfer: ArrayBuffer[] } {
  switch (request.kind) {
    case 'view': {
      const rows = handlers.view(request.input);
      return { result: rows, transfer: rows ? [rows.buffer as ArrayBuffer] : [] };
    }
    case 'decide': {
      const outcome = handlers.decide(request.input);
      const result = outcome.sampler?.result;
      if (result) result.keep = toShared(result.keep);
      outcome.decisions.decision = toShared(outcome.decisions.decision);
      outcome.decisions.source = toShared(outcome.decisions.source);
      return { result: outcome, transfer: [] };
    }
    case 'compare': {
      const outcome = handlers.compare(request.input);
      outcome.keepA = toShared(outcome.keepA);
      outcome.keepB = toShared(outcome.keepB);
      return { result: outcome, transfer: [] };
    }
    case 'dropSteps': {
      const steps = handlers.dropSteps(request.input);
      return { result: steps, transfer: [steps.step.buffer as ArrayBuffer] };
    }
  }
}

/**
 * Runs a curation job in the `curation` worker (inWorker) or inline. Aborting `signal` terminates
 * the worker and rejects with CancelledError; an inline job, already done by then, is discarded the
 * same way. A UserError in the worker arrives as a UserError with its message.
 */
export async function runCurationJob<K extends CurationJobKind>(
  kind: K,
  input: CurationJobInput<K>,
  options: { inWorker: boolean; signal?: AbortSignal },
): Promise<CurationJobResult<K>> {
  const { signal } = options;
  throwIfAborted(signal);
  if (!options.inWorker) {
    const result = (handlers[kind] as (input: CurationJobInput<K>) => CurationJobResult<K>)(input);
    if (signal?.aborted) throw new CancelledError();
    return result;
  }
  try {
    return await runWorker<CurationRequest, never, CurationJobResult<K>>('curation', { kind, input } as CurationRequest, { signal });
  } catch (err) {
    if (err instanceof WorkerError && (err.originalName === 'UserError' || err.originalName === 'ShardError')) throw new UserError(err.message, { cause: err });
    throw err;
  }
}
