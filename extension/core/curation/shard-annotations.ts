/**
 * The curation model of one open shard, shared by the editor and the CLI: the annotation store,
 * the current text hash and length of every row, the Ask-LLM scores on show, density, overrides,
 * the sampler on show and the decisions (sampler verdict, then overrides), the grid's views, sampler
 * comparison, and the long runs (Ask-LLM scoring, density, export) that write to the store.
 *
 * Whole-shard state lives in typed arrays (one slot per row), computed lazily and cached until the
 * store changes (this process's writes or another's, e.g. the CLI scoring while the editor is open).
 * Everything returned to callers is JSON-safe or a typed array.
 */
import { textHash } from '../store/text-hash';
import { AnnotationStore } from '../store/store';
import type { AskllmRunRecord, DensityRecord, JsonData } from '../store/records';
import type { StoreChange } from '../store/store';
import { CancelledError, UserError, isCancelled, throwIfAborted } from '../errors';
import { DEFAULT_PROMPT_TEMPLATE } from '../askllm/prompt';
import { prepareJudge, scoreRows, type ScoreItem } from '../askllm/run';
import { preflight } from '../ollama/preflight';
import { parseHosts } from '../ollama/client';
import type { RunProgress } from '../run/progress';
import { computeDensity as runDensity, findNearestRows, type DensityMethod, type DensityProgress } from '../density/run';
import type { EmbedderSpec } from '../embed/embedders';
import { prepareOllamaEmbedder } from '../embed/ollama';
import type { RaceParams } from '../density/race';
import {
  formatSamplerSpec, parseSamplerSpec, scoresNeeded, DECISION, SOURCE, type Decisions, type SamplerInputs, type SamplerSpec, type ScoreKind,
} from '../curate';
import { exportAnnotations, exportCurated, type ExportFormat, type ExportProgress, type RecipeInputs } from '../export';
import type { Shard } from '../shard/types';
import { JsonlShard } from '../shard/jsonl';
import type {
  CurationSummary, FingerprintView, NearestRowView, RowAnnotationsView, SamplerComparisonView, ViewSpec,
} from '../../protocol';
import { computeRowFacts, type RowFacts } from './row-facts';
import { isIdentityView, viewInputsNeeded, type ViewInputs } from './view';
import {
  runCurationJob, toShared, type CurationJobInput, type CurationJobKind, type CurationJobResult, type DecideInput, type DecideOutcome, type SamplerOutcome,
} from './compute';

export interface OpenAnnotationsOptions {
  /** Keep the store in this folder instead of next to the shard (see docs/annotation-store.md). */
  storeDir?: string;
  signal?: AbortSignal;
  /** Rows hashed so far, while the text-hash pass runs. */
  onProgress?: (progress: { done: number; total: number }) => void;
  /** Follow the journal on disk: reload (and fire onDidChange) when another process writes it. */
  watch?: boolean;
  /** Shards of at least this many rows compute views, decisions and comparisons in a worker thread (default WORKER_MIN_ROWS). */
  workerMinRows?: number;
}

export interface AnnotationsChange {
  /** Rows whose annotations changed; undefined for many rows or all of them. */
  rows?: number[];
}

export interface ScoreAskllmOptions {
  hosts: string[];
  model: string;
  /** Default: the paper's template (DEFAULT_PROMPT_TEMPLATE). */
  promptTemplate?: string;
  /** Requests in flight over all hosts (default 4). */
  concurrency?: number;
  /** Cap on the characters of text sent per row. */
  maxChars?: number;
  signal?: AbortSignal;
  onProgress?: (progress: RunProgress & { failed: number }) => void;
}

export interface ScoreAskllmResult {
  /** Rows scored in this run. */
  scored: number;
  /** Rows skipped because they already had a score for this model + prompt and their current text. */
  cached: number;
  failed: number;
  cancelled: boolean;
  seconds: number;
  model: string;
}

export type DensityEmbedderChoice = 'builtin' | `ollama:${string}`;

export interface ComputeDensityOptions {
  embedder: DensityEmbedderChoice;
  /** Ollama hosts for an `ollama:` embedder (default: the local server). */
  hosts?: string[];
  /** Texts per /api/embed request for an `ollama:` embedder (default 16). */
  batchSize?: number;
  method?: DensityMethod;
  /** Rows [start, end) (default: every row); density is computed over that range only. */
  rows?: { start: number; end: number };
  sketch?: Partial<Pick<RaceParams, 'rows' | 'buckets' | 'hashesPerRow'>>;
  seed?: number;
  signal?: AbortSignal;
  onProgress?: (progress: { done: number; total: number }) => void;
}

export interface ComputeDensityResult {
  rows: number;
  seconds: number;
  embedderId: string;
  /** Texts actually embedded (the rest came from the embedding cache). */
  embedded: number;
  params: { [key: string]: JsonData };
}

