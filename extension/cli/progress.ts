import { formatDuration, RateMeter } from '../core/run/progress';
import { formatBytes, formatCount } from './format';

export interface Progress {
  update(done: number, total: number): void;
  /** Clears the bar (the final figures belong in the command's output). */
  finish(): void;
}

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(chunk: string): boolean;
}

const NO_PROGRESS: Progress = { update() {}, finish() {} };

/**
 * A one-line progress bar redrawn in place on stderr. It appears only when stderr is a terminal
 * (never in pipes, logs or --json captures) and only after `delayMs`, so quick runs print nothing.
 */
export function terminalProgress(
  stream: ProgressStream,
  label: string,
  unit: 'bytes' | 'rows',
  options: { delayMs?: number; redrawMs?: number; now?: () => number } = {},
): Progress {
  if (!stream.isTTY) return NO_PROGRESS;
  const now = options.now ?? (() => performance.now());
  const delayMs = options.delayMs ?? 500;
  const redrawMs = options.redrawMs ?? 100;
  const started = now();
  let lastDraw = -Infinity;
  let shown = false;
  let meter: RateMeter | undefined;
  let meterTotal = -1;
  const amount = unit === 'bytes' ? formatBytes : formatCount;
  return {
    update(done, total) {
      if (total !== meterTotal) {
        meter = new RateMeter(total, 5000, now);
        meterTotal = total;
      }
      const p = meter!.update(done);
      const t = now();
      if (t - started < delayMs || t - lastDraw < redrawMs) return;
      lastDraw = t;
      shown = true;
      const fraction = total > 0 ? Math.min(1, done / total) : 0;
      const rate = p.rate !== undefined ? `  ${amount(p.rate)}/s` : '';
      const eta = p.etaSeconds !== undefined ? `  ${formatDuration(p.etaSeconds)} left` : '';
      const figures = `${String(Math.floor(fraction * 100)).padStart(3)}%  ${amount(done)} / ${amount(total)}${rate}${eta}`;
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - label.length - figures.length - 6));
      const filled = Math.round(fraction * width);
      stream.write(`\r\x1b[K${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${figures}`);
    },
    finish() {
      if (shown) stream.write('\r\x1b[K');
      shown = false;
    },
  };
}
