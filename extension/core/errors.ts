/**
 * Errors meant for the user: the message names the file, the place and what to do.
 * The CLI prints `shard-curator: <message>` and exits 1; the editor shows the message as is.
 * Anything that is not a UserError is a bug and keeps its stack trace for the log only.
 */
export class UserError extends Error {
  override name = 'UserError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A shard that cannot be read: wrong magic, truncated, corrupt. */
export class ShardError extends UserError {
  override name = 'ShardError';
  constructor(
    readonly file: string,
    problem: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${problem}`, options);
  }
}

/** Thrown when an AbortSignal fired; callers treat it as "stopped by the user", not as a failure. */
export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor(message = 'Cancelled') {
    super(message);
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

export function isCancelled(err: unknown): boolean {
  return err instanceof CancelledError || (err instanceof Error && err.name === 'AbortError');
}

/** One line for the user: UserError messages as they are, anything else with its class name. */
export function describeError(err: unknown): string {
  if (err instanceof UserError) return err.message;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