export interface ExportCuratedModelOptions {
  out: string;
  format?: ExportFormat;
  withAnnotations?: boolean;
  droppedPath?: string;
  force?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: ExportProgress) => void;
}

export interface ExportCuratedModelResult {
  input: number;
  kept: number;
  dropped: number;
  out: string;
  /** Where the recipe was written (`<out>.recipe.json`). */
  recipe: string;
}

export type { Decisions };

/**
 * Below this many rows a whole-shard pass takes a few milliseconds, less than starting a worker
 * thread, so it runs inline.
 */
export const WORKER_MIN_ROWS = 200_000;

/** Characters of a row's text in a nearest-row preview. */
const PREVIEW_CHARS = 200;
/** Rows read per request when scoring a list of rows. */
const READ_CHUNK = 256;

/** `<promptSha256>:<model>`: the sha has a fixed length, so any model name parses back. */
function fingerprintKey(model: string, sha: string): string {
  return `${sha}:${model}`;
}

function parseFingerprintKey(key: string): { model: string; promptSha256: string } | undefined {
  if (!/^[0-9a-f]{64}:./.test(key)) return undefined;
  return { promptSha256: key.slice(0, 64), model: key.slice(65) };
}

/** A density record's parameters flattened to what a recipe takes (nested values as JSON text). */
function flatParams(params: { [key: string]: JsonData }): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(params)) {
    if (value === null) continue;
    out[name] = typeof value === 'object' ? JSON.stringify(value) : value;
  }
  return out;
}

export class ShardAnnotations {
  private facts: RowFacts;
  private readonly listeners = new Set<(change: AnnotationsChange) => void>();
  private readonly unsubscribe: () => void;
  /** The fingerprint the user picked; undefined = follow the latest scoring run. */
  private chosenFingerprint: { model: string; promptSha256: string } | undefined;
  private sampler: { spec: SamplerSpec; text: string; seed: number; needs: ScoreKind[] } | null = null;
  private comparison: { a: Uint8Array; b: Uint8Array } | undefined;
  /** The compare on its way; a newer compare aborts it. */
  private comparing: AbortController | undefined;

  // Caches, dropped when the store changes in a way that affects them.
  private askllmCache: Float64Array | undefined;
  private densityCache: { density: Float64Array; ipsWeight: Float64Array } | undefined;
  private overridesCache: Int8Array | undefined;

  /**
   * Decisions and stats are computed in a job (see compute.ts). `version` counts the changes that
   * affect them: a result is current for the version it started at. Store changes (scores streaming
   * in) let the running job finish, so a caller waits at most for it and one more; a change of what
   * is computed (sampler, shown fingerprint, text hashes) aborts it: latest wins.
   */
  private version = 0;
  /** Counts the changes that affect the sampler's verdict (its spec, seed, or the scores it needs). */
  private samplerVersion = 0;
  private decided: { version: number; value: DecideOutcome } | undefined;
  private deciding: { abort: AbortController; done: Promise<void> } | undefined;
  /** The sampler's verdict, reused while only the overrides change. */
  private samplerOutcome: { samplerVersion: number; value: SamplerOutcome } | undefined;
  private summaryCache: { of: DecideOutcome; value: CurationSummary } | undefined;
  private closed = false;

  private constructor(
    readonly shard: Shard,
    readonly store: AnnotationStore,
    facts: RowFacts,
    /** Whole-shard computations run in a worker thread (large shards) or inline (small ones). */
    private readonly inWorker: boolean,
  ) {
    this.facts = this.sharedFacts(facts);
    this.unsubscribe = store.onDidChange((change) => this.storeChanged(change));
  }

  /**
   * Opens the store of a fully indexed shard (next to it, or in storeDir) and computes the current
   * text hash and length of every row in a worker thread (one pass; progress; cancellable).
   */
  static async open(shard: Shard, options: OpenAnnotationsOptions = {}): Promise<ShardAnnotations> {
    await shard.indexed;
    throwIfAborted(options.signal);
    const store = await AnnotationStore.open(shard.path, { storeDir: options.storeDir, shardBytes: shard.bytes });
    try {
      const facts = await computeRowFacts(shard, { signal: options.signal, onProgress: options.onProgress });
      const model = new ShardAnnotations(shard, store, facts, facts.hashes.rowCount >= (options.workerMinRows ?? WORKER_MIN_ROWS));
      if (options.watch) store.watchJournal();
      return model;
    } catch (err) {
      store.close();
      throw err;
    }
  }

  get rowCount(): number {
    return this.facts.hashes.rowCount;
  }

  /** The current text hash of every row (what annotations are matched against). */
  get textHashes(): BigUint64Array {
    return this.facts.hashes.values;
  }

  /**
   * Hashes the rows again, e.g. after shard.setTextField(): annotations of the old texts are then
   * hidden and those of the new texts shown. Fires onDidChange for all rows.
   */
  async rescan(options: { signal?: AbortSignal; onProgress?: (progress: { done: number; total: number }) => void } = {}): Promise<void> {
    this.facts = this.sharedFacts(await computeRowFacts(this.shard, options));
    this.comparing?.abort();
    this.comparison = undefined;
    this.supersede();
    this.storeChanged({ kinds: ['askllm', 'density', 'override'], rows: undefined });
  }

