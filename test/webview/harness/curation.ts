/**
 * The fake host's curation state for a FakeShard: deterministic Ask-LLM scores, densities and
 * failures derived from the row number, manual overrides, the chosen sampler, the current view
 * (sort + filters) and the last comparison. Whole-shard work goes through the real pure functions of
 * extension/core/curate (runSampler, decide, decisionStats, compareSamplers), so the numbers the
 * webview shows are the ones the extension would compute. Score sorts are counting sorts over
 * quantised scores: 10,000,000 rows sort in well under a second.
 */
import {
  compareSamplers, decide, decisionStats, parseSamplerSpec, runSampler, DECISION, SOURCE,
} from '../../../extension/core/curate';
import type {
  CurationSummary, FingerprintView, NearestRowView, RowAnnotationsView, RowView, SamplerComparisonView, ViewSpec,
} from '../../../extension/protocol';
import type { FakeShard } from './shards';

export const MODEL = 'qwen2.5:1.5b-instruct';
export const MODEL_DIGEST = 'sha256:65ec06548149f7a5cbd2bcb6e2ff8b0ae4b4b2bd4e8dc69e0b4c2e5a9f1d0c3b';
export const PROMPT_SHA = '9f2c4e1ab07d33c58e6a1f0b2d4c6e8fa1b3c5d7e9f1a3b5c7d9e1f3a5b7c9d1';
/** Rows whose scoring failed (no score): every 50th. */
export const FAILED_EVERY = 50;
export const FAILURE_REASON = 'Ollama did not answer within 60 s (localhost:11434)';

