/** The words of a progress notification; no `vscode` import, so the numbers can be tested. */
import { formatDuration, type RunProgress } from '../core/run/progress';

const count = (n: number) => n.toLocaleString('en-US');

/** `1,234 / 10,000 rows · 12.3 rows/s · 5m 02s left · 3 failed` (the rate and ETA once measured). */
export function progressText(progress: RunProgress & { failed?: number }, unit = 'rows'): string {
  const parts = [`${count(progress.done)} / ${count(progress.total)} ${unit}`];
  if (progress.rate !== undefined && progress.rate > 0) {
    parts.push(`${progress.rate >= 100 ? count(Math.round(progress.rate)) : progress.rate.toFixed(1)} ${unit}/s`);
    if (progress.etaSeconds !== undefined && progress.done < progress.total) parts.push(`${formatDuration(progress.etaSeconds)} left`);
  }
  if (progress.failed) parts.push(`${count(progress.failed)} failed`);
  return parts.join(' · ');
}

/** Percent done, for the notification's bar. */
export function percentDone(progress: { done: number; total: number }): number {
  return progress.total > 0 ? Math.min(100, (100 * progress.done) / progress.total) : 0;
}

export { count as formatCount };