  /** Called after the annotations change (own writes or another process's), caches already dropped. Returns the unsubscribe function. */
  onDidChange(listener: (change: AnnotationsChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private storeChanged(change: StoreChange): void {
    const askllm = change.kinds.includes('askllm') || change.kinds.includes('askllm-run');
    const density = change.kinds.includes('density');
    if (askllm) this.askllmCache = undefined;
    if (density) this.densityCache = undefined;
    if (change.kinds.includes('override')) this.overridesCache = undefined;
    if ((askllm && this.sampler?.needs.includes('askllm')) || (density && this.sampler?.needs.includes('density'))) this.samplerVersion++;
    this.version++;
    const event: AnnotationsChange = change.rows === undefined || density ? {} : { rows: [...change.rows] };
    for (const listener of this.listeners) listener(event);
  }

  /** What the decisions are computed from changed (not just the data): the running job's result is useless. */
  private supersede(): void {
    this.version++;
    this.samplerVersion++;
    this.deciding?.abort.abort();
    this.deciding = undefined;
    this.decided = undefined;
    this.samplerOutcome = undefined;
  }

  /** Arrays shipped to the worker live on SharedArrayBuffers, so a job shares them instead of copying. */
  private shared<T extends Float64Array | Uint32Array | Int8Array>(array: T): T {
    return this.inWorker ? toShared(array) : array;
  }

  private sharedFacts(facts: RowFacts): RowFacts {
    return { hashes: facts.hashes, lengths: this.shared(facts.lengths) };
  }

  // ---- Ask-LLM scores on show ----

  private runFor(model: string, sha: string): AskllmRunRecord | undefined {
    return this.store.askllmRuns().findLast((run) => run.model === model && run.promptSha256 === sha);
  }

  /** Every model + prompt with results or a run, newest run first. */
  fingerprints(): FingerprintView[] {
    const views = new Map<string, FingerprintView>();
    const runs = this.store.askllmRuns();
    for (let i = runs.length - 1; i >= 0; i--) {
      const { model, promptSha256: sha, modelDigest } = runs[i];
      const key = fingerprintKey(model, sha);
      if (!views.has(key)) views.set(key, { key, model, modelDigest, promptSha256: sha, scored: 0, failed: 0 });
    }
    for (const summary of this.store.listFingerprints(this.facts.hashes)) {
      const key = fingerprintKey(summary.model, summary.promptSha256);
      const view = views.get(key) ?? { key, model: summary.model, modelDigest: summary.latestRun?.modelDigest ?? null, promptSha256: summary.promptSha256, scored: 0, failed: 0 };
      view.scored = summary.scored;
      view.failed = summary.failed;
      views.set(key, view);
    }
    return [...views.values()];
  }

  private shownPair(): { model: string; promptSha256: string } | undefined {
    if (this.chosenFingerprint) return this.chosenFingerprint;
    const latest = this.store.latestAskllmRun();
    return latest && { model: latest.model, promptSha256: latest.promptSha256 };
  }

  /** The fingerprint whose scores are shown: the chosen one, else that of the latest scoring run. */
  shownFingerprint(): FingerprintView | null {
    const pair = this.shownPair();
    if (!pair) return null;
    const key = fingerprintKey(pair.model, pair.promptSha256);
    return this.fingerprints().find((f) => f.key === key) ?? { key, model: pair.model, modelDigest: null, promptSha256: pair.promptSha256, scored: 0, failed: 0 };
  }

  /** Shows the scores of another model + prompt (a key from fingerprints()); summary() then computes with them. */
  setFingerprint(key: string): void {
    const pair = parseFingerprintKey(key);
    if (!pair || !this.fingerprints().some((f) => f.key === key)) {
      throw new UserError(`no Ask-LLM scores for "${key}"; known: ${this.fingerprints().map((f) => `${f.model} (prompt ${f.promptSha256.slice(0, 8)})`).join(', ') || 'none'}`);
    }
    this.showFingerprint(pair);
  }

  private showFingerprint(pair: { model: string; promptSha256: string }): void {
    const before = this.shownPair();
    this.chosenFingerprint = pair;
    if (before?.model === pair.model && before.promptSha256 === pair.promptSha256) return;
    this.supersede();
    this.storeChanged({ kinds: ['askllm'], rows: undefined });
  }

  /** P(yes) per row for the shown fingerprint; NaN = not scored, or scored for an older text. */
  askllmScores(): Float64Array {
    if (!this.askllmCache) {
      const pair = this.shownPair();
      this.askllmCache = this.shared(pair ? this.store.askllmScores(pair, this.facts.hashes) : new Float64Array(this.rowCount).fill(NaN));
    }
    return this.askllmCache;
  }

  /** Density and IPS weight per row from the latest density run; NaN = none or stale. */
  densityScores(): { density: Float64Array; ipsWeight: Float64Array } {
    if (!this.densityCache) {
      const { density, ipsWeight } = this.store.densityScores(this.facts.hashes);
      this.densityCache = { density: this.shared(density), ipsWeight };
    }
    return this.densityCache;
  }

  /** Manual decisions: 1 keep, -1 drop, 0 none. */
  overrides(): Int8Array {
    this.overridesCache ??= this.shared(this.store.overrides(this.facts.hashes));
    return this.overridesCache;
  }

  /** Sets (or with null clears) the override of rows, for their current texts; returns how many rows changed. */
  setOverrides(rows: ArrayLike<number>, decision: 'keep' | 'drop' | null): number {
    const current = this.overrides();
    const wanted = decision === 'keep' ? 1 : decision === 'drop' ? -1 : 0;
    const seen = new Uint8Array(this.rowCount);
    const changed: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (!(Number.isInteger(row) && row >= 0 && row < this.rowCount)) {
        throw new UserError(`row ${row} is not in the shard: it has ${this.rowCount.toLocaleString('en-US')} rows (0 to ${this.rowCount - 1})`);
      }
      if (current[row] !== wanted && seen[row] === 0) changed.push(row);
      seen[row] = 1;
    }
    if (changed.length > 0) this.store.setOverrides(changed, this.facts.hashes, decision);
    return changed.length;
  }

  /** Characters (UTF-16 code units) of every row's text. */
  textLengths(): Uint32Array {
    return this.facts.lengths;
  }

  // ---- sampler and decisions ----

  /**
   * Chooses the sampler whose verdicts the decisions show (null: none); decisions() and summary()
   * then compute with it, and a computation for the previous sampler is abandoned. Throws UserError
   * for a spec that does not parse or a bad seed; missing scores do not throw here but show in
   * summary().samplerError, and the rows stay undecided.
   */
  setSampler(spec: string | null, seed: number): void {
    if (spec === null) {
      this.sampler = null;
    } else {
      if (!Number.isSafeInteger(seed) || seed < 0) throw new UserError(`the seed must be a whole number >= 0, not ${seed}`);
      const parsed = parseSamplerSpec(spec);
      this.sampler = { spec: parsed, text: formatSamplerSpec(parsed), seed, needs: scoresNeeded(parsed) };
    }
    this.supersede();
  }

  private samplerInputs(needs: readonly ScoreKind[]): SamplerInputs {
    return {
      rowCount: this.rowCount,
      askllm: needs.includes('askllm') ? this.askllmScores() : undefined,
      density: needs.includes('density') ? this.densityScores().density : undefined,
    };
  }

  private job<K extends CurationJobKind>(kind: K, input: CurationJobInput<K>, signal?: AbortSignal): Promise<CurationJobResult<K>> {
    return runCurationJob(kind, input, { inWorker: this.inWorker, signal });
  }

  /**
   * The sampler's verdict, the overrides on top and the stats, as of this call or later: waits for
   * the running computation (started by anyone) and, when that began before a change, for one more.
   */
  private async decideOutcome(): Promise<DecideOutcome> {
    const wanted = this.version;
    for (;;) {
      if (this.closed) throw new CancelledError('the annotations were closed');
      if (this.decided && this.decided.version >= wanted) return this.decided.value;
      await (this.deciding ?? this.startDeciding()).done;
    }
  }

  private startDeciding(): { abort: AbortController; done: Promise<void> } {
    const version = this.version;
    const samplerVersion = this.samplerVersion;
    const abort = new AbortController();
    const sampler = this.sampler;
    const reuse = this.samplerOutcome?.samplerVersion === samplerVersion ? this.samplerOutcome.value : undefined;
    const shown = this.shownPair() !== undefined;
    const densityRun = this.store.latestDensityRun() !== undefined;
    const input: DecideInput = {
      rowCount: this.rowCount,
      askllm: shown || sampler?.needs.includes('askllm') ? this.askllmScores() : undefined,
      density: this.densityScores().density,
      sampler: sampler && { spec: sampler.spec, seed: sampler.seed, outcome: reuse },
      overrides: this.overrides(),
      chars: this.facts.lengths,
      statsOf: { askllm: shown, density: densityRun },
    };
    const job = {
      abort,
      done: this.job('decide', input, abort.signal).then(
        (value) => {
          // An aborted job's sampler or fingerprint is no longer the one on show.
          if (abort.signal.aborted) return;
          if (!this.decided || this.decided.version < version) this.decided = { version, value };
          if (value.sampler && this.samplerVersion === samplerVersion) this.samplerOutcome = { samplerVersion, value: value.sampler };
        },
        (err: unknown) => {
          if (abort.signal.aborted && isCancelled(err)) return;
          throw err;
        },
      ).finally(() => {
        if (this.deciding === job) this.deciding = undefined;
      }),
    };
    this.deciding = job;
    return job;
  }

  /** The sampler's verdict with the overrides on top (undecided rows without a usable sampler). */
  async decisions(): Promise<Decisions> {
    return (await this.decideOutcome()).decisions;
  }

  /** Everything about one row's current text, for the grid and the detail pane. */
  async rowAnnotations(row: number): Promise<RowAnnotationsView> {
    if (!(Number.isInteger(row) && row >= 0 && row < this.rowCount)) throw new UserError(`row ${row} is not in the shard (0 to ${this.rowCount - 1})`);
    const { decision, source } = await this.decisions();
    const all = this.store.rowAnnotations(row, this.facts.hashes);
    const pair = this.shownPair();
    const score = pair && all.askllm.find((a) => a.model === pair.model && a.promptSha256 === pair.promptSha256);
    const failure = pair && all.askllmFailures.find((a) => a.model === pair.model && a.promptSha256 === pair.promptSha256);
    return {
      askllm: score
        ? {
            pYes: score.pYes, pNo: score.pNo, normalized: score.normalized, offFormat: score.offFormat, truncated: score.truncated,
            model: score.model, modelDigest: this.runFor(score.model, score.promptSha256)?.modelDigest ?? null, promptSha256: score.promptSha256,
          }
        : null,
      askllmFailure: score ? null : (failure?.reason ?? null),
      density: all.density?.density ?? null,
      ipsWeight: all.density?.ipsWeight ?? null,
      override: all.override,
      decision: decision[row] === DECISION.keep ? 'keep' : decision[row] === DECISION.drop ? 'drop' : 'undecided',
      decisionSource: source[row] === SOURCE.override ? 'override' : source[row] === SOURCE.sampler ? 'sampler' : 'none',
    };
  }

  /**
   * What the panels show: scores on show, density run, overrides, sampler, decision stats. JSON-safe.
   * The whole-shard part is computed off the main thread for large shards; see decideOutcome().
   */
  async summary(): Promise<CurationSummary> {
    const outcome = await this.decideOutcome();
    if (this.summaryCache?.of === outcome) return this.summaryCache.value;
    const densityRun = this.store.latestDensityRun();
    const params = densityRun?.params ?? null;
    const { decisions } = outcome;
    const value: CurationSummary = {
      rowCount: this.rowCount,
      askllm: { shown: this.shownFingerprint(), available: this.fingerprints() },
      density: {
        rows: outcome.densityRows,
        embedder: densityRun?.embedder ?? null,
        method: typeof params?.method === 'string' ? params.method : null,
        params,
        createdAt: densityRun?.time ?? null,
      },
      overrides: { keep: decisions.keepOverrides, drop: decisions.dropOverrides },
      sampler: this.sampler
        ? { spec: this.sampler.text, seed: this.sampler.seed, steps: (outcome.sampler?.result?.steps ?? []).map(({ step, entering, kept }) => ({ step, entering, kept })) }
        : null,
      samplerError: outcome.sampler?.error ?? null,
      stats: outcome.stats,
    };
    this.summaryCache = { of: outcome, value };
    return value;
  }

  // ---- views and comparison ----

  /**
   * Row order for a sort/filter over the whole shard; null means the identity view. Aborting
   * `signal` (the caller's newer view replaces this one) stops the computation and rejects with
   * CancelledError.
   */
  async computeView(view: ViewSpec, options: { searchMatches?: Uint32Array; signal?: AbortSignal } = {}): Promise<Uint32Array | null> {
    if (isIdentityView(view)) return null;
    const needed = viewInputsNeeded(view);
    const decisions = needed.has('decisions') ? await this.decisions() : undefined;
    throwIfAborted(options.signal);
    const inputs: ViewInputs = {
      rowCount: this.rowCount,
      askllm: needed.has('askllm') ? this.askllmScores() : undefined,
      density: needed.has('density') ? this.densityScores().density : undefined,
      lengths: needed.has('lengths') ? this.facts.lengths : undefined,
      decisions: decisions && { decision: decisions.decision, source: decisions.source },
      comparison: needed.has('comparison') ? this.comparison : undefined,
      searchMatches: needed.has('searchMatches') ? options.searchMatches : undefined,
    };
    return this.job('view', { view, inputs }, options.signal);
  }

  /**
   * Compares two samplers' own verdicts (overrides left out) over the current scores; the verdicts
   * are kept for the `compare` view filter until the next compare. A newer compare abandons this
   * one (it rejects with CancelledError).
   */
  async compare(a: string, b: string, seed: number): Promise<SamplerComparisonView> {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new UserError(`the seed must be a whole number >= 0, not ${seed}`);
    const specA = parseSamplerSpec(a);
    const specB = parseSamplerSpec(b);
    this.comparing?.abort();
    const abort = new AbortController();
    this.comparing = abort;
    const inputs = this.samplerInputs([...new Set([...scoresNeeded(specA), ...scoresNeeded(specB)])]);
    try {
      const result = await this.job('compare', { ...inputs, a: { text: a, spec: specA }, b: { text: b, spec: specB }, seed }, abort.signal);
      throwIfAborted(abort.signal);
      this.comparison = { a: result.keepA, b: result.keepB };
      return { a: result.a, b: result.b, both: result.both, onlyA: result.onlyA, onlyB: result.onlyB, jaccard: result.jaccard };
    } finally {
      if (this.comparing === abort) this.comparing = undefined;
    }
  }
  // ---- runs ----

  /**
   * Scores rows with an Ask-LLM judge: preflight first (specific messages), rows that already have a
   * score for this model + prompt and their current text are skipped (so an interrupted run resumes),
   * a run record is written, then each result or failure is appended as it arrives, and the new
   * fingerprint is shown. Cancel (signal) keeps everything scored so far.
   */
  async scoreAskllm(rows: 'all' | ArrayLike<number>, options: ScoreAskllmOptions): Promise<ScoreAskllmResult> {
    const started = performance.now();
    const template = options.promptTemplate ?? DEFAULT_PROMPT_TEMPLATE;
    const wanted = rows === 'all' ? undefined : this.checkedRows(rows);
    const hostInfo = await preflight(parseHosts(options.hosts), options.model, 'judge', { signal: options.signal });
    const setup = await prepareJudge({ hosts: options.hosts, model: options.model, promptTemplate: template, hostInfo, signal: options.signal });
    const pair = { model: setup.model, promptSha256: setup.promptSha256 };
    const done = this.store.scoredRows(pair, this.facts.hashes);

    let todo: Uint32Array;
    const requested = wanted?.length ?? this.rowCount;
    if (wanted) {
      todo = wanted.filter((row) => done[row] === 0);
    } else {
      let count = 0;
      for (let row = 0; row < this.rowCount; row++) if (done[row] === 0) count++;
      todo = new Uint32Array(count);
      for (let row = 0, i = 0; row < this.rowCount; row++) if (done[row] === 0) todo[i++] = row;
    }
    const cached = requested - todo.length;

    const run = this.store.beginAskllmRun({
      model: setup.model,
      modelDigest: setup.modelDigest,
      prompt: template,
      options: {
        num_predict: 1, temperature: 0, top_logprobs: 20, ...(setup.thinking ? { think: false } : {}),
        contextTokens: setup.contextTokens, ...(options.maxChars !== undefined ? { maxChars: options.maxChars } : {}), hosts: setup.hosts,
      },
    });
    this.showFingerprint(pair);
    if (todo.length === 0) {
      return { scored: 0, cached, failed: 0, cancelled: false, seconds: (performance.now() - started) / 1000, model: setup.model };
    }
    try {
      const summary = await scoreRows(this.scoreItems(todo, wanted === undefined, options.signal), {
        hosts: setup.hosts,
        model: setup.model,
        promptTemplate: template,
        hostInfo,
        concurrency: options.concurrency,
        maxChars: options.maxChars,
        total: todo.length,
        signal: options.signal,
        onResult: (result) => {
          if (result.failed) this.store.appendAskllmFailure(run, { row: result.row, textHash: result.textHash, reason: result.reason });
          else this.store.appendAskllm(run, { row: result.row, textHash: result.textHash, pYes: result.pYes, pNo: result.pNo, offFormat: result.offFormat, truncated: result.truncated });
        },
        onProgress: (p) => options.onProgress?.({ done: p.done, total: p.total, rate: p.rate, etaSeconds: p.etaSeconds, failed: p.failed }),
      });
      return { scored: summary.scored, cached, failed: summary.failed, cancelled: summary.cancelled, seconds: (performance.now() - started) / 1000, model: setup.model };
    } finally {
      this.store.flush();
    }
  }

  /** Rows of a caller's list, checked, de-duplicated and in ascending order. */
  private checkedRows(rows: ArrayLike<number>): Uint32Array {
    const mark = new Uint8Array(this.rowCount);
    let count = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (!(Number.isInteger(row) && row >= 0 && row < this.rowCount)) {
        throw new UserError(`row ${row} is not in the shard: it has ${this.rowCount.toLocaleString('en-US')} rows (0 to ${this.rowCount - 1})`);
      }
      if (mark[row] === 0) count++;
      mark[row] = 1;
    }
    const out = new Uint32Array(count);
    for (let row = 0, i = 0; row < this.rowCount; row++) if (mark[row] === 1) out[i++] = row;
    return out;
  }

