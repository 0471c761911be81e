/** Where the editor writes its log (the "Shard Curator" output channel in VS Code; a capture in tests). */
export interface Logger {
  info(message: string): void;
  /** `err` keeps its stack trace here; users only ever see one line. */
  error(message: string, err?: unknown): void;
}

/** The most useful trace of an error for the log: the worker thread's stack for worker errors. */
export function errorDetail(err: unknown): string {
  if (err instanceof Error) {
    const workerStack = (err as { workerStack?: unknown }).workerStack;
    return typeof workerStack === 'string' ? workerStack : (err.stack ?? `${err.name}: ${err.message}`);
  }
  return String(err);
}