function hash(i: number, salt: number): number {
  let h = (Math.imul(i ^ salt, 0x9e3779b1) ^ (i >>> 16)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0;
  return (h ^ (h >>> 13)) >>> 0;
}

/** Fake P(yes) of row i, in steps of 0.001 (null for a failed row). */
export function fakePYes(i: number): number | null {
  if (i % FAILED_EVERY === FAILED_EVERY - 1) return null;
  return (hash(i, 17) % 1001) / 1000;
}

/** Fake density of row i: 10^(q/200), q in 0..1200 (1 to 10^6), skewed towards low densities. */
export function fakeDensity(i: number): number {
  const q = Math.min(hash(i, 91) % 1201, hash(i, 92) % 1201);
  return Math.pow(10, q / 200);
}

/**
 * Score arrays depend only on the row number: shared by every FakeCuration of the same size, as is
 * the summary before any sampler or override (10M-row shards open in many tests).
 */
const SHARED = new Map<string, { askllm?: Float64Array; density?: Float64Array; summary?: CurationSummary }>();

const ASKLLM_BUCKETS = 1001;
const DENSITY_BUCKETS = 1201;

export class FakeCuration {
  /** Whether the shard has Ask-LLM scores / densities (change with setScores). */
  private scored = true;
  private densityComputed = true;
  private readonly shared: { askllm?: Float64Array; density?: Float64Array; summary?: CurationSummary };
  private summaryCache: CurationSummary | undefined;
  private charsArray: Uint32Array | undefined;
  private overrides: Int8Array;
  private samplerKeep: Uint8Array | undefined;
  private sampler: CurationSummary['sampler'] = null;
  private samplerError: string | null = null;
  private decisionsCache: ReturnType<typeof decide> | undefined;
  private view: { id: number; rows: Uint32Array | null } = { id: 0, rows: null };
  private nextViewId = 1;
  private comparison: { onlyA: Uint32Array; onlyB: Uint32Array; both: Uint32Array } | undefined;

  constructor(private readonly shard: FakeShard) {
    this.overrides = new Int8Array(shard.info.rowCount);
    const key = String(shard.info.rowCount);
    if (!SHARED.has(key)) SHARED.set(key, {});
    this.shared = SHARED.get(key)!;
  }

  /** Scores appear or disappear (Score All, Compute Density): everything derived is recomputed. */
  setScores(scored: boolean, densityComputed: boolean): void {
    this.scored = scored;
    this.densityComputed = densityComputed;
    this.changed();
  }

  private changed(): void {
    this.decisionsCache = undefined;
    this.summaryCache = undefined;
  }

  /** True while nothing differs from a freshly opened shard with every score (the shared summary applies). */
  private get pristine(): boolean {
    return this.scored && this.densityComputed && !this.samplerKeep && !this.samplerError && this.decisions().keepOverrides + this.decisions().dropOverrides === 0;
  }

  get rowCount(): number {
    return this.shard.info.rowCount;
  }

  get viewId(): number {
    return this.view.id;
  }

  get viewLength(): number {
    return this.view.rows ? this.view.rows.length : this.rowCount;
  }

  /** Row number at a position of view `viewId`; throws for a replaced view like the real host. */
  rowAt(viewId: number, position: number): number {
    if (viewId === 0) return position;
    if (viewId !== this.view.id) throw new Error(`The view ${viewId} was replaced by view ${this.view.id}; ask again with the current view.`);
    return this.view.rows ? this.view.rows[position] : position;
  }

  annotations(i: number): RowAnnotationsView {
    const pYes = this.scored ? fakePYes(i) : null;
    const density = this.densityComputed ? fakeDensity(i) : null;
    const d = this.decisions();
    const decision = d.decision[i] === DECISION.keep ? 'keep' : d.decision[i] === DECISION.drop ? 'drop' : 'undecided';
    const source = d.source[i] === SOURCE.override ? 'override' : d.source[i] === SOURCE.sampler ? 'sampler' : 'none';
    const pNo = pYes === null ? 0 : Math.max(0, Math.round((1 - pYes) * 0.97 * 1e4) / 1e4);
    return {
      askllm: pYes === null ? null : {
        pYes, pNo, normalized: pYes + pNo > 0 ? pYes / (pYes + pNo) : null, offFormat: pYes === 0, truncated: i % 10 === 7,
        model: MODEL, modelDigest: MODEL_DIGEST, promptSha256: PROMPT_SHA,
      },
      askllmFailure: this.scored && pYes === null ? FAILURE_REASON : null,
      density,
      ipsWeight: density === null ? null : 1 / density,
      override: this.overrides[i] === 1 ? 'keep' : this.overrides[i] === -1 ? 'drop' : null,
      decision,
      decisionSource: source,
    };
  }

  row(i: number): RowView {
    return { ...this.shard.row(i), annotations: this.annotations(i) };
  }

  private askllm(): Float64Array | undefined {
    if (!this.scored) return undefined;
    if (!this.shared.askllm) {
      const a = new Float64Array(this.rowCount);
      for (let i = 0; i < a.length; i++) a[i] = fakePYes(i) ?? NaN;
      this.shared.askllm = a;
    }
    return this.shared.askllm;
  }

  private density(): Float64Array | undefined {
    if (!this.densityComputed) return undefined;
    if (!this.shared.density) {
      const a = new Float64Array(this.rowCount);
      for (let i = 0; i < a.length; i++) a[i] = fakeDensity(i);
      this.shared.density = a;
    }
    return this.shared.density;
  }

  /** Characters per row: only for shards small enough to generate every text quickly. */
  private chars(): Uint32Array | undefined {
    if (this.rowCount > 1_000_000) return undefined;
    if (!this.charsArray) {
      const a = new Uint32Array(this.rowCount);
      for (let i = 0; i < a.length; i++) a[i] = [...this.shard.row(i).text].length;
      this.charsArray = a;
    }
    return this.charsArray;
  }

  private decisions(): ReturnType<typeof decide> {
    this.decisionsCache ??= decide(this.rowCount, this.samplerKeep, this.overrides);
    return this.decisionsCache;
  }

  fingerprint(): FingerprintView | null {
    if (!this.scored) return null;
    const failed = Math.floor(this.rowCount / FAILED_EVERY);
    return { key: `${MODEL}@${PROMPT_SHA.slice(0, 12)}`, model: MODEL, modelDigest: MODEL_DIGEST, promptSha256: PROMPT_SHA, scored: this.rowCount - failed, failed };
  }

  summary(): CurationSummary {
    if (this.summaryCache) return this.summaryCache;
    if (this.pristine && this.shared.summary && this.shared.summary.rowCount === this.rowCount) return (this.summaryCache = this.shared.summary);
    this.summaryCache = this.computeSummary();
    if (this.pristine) this.shared.summary = this.summaryCache;
    return this.summaryCache;
  }

  private computeSummary(): CurationSummary {
    const d = this.decisions();
    const shown = this.fingerprint();
    return {
      rowCount: this.rowCount,
      askllm: { shown, available: shown ? [shown] : [] },
      density: this.densityComputed
        ? { rows: this.rowCount, embedder: 'nomic-embed-text', method: 'race', params: { hashes: 32, bins: 4096 }, createdAt: '2026-11-20T10:00:00Z' }
        : { rows: 0, embedder: null, method: null, params: null, createdAt: null },
      overrides: { keep: d.keepOverrides, drop: d.dropOverrides },
      sampler: this.sampler,
      samplerError: this.samplerError,
      stats: decisionStats(d.decision, { askllm: this.askllm(), density: this.density(), chars: this.chars() }),
    };
  }

  setSampler(spec: string | null, seed: number): void {
    this.changed();
    this.samplerKeep = undefined;
    this.sampler = null;
    this.samplerError = null;
    if (spec === null) return;
    const parsed = parseSamplerSpec(spec);
    try {
      const result = runSampler(parsed, { rowCount: this.rowCount, askllm: this.askllm(), density: this.density() }, seed);
      this.samplerKeep = result.keep;
      this.sampler = { spec, seed, steps: result.steps.map((s) => ({ step: s.step, entering: s.entering, kept: s.kept })) };
    } catch (error) {
      this.samplerError = (error as Error).message;
    }
  }

  /** Applies overrides to rows; returns the rows whose override changed. */
  setOverride(rows: number[], decision: 'keep' | 'drop' | null): number[] {
    const value = decision === 'keep' ? 1 : decision === 'drop' ? -1 : 0;
    const changed = rows.filter((r) => this.overrides[r] !== value);
    for (const r of changed) this.overrides[r] = value;
    this.changed();
    return changed;
  }

  compare(a: string, b: string, seed: number): SamplerComparisonView {
    const inputs = { rowCount: this.rowCount, askllm: this.askllm(), density: this.density() };
    const keepA = runSampler(parseSamplerSpec(a), inputs, seed).keep;
    const keepB = runSampler(parseSamplerSpec(b), inputs, seed).keep;
    const c = compareSamplers(keepA, keepB);
    const both = new Uint32Array(c.both);
    let j = 0;
    for (let row = 0; row < this.rowCount; row++) if (keepA[row] && keepB[row]) both[j++] = row;
    this.comparison = { onlyA: c.onlyARows, onlyB: c.onlyBRows, both };
    return { a: c.a, b: c.b, both: c.both, onlyA: c.onlyA, onlyB: c.onlyB, jaccard: c.jaccard };
  }

  /** Builds the view (sort then filters) over the whole shard. */
  setView(view: ViewSpec): { viewId: number; rowCount: number } {
    const identity = !view.sort && !view.askllmRange && !view.densityRange && !view.decision && !view.compare && !view.searchMatches;
    if (identity) {
      this.view = { id: 0, rows: null };
      return { viewId: 0, rowCount: this.rowCount };
    }
    if (view.compare && !this.comparison) throw new Error('Compare two samplers first.');
    let rows = view.compare ? this.comparison![view.compare] : this.ordered(view.sort);
    const askllm = view.askllmRange ? this.askllm() : undefined;
    const density = view.densityRange ? this.density() : undefined;
    const d = view.decision ? this.decisions() : undefined;
    const keepRow = (r: number): boolean => {
      if (askllm && !(askllm[r] >= view.askllmRange!.min && askllm[r] <= view.askllmRange!.max)) return false;
      if (density && !(density[r] >= view.densityRange!.min && density[r] <= view.densityRange!.max)) return false;
      if (d) {
        if (view.decision === 'override') return d.source[r] === SOURCE.override;
        const wanted = view.decision === 'keep' ? DECISION.keep : view.decision === 'drop' ? DECISION.drop : DECISION.undecided;
        if (d.decision[r] !== wanted) return false;
      }
      return true;
    };
    if (askllm || density || d) {
      const out = new Uint32Array(rows ? rows.length : this.rowCount);
      let n = 0;
      const length = rows ? rows.length : this.rowCount;
      for (let p = 0; p < length; p++) {
        const r = rows ? rows[p] : p;
        if (keepRow(r)) out[n++] = r;
      }
      rows = out.slice(0, n);
    }
    if (view.compare && view.sort) rows = this.ordered(view.sort, rows);
    this.view = { id: this.nextViewId++, rows: rows ?? identityRows(this.rowCount) };
    return { viewId: this.view.id, rowCount: this.viewLength };
  }

  /** Rows in sort order (ties by row number); undefined = row order. */
  private ordered(sort: ViewSpec['sort'], subset?: Uint32Array): Uint32Array | undefined {
    if (!sort) return subset;
    const source = subset ?? identityRows(this.rowCount);
    if (sort.key === 'row') return sort.descending ? source.slice().reverse() : source;
    const bucketOf = this.bucketer(sort.key);
    const buckets = (sort.key === 'askllm' ? ASKLLM_BUCKETS : sort.key === 'density' ? DENSITY_BUCKETS : 65535) + 2;
    const last = buckets - 1;
    // A stable counting sort keeps equal scores in row order; rows without the score go last.
    const counts = new Uint32Array(buckets + 1);
    const keys = new Uint32Array(source.length);
    for (let p = 0; p < source.length; p++) {
      const bucket = bucketOf(source[p]);
      keys[p] = bucket === 0 ? last : sort.descending ? last - bucket : bucket;
      counts[keys[p] + 1]++;
    }
    for (let b = 0; b < buckets; b++) counts[b + 1] += counts[b];
    const out = new Uint32Array(source.length);
    for (let p = 0; p < source.length; p++) out[counts[keys[p]]++] = source[p];
    return out;
  }

  /** Bucket 0 = no value; higher buckets = higher values. */
  private bucketer(key: 'chars' | 'askllm' | 'density'): (row: number) => number {
    if (key === 'askllm') {
      const a = this.askllm();
      return (r) => (a && a[r] === a[r] ? Math.round(a[r] * 1000) + 1 : 0);
    }
    if (key === 'density') {
      const d = this.density();
      return (r) => (d ? Math.round(Math.log10(d[r]) * 200) + 1 : 0);
    }
    const c = this.chars();
    return (r) => Math.min(65535, c ? c[r] : [...this.shard.row(r).text].length) + 1;
  }

  nearest(row: number, k: number): NearestRowView[] {
    const out: NearestRowView[] = [];
    for (let j = 1; out.length < k && j < this.rowCount; j++) {
      const other = (row + j * 7919) % this.rowCount;
      if (other === row) continue;
      out.push({ row: other, similarity: Math.round((0.98 - j * 0.03) * 1000) / 1000, preview: this.shard.row(other).text.slice(0, 200) });
    }
    return out;
  }
}

function identityRows(n: number): Uint32Array {
  const rows = new Uint32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  return rows;
}