  /**
   * The texts of `rows` (ascending) as they are on disk now, each with the hash of exactly the text
   * sent, so a score is tied to the text it judged. A scan when most rows are wanted; reads of the
   * contiguous runs otherwise.
   */
  private async *scoreItems(rows: Uint32Array, scan: boolean, signal: AbortSignal | undefined): AsyncIterable<ScoreItem> {
    if (scan) {
      let next = 0;
      for await (const item of this.shard.texts({ start: rows[0], end: rows[rows.length - 1] + 1, signal })) {
        if (item.row !== rows[next]) continue;
        next++;
        yield { row: item.row, text: item.text, textHash: textHash(item.text) };
        if (next === rows.length) return;
      }
      return;
    }
    for (let i = 0; i < rows.length; ) {
      let end = i + 1;
      while (end < rows.length && rows[end] === rows[end - 1] + 1 && end - i < READ_CHUNK) end++;
      throwIfAborted(signal);
      for (const item of await this.shard.readRows(rows[i], end - i)) yield { row: item.row, text: item.text, textHash: textHash(item.text) };
      i = end;
    }
  }

  /**
   * Density of rows (all, or a range): embeds them (built-in embedder, or an Ollama model through
   * the host pool with the embedding cache in the store folder), runs the sketch in worker threads,
   * and writes the run to the store. The rows outside the range get no value from this run.
   */
  async computeDensity(options: ComputeDensityOptions): Promise<ComputeDensityResult> {
    const range = options.rows ?? { start: 0, end: this.rowCount };
    if (!(Number.isInteger(range.start) && Number.isInteger(range.end) && range.start >= 0 && range.end <= this.rowCount && range.start < range.end)) {
      throw new UserError(`rows ${range.start}:${range.end} are not a non-empty range of the shard's ${this.rowCount.toLocaleString('en-US')} rows (0 to ${this.rowCount})`);
    }
    const embedder = await this.embedderSpec(options.embedder, options.hosts, options.batchSize, options.signal);
    const total = range.end - range.start;
    const result = await runDensity(this.shard.source(), {
      embedder,
      method: options.method,
      rows: range,
      sketch: options.sketch,
      seed: options.seed,
      cacheDir: this.store.location.dir,
      signal: options.signal,
      onProgress: (p: DensityProgress) => options.onProgress?.({ done: p.done, total }),
    });
    if (result.rowEnd !== range.end) throw new UserError(`${this.shard.path}: expected ${total} rows from row ${range.start} but read ${result.rowEnd - range.start}; the file changed on disk since it was opened. Reopen it.`);
    const rows = new Uint32Array(total);
    for (let i = 0; i < total; i++) rows[i] = range.start + i;
    const params: { [key: string]: JsonData } = {
      ...result.params,
      rowStart: range.start,
      rowEnd: range.end,
      embedderSpec: storedEmbedderSpec(embedder),
    };
    this.store.writeDensity({
      rows,
      textHashes: this.facts.hashes.values.slice(range.start, range.end),
      density: result.density,
      ipsWeight: result.ipsWeight,
      embedder: result.embedderId,
      params,
    });
    return { rows: total, seconds: result.seconds, embedderId: result.embedderId, embedded: result.embedded, params };
  }

