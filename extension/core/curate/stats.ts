/**
 * What a set of decisions keeps: row and character counts, an estimated token count, the mean
 * Ask-LLM score and density of kept vs dropped rows, and histograms split by decision with shared bin
 * edges, ready for the webview to draw (plain numbers, JSON-safe: no NaN, no typed arrays).
 */
import { DECISION } from './decisions';

/**
 * Characters per token for the estimate: about 4 for English prose under GPT-style BPE tokenizers.
 * Code, other languages and other tokenizers differ; the figure is an estimate, never a count.
 */
export const CHARS_PER_TOKEN = 4;

export interface Histogram {
  scale: 'linear' | 'log';
  /**
   * bins + 1 ascending edges shared by every split; bin i holds [edges[i], edges[i+1]) and the last bin
   * also its upper edge. Empty (no bins) when no row has a value.
   */
  edges: number[];
  kept: number[];
  dropped: number[];
  undecided: number[];
  /** Rows without a usable value, by decision. */
  missing: { kept: number; dropped: number; undecided: number };
}

export interface ScoreMean {
  /** Mean over the rows that have the score; null when none has it. */
  mean: number | null;
  withScore: number;
  missing: number;
}

export interface ScoreStats {
  kept: ScoreMean;
  dropped: ScoreMean;
  undecided: ScoreMean;
  histogram: Histogram;
}

export interface DecisionStats {
  rowCount: number;
  kept: number;
  dropped: number;
  undecided: number;
  /** Present when character counts were given. */
  chars?: { kept: number; dropped: number; undecided: number };
  /** round(kept characters / CHARS_PER_TOKEN): an estimate, see CHARS_PER_TOKEN. */
  keptTokensEstimate?: number;
  /** P(yes) stats, over rows whose score is not NaN; values are binned on [0, 1]. */
  askllm?: ScoreStats;
  /**
   * Density stats, over rows with a positive finite density (RACE estimates are >= 1; anything else
   * counts as missing). Binned on a log scale between the smallest and largest density.
   */
  density?: ScoreStats;
}

export interface DecisionStatsInputs {
  askllm?: Float64Array;
  density?: Float64Array;
  /** Characters of each row's text. */
  chars?: ArrayLike<number>;
}

export function decisionStats(decision: Uint8Array, inputs: DecisionStatsInputs, options: { askllmBins?: number; densityBins?: number } = {}): DecisionStats {
  const rowCount = decision.length;
  for (const name of ['askllm', 'density', 'chars'] as const) {
    const values = inputs[name];
    if (values && values.length !== rowCount) throw new RangeError(`${name} has ${values.length} values for ${rowCount} rows`);
  }
  const rows = [0, 0, 0];
  for (let row = 0; row < rowCount; row++) rows[decision[row]]++;
  const stats: DecisionStats = { rowCount, kept: rows[DECISION.keep], dropped: rows[DECISION.drop], undecided: rows[DECISION.undecided] };

  if (inputs.chars) {
    const chars = [0, 0, 0];
    const perRow = inputs.chars;
    for (let row = 0; row < rowCount; row++) chars[decision[row]] += perRow[row];
    stats.chars = { kept: chars[DECISION.keep], dropped: chars[DECISION.drop], undecided: chars[DECISION.undecided] };
    stats.keptTokensEstimate = Math.round(chars[DECISION.keep] / CHARS_PER_TOKEN);
  }
  if (inputs.askllm) stats.askllm = scoreStats(decision, rows, inputs.askllm, 'linear', options.askllmBins ?? 20);
  if (inputs.density) stats.density = scoreStats(decision, rows, inputs.density, 'log', options.densityBins ?? 30);
  return stats;
}

/** `totals`: rows per decision value. */
function scoreStats(decision: Uint8Array, totals: number[], values: Float64Array, scale: Histogram['scale'], bins: number): ScoreStats {
  const usable = scale === 'log' ? (v: number) => v > 0 && v < Infinity : (v: number) => v === v;
  const sums = [0, 0, 0];
  const counts = [0, 0, 0];
  let min = Infinity;
  let max = -Infinity;
  for (let row = 0; row < values.length; row++) {
    const v = values[row];
    if (!usable(v)) continue;
    const d = decision[row];
    sums[d] += v;
    counts[d]++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = (d: number): ScoreMean => ({ mean: counts[d] > 0 ? sums[d] / counts[d] : null, withScore: counts[d], missing: totals[d] - counts[d] });

  const withValue = counts[0] + counts[1] + counts[2];
  const histogram: Histogram = {
    scale,
    edges: [],
    kept: [],
    dropped: [],
    undecided: [],
    missing: { kept: totals[DECISION.keep] - counts[DECISION.keep], dropped: totals[DECISION.drop] - counts[DECISION.drop], undecided: totals[DECISION.undecided] - counts[DECISION.undecided] },
  };
  if (withValue > 0) {
    // P(yes) always gets the full [0, 1] range so histograms of different runs line up.
    const lo = scale === 'log' ? Math.log(min) : 0;
    const hi = scale === 'log' ? Math.log(max) : 1;
    const binCount = hi > lo ? bins : 1;
    const span = hi - lo;
    const perDecision = [new Array<number>(binCount).fill(0), new Array<number>(binCount).fill(0), new Array<number>(binCount).fill(0)];
    for (let row = 0; row < values.length; row++) {
      const v = values[row];
      if (!usable(v)) continue;
      const position = scale === 'log' ? Math.log(v) : v;
      let bin = span > 0 ? Math.floor(((position - lo) * binCount) / span) : 0;
      if (bin < 0) bin = 0;
      else if (bin >= binCount) bin = binCount - 1;
      perDecision[decision[row]][bin]++;
    }
    for (let i = 0; i <= binCount; i++) {
      const edge = lo + (span * i) / binCount;
      histogram.edges.push(scale === 'linear' ? edge : i === 0 ? min : i === binCount ? max : Math.exp(edge));
    }
    histogram.kept = perDecision[DECISION.keep];
    histogram.dropped = perDecision[DECISION.drop];
    histogram.undecided = perDecision[DECISION.undecided];
  }
  return { kept: mean(DECISION.keep), dropped: mean(DECISION.drop), undecided: mean(DECISION.undecided), histogram };
}
