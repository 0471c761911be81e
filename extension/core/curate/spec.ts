/**
 * Sampler specs: a comma-separated pipeline of steps, e.g. `askllm-min:0.2,density-ips:0.5`.
 * Each step applies to the rows that survived the previous one. STEP_KINDS is the one description of
 * every step kind; the UI's sampler panel and the CLI's help are generated from it.
 */
import { UserError } from '../errors';

export type StepKind = 'random' | 'askllm-top' | 'askllm-min' | 'density-ips' | 'density-top' | 'density-bottom';
/** The per-row scores a step can need. */
export type ScoreKind = 'askllm' | 'density';

export interface StepKindInfo {
  kind: StepKind;
  /** `amount`: a fraction in (0, 1] of the rows entering the step or an integer count >= 1; `threshold`: a P(yes) in [0, 1]. */
  argument: 'amount' | 'threshold';
  /** Short name for the UI. */
  label: string;
  /** One or two sentences for the UI and the CLI help. */
  description: string;
  needs: ScoreKind | null;
  /**
   * True when the kept rows still cover every region of the data (random: in proportion; density-ips:
   * evenly). Top/bottom-by-density and the Ask-LLM quality filters can drop whole regions.
   */
  coveragePreserving: boolean;
  example: string;
}

export const STEP_KINDS: readonly StepKindInfo[] = [
  {
    kind: 'random',
    argument: 'amount',
    label: 'Random',
    description: 'Uniform random sample without replacement (seeded). The baseline every sampler is compared with.',
    needs: null,
    coveragePreserving: true,
    example: 'random:0.5',
  },
  {
    kind: 'askllm-top',
    argument: 'amount',
    label: 'Top by Ask-LLM',
    description: "The rows with the highest Ask-LLM score P(yes): the paper's Ask-LLM sampler. Equal scores go to the lower row number.",
    needs: 'askllm',
    coveragePreserving: false,
    example: 'askllm-top:0.3',
  },
  {
    kind: 'askllm-min',
    argument: 'threshold',
    label: 'Ask-LLM at least',
    description: 'Every row whose Ask-LLM score P(yes) is at least the threshold (0 to 1).',
    needs: 'askllm',
    coveragePreserving: false,
    example: 'askllm-min:0.2',
  },
  {
    kind: 'density-ips',
    argument: 'amount',
    label: 'Density (IPS)',
    description:
      "Seeded sample without replacement with probability proportional to 1/density: the paper's Density sampler. " +
      'Dense, redundant regions are thinned and rare rows kept more often, so coverage is preserved.',
    needs: 'density',
    coveragePreserving: true,
    example: 'density-ips:0.5',
  },
  {
    kind: 'density-top',
    argument: 'amount',
    label: 'Densest (not coverage-preserving)',
    description: 'The rows with the highest density: the most redundant regions. Not coverage-preserving.',
    needs: 'density',
    coveragePreserving: false,
    example: 'density-top:0.1',
  },
  {
    kind: 'density-bottom',
    argument: 'amount',
    label: 'Sparsest (not coverage-preserving)',
    description: 'The rows with the lowest density: outliers and rare rows. Not coverage-preserving.',
    needs: 'density',
    coveragePreserving: false,
    example: 'density-bottom:0.1',
  },
];

const STEP_KIND_BY_NAME = new Map(STEP_KINDS.map((info) => [info.kind, info]));

export function stepKindInfo(kind: StepKind): StepKindInfo {
  return STEP_KIND_BY_NAME.get(kind)!;
}

/** Where each score comes from: named in the error of a step that lacks it. */
export const SCORE_SOURCES: Record<ScoreKind, { name: string; withArticle: string; command: string; cli: string }> = {
  askllm: {
    name: 'Ask-LLM score',
    withArticle: 'an Ask-LLM score',
    command: 'Shard Curator: Score All Rows with Ask-LLM',
    cli: 'shard-curator score <shard>',
  },
  density: {
    name: 'density',
    withArticle: 'a density',
    command: 'Shard Curator: Compute Density',
    cli: 'shard-curator density <shard>',
  },
};

export type SizedStepKind = Exclude<StepKind, 'askllm-min'>;

export type SamplerStep =
  | { kind: SizedStepKind; fraction: number }
  | { kind: SizedStepKind; count: number }
  | { kind: 'askllm-min'; threshold: number };

export interface SamplerSpec {
  steps: SamplerStep[];
}