  private async embedderSpec(choice: string, hosts: string[] | undefined, batchSize: number | undefined, signal: AbortSignal | undefined): Promise<EmbedderSpec> {
    if (choice === 'builtin') return { kind: 'builtin' };
    if (choice.startsWith('ollama:') && choice.length > 'ollama:'.length) {
      return prepareOllamaEmbedder(parseHosts(hosts), choice.slice('ollama:'.length), { batchSize, signal });
    }
    throw new UserError(`unknown embedder "${choice}": use builtin or ollama:<model>, e.g. ollama:nomic-embed-text`);
  }

  /** The rows closest to `row` by cosine, with the embedder of the latest density run (built-in without one). */
  async nearestRows(row: number, k: number, signal?: AbortSignal): Promise<NearestRowView[]> {
    if (!(Number.isInteger(row) && row >= 0 && row < this.rowCount)) throw new UserError(`row ${row} is not in the shard (0 to ${this.rowCount - 1})`);
    if (!(Number.isInteger(k) && k >= 1)) throw new UserError(`the number of nearest rows must be a whole number >= 1, not ${k}`);
    const [query] = await this.shard.readRows(row, 1);
    const nearest = await findNearestRows(this.shard.source(), query.text, {
      embedder: embedderOfRun(this.store.latestDensityRun()),
      k,
      exclude: [row],
      signal,
    });
    const views: NearestRowView[] = [];
    for (const { row: other, similarity } of nearest) {
      throwIfAborted(signal);
      const [found] = await this.shard.readRows(other, 1);
      views.push({ row: other, similarity, preview: (found?.text ?? '').replace(/\s+/g, ' ').trim().slice(0, PREVIEW_CHARS) });
    }
    return views;
  }

