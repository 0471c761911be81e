/** Progress of a long run, shared by the CLI's terminal bar and the editor's notification. */
export interface RunProgress {
  done: number;
  total: number;
  /** Items per second over the recent window; undefined until there is a measurement. */
  rate?: number;
  /** Seconds left at the current rate. */
  etaSeconds?: number;
}

/** Measures throughput over a sliding window so the rate follows speed changes but does not jitter. */
export class RateMeter {
  private readonly samples: Array<{ t: number; done: number }> = [];

  constructor(
    private readonly total: number,
    private readonly windowMs = 5000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  update(done: number): RunProgress {
    const t = this.now();
    this.samples.push({ t, done });
    while (this.samples.length > 2 && t - this.samples[0].t > this.windowMs) this.samples.shift();
    const first = this.samples[0];
    const seconds = (t - first.t) / 1000;
    if (seconds <= 0 || done <= first.done) return { done, total: this.total };
    const rate = (done - first.done) / seconds;
    return { done, total: this.total, rate, etaSeconds: Math.max(0, (this.total - done) / rate) };
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
