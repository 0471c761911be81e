/**
 * An Arrow IPC file written batch by batch through a FileSink. apache-arrow's RecordBatchFileWriter
 * encodes; its output queue is replaced by one that only collects, so each batch's bytes go to the
 * disk (with backpressure) before the next batch is encoded: memory stays at about one batch.
 */
import { AsyncByteQueue, RecordBatchFileWriter, type RecordBatch, type Schema } from 'apache-arrow';
import { UserError } from '../errors';
import type { FileSink, WrittenFile } from './sink';

/** Keeps what the writer emits until it is taken. */
class CollectingQueue extends AsyncByteQueue {
  pieces: Uint8Array[] = [];

  override write(value: Uint8Array): void {
    this.pieces.push(value);
  }
}

export class ArrowFileOut {
  private readonly writer = new RecordBatchFileWriter();
  private readonly queue = new CollectingQueue();

  constructor(
    private readonly sink: FileSink,
    readonly schema: Schema,
    /** Names the file in errors. */
    private readonly name: string,
  ) {
    this.writer.reset(this.queue as never, schema);
  }

  async write(batch: RecordBatch): Promise<void> {
    if (batch.numRows === 0) return;
    try {
      this.writer.write(batch);
    } catch (err) {
      if (/replacement dictionaries/i.test((err as Error).message)) {
        throw new UserError(
          `${this.name}: a dictionary-encoded column's dictionary changes between record batches of the source ` +
            '(an Arrow stream with replacement dictionaries), which an Arrow IPC file cannot hold; export to JSONL instead (format "jsonl")',
          { cause: err });
      }
      throw err;
    }
    await this.drain();
  }

  private async drain(): Promise<void> {
    const { pieces } = this.queue;
    if (pieces.length === 0) return;
    this.queue.pieces = [];
    await this.sink.write(Buffer.concat(pieces));
  }

  /** Writes the footer and finishes the file. */
  async finish(): Promise<WrittenFile> {
    this.writer.finish();
    await this.drain();
    return this.sink.finish();
  }
}