  /** The recipe's account of how the current decisions were made. */
  private recipeInputs(needs: readonly ScoreKind[], withAnnotations: boolean, outcome: SamplerOutcome | undefined): RecipeInputs {
    const inputs: RecipeInputs = { textField: this.shard.textField };
    if (this.sampler) inputs.sampler = { spec: this.sampler.text, seed: this.sampler.seed, steps: outcome?.result?.steps.map(({ step, entering, kept }) => ({ step, entering, kept })) };
    const pair = this.shownPair();
    const run = pair && this.runFor(pair.model, pair.promptSha256);
    if (run && (needs.includes('askllm') || withAnnotations)) {
      inputs.askllm = { model: run.model, modelDigest: run.modelDigest ?? undefined, promptTemplate: run.prompt };
    }
    const densityRun = this.store.latestDensityRun();
    if (densityRun && (needs.includes('density') || withAnnotations)) {
      const spec = densityRun.params.embedderSpec;
      const digest = spec && typeof spec === 'object' && !Array.isArray(spec) && typeof spec.digest === 'string' ? spec.digest : undefined;
      const { embedderSpec: _spec, ...sketch } = densityRun.params;
      inputs.density = { embedder: densityRun.embedder, embedderDigest: digest, sketch: flatParams(sketch) };
    }
    return inputs;
  }