const EXAMPLE_SPEC = 'askllm-min:0.2,density-ips:0.5';
const COUNT_PATTERN = /^\d+$/;
const DECIMAL_PATTERN = /^(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Parses a spec. Step names are case-insensitive and spaces around steps and ":" are ignored.
 * An amount written as a plain integer (`1000`, `1`) is a row count; anything with a decimal point or
 * exponent (`0.5`, `1.0`, `5e-3`) is a fraction. So `random:1` keeps one row, `random:1.0` keeps all.
 */
export function parseSamplerSpec(text: string): SamplerSpec {
  if (text.trim() === '') {
    throw new UserError(`the sampler spec is empty: write one or more steps separated by commas, e.g. "${EXAMPLE_SPEC}"`);
  }
  return { steps: text.split(',').map((raw, i) => parseStep(raw.trim(), i + 1)) };
}

function parseStep(raw: string, position: number): SamplerStep {
  if (raw === '') {
    throw new UserError(`step ${position} is empty: separate steps with single commas, e.g. "${EXAMPLE_SPEC}"`);
  }
  const where = `step ${position} "${raw}"`;
  const colon = raw.indexOf(':');
  const name = (colon < 0 ? raw : raw.slice(0, colon)).trim().toLowerCase();
  const info = STEP_KIND_BY_NAME.get(name as StepKind);
  if (!info) {
    const known = STEP_KINDS.map((k) => k.kind).join(', ');
    throw new UserError(`${where}: ${name === '' ? 'the step name is missing' : `unknown step "${name}"`}; known steps: ${known}`);
  }
  const argument = colon < 0 ? '' : raw.slice(colon + 1).trim();
  if (argument === '') throw new UserError(`${where}: missing the value after "${info.kind}:"; ${argumentRule(info)}`);

  if (info.argument === 'threshold') {
    const threshold = DECIMAL_PATTERN.test(argument) ? Number(argument) : NaN;
    if (!(threshold >= 0 && threshold <= 1)) throw new UserError(`${where}: ${argumentRule(info)}`);
    return { kind: 'askllm-min', threshold };
  }
  const kind = info.kind as SizedStepKind;
  if (COUNT_PATTERN.test(argument)) {
    const count = Number(argument);
    if (count >= 1 && Number.isSafeInteger(count)) return { kind, count };
  } else if (DECIMAL_PATTERN.test(argument)) {
    const fraction = Number(argument);
    if (fraction > 0 && fraction <= 1) return { kind, fraction };
  }
  throw new UserError(`${where}: ${argumentRule(info)}`);
}

function argumentRule(info: StepKindInfo): string {
  return info.argument === 'threshold'
    ? `the threshold must be a P(yes) between 0 and 1, e.g. "${info.example}"`
    : `the fraction must be in (0, 1] or an integer count >= 1, e.g. "${info.kind}:0.5" or "${info.kind}:1000"`;
}

/** Canonical text of one step: lower-case name, fractions always with a decimal point (`1.0`). */
export function formatStep(step: SamplerStep): string {
  if ('threshold' in step) return `${step.kind}:${step.threshold}`;
  if ('count' in step) return `${step.kind}:${step.count}`;
  return `${step.kind}:${Number.isInteger(step.fraction) ? step.fraction.toFixed(1) : String(step.fraction)}`;
}

/** Canonical text of a spec, as recipes record it; parseSamplerSpec(formatSamplerSpec(s)) equals s. */
export function formatSamplerSpec(spec: SamplerSpec): string {
  return spec.steps.map(formatStep).join(',');
}

/** The scores a spec needs, in the order its steps first need them. */
export function scoresNeeded(spec: SamplerSpec): ScoreKind[] {
  const needed: ScoreKind[] = [];
  for (const step of spec.steps) {
    const needs = stepKindInfo(step.kind).needs;
    if (needs && !needed.includes(needs)) needed.push(needs);
  }
  return needed;
}

/**
 * How many rows a sized step keeps out of `entering`. A fraction keeps round(F * entering) rows,
 * rounding halves up (0.5 of 7 rows keeps 4), but at least one row when any enter: a positive
 * fraction never empties the pipeline by rounding. A count keeps min(count, entering).
 */
export function stepKeepCount(step: Exclude<SamplerStep, { kind: 'askllm-min' }>, entering: number): number {
  if ('count' in step) return Math.min(step.count, entering);
  if (entering === 0) return 0;
  const exact = step.fraction * entering;
  // A few ulps of slack so exact halves round up despite binary fractions (0.7 * 5 = 3.4999999999999996).
  const rounded = Math.floor(exact + 0.5 + exact * 4 * Number.EPSILON);
  return Math.min(entering, Math.max(1, rounded));
}

/** Multi-line help for the CLI, generated from STEP_KINDS. */
export function samplerSpecHelp(): string {
  const width = Math.max(...STEP_KINDS.map((k) => k.kind.length)) + 4;
  const lines = [
    'A sampler spec is a comma-separated pipeline of steps; each step applies to the rows that survived the previous one.',
    `Example: ${EXAMPLE_SPEC}`,
    'F is a fraction in (0, 1] of the rows entering the step (0.5, 1.0) or an integer row count (1000); P is a P(yes) in [0, 1].',
    '',
  ];
  for (const info of STEP_KINDS) {
    const usage = `${info.kind}:${info.argument === 'threshold' ? 'P' : 'F'}`;
    lines.push(`  ${usage.padEnd(width)}${info.description}`);
  }
  return lines.join('\n');
}