  /**
   * Exports the rows the current decisions keep (a sampler is required), with the recipe beside
   * the output. Written atomically, verified, never over the shard or (without force) other files.
   */
  async exportCurated(options: ExportCuratedModelOptions): Promise<ExportCuratedModelResult> {
    if (!this.sampler) {
      throw new UserError('choose a sampler before exporting (e.g. "random:1.0" keeps every row that no override drops); the export writes the rows the sampler and the overrides keep');
    }
    const { spec, seed, needs } = this.sampler;
    const { sampler: outcome, decisions } = await this.decideOutcome();
    if (outcome?.error) throw new UserError(outcome.error);
    const withAnnotations = options.withAnnotations ?? false;
    const dropSteps = options.droppedPath !== undefined ? await this.job('dropSteps', { ...this.samplerInputs(needs), spec, seed }, options.signal) : undefined;
    const result = await exportCurated({
      shard: { path: this.shard.path, format: this.shard.format },
      // JSONL rows are copied by byte range from the index the shard already holds: no re-parse.
      rowIndex: this.shard instanceof JsonlShard ? this.shard.rowIndex() : undefined,
      decisions,
      output: options.out,
      format: options.format,
      withAnnotations,
      annotations: withAnnotations ? { askllm: this.shownPair() ? this.askllmScores() : undefined, density: this.densityScores().density } : undefined,
      droppedPath: options.droppedPath,
      dropSteps,
      recipe: this.recipeInputs(needs, withAnnotations, outcome),
      force: options.force,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    const rows = result.recipe.rows;
    return { input: rows.input, kept: rows.kept, dropped: rows.dropped, out: result.output, recipe: result.recipePath };
  }

  /** Writes every row's annotations (shown Ask-LLM scores, density, decisions) as an Arrow IPC file. */
  async exportAnnotations(out: string, options: { force?: boolean; signal?: AbortSignal } = {}): Promise<{ rows: number; out: string }> {
    const { density, ipsWeight } = this.densityScores();
    const decisions = this.sampler || this.overrides().some((o) => o !== 0) ? await this.decisions() : undefined;
    const result = await exportAnnotations({
      shardPath: this.shard.path,
      rowCount: this.rowCount,
      columns: {
        askllmPYes: this.shownPair() ? this.askllmScores() : undefined,
        density,
        ipsWeight,
        textHash: this.facts.hashes.values,
        decision: decisions?.decision,
        decisionSource: decisions?.source,
      },
      output: out,
      force: options.force,
      signal: options.signal,
    });
    return { rows: this.rowCount, out: result.output };
  }

  /** Stops following the journal and closes the store (the shard stays open: it is the caller's). */
  async close(): Promise<void> {
    this.closed = true;
    this.supersede();
    this.comparing?.abort();
    this.unsubscribe();
    this.listeners.clear();
    this.store.close();
  }
}

/** The embedder recorded with a density run as plain JSON (no retry policy). */
function storedEmbedderSpec(spec: EmbedderSpec): { [key: string]: JsonData } {
  if (spec.kind === 'builtin') return { kind: 'builtin' };
  return { kind: 'ollama', model: spec.model, hosts: spec.hosts, dim: spec.dim, contextLength: spec.contextLength, digest: spec.digest, ...(spec.batchSize !== undefined ? { batchSize: spec.batchSize } : {}) };
}

/** The embedder a density run used, rebuilt from its record; the built-in one when there is no run. */
function embedderOfRun(run: DensityRecord | undefined): EmbedderSpec {
  const spec = run?.params.embedderSpec;
  if (spec && typeof spec === 'object' && !Array.isArray(spec) && spec.kind === 'ollama') {
    const { model, hosts, dim, contextLength, digest, batchSize } = spec;
    if (typeof model === 'string' && Array.isArray(hosts) && typeof dim === 'number' && typeof contextLength === 'number' && typeof digest === 'string') {
      return { kind: 'ollama', model, hosts: hosts.map(String), dim, contextLength, digest, ...(typeof batchSize === 'number' ? { batchSize } : {}) };
    }
  }
  return { kind: 'builtin' };
}
