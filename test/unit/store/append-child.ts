/**
 * A separate writer process for the crash and concurrency tests:
 *   append-child.ts <shard path> <label> <count> <override-batch> <ack file>
 * Appends `count` Ask-LLM results (rows 0..count-1, model = label) and, with override-batch = N,
 * an override record of N rows after every 10th result (long lines). After each append completes it
 * writes the row to the ack file (a blocking write, unlike a pipe), so the parent knows which writes
 * had returned when it killed us.
 */
import { openSync, writeSync } from 'node:fs';
import { AnnotationStore } from '../../../extension/core/store/store';
import { textHash } from '../../../extension/core/store/text-hash';
import { realDocuments } from '../../fixtures/corpus';

async function main(): Promise<void> {
  const [shardPath, label, countText, batchText, ackPath] = process.argv.slice(2);
  const ack = openSync(ackPath, 'w');
  const count = Number(countText);
  const batch = Number(batchText ?? 0);
  const texts = realDocuments(200).map((doc) => doc.text);
  const store = await AnnotationStore.open(shardPath);
  const run = store.beginAskllmRun({ model: label, modelDigest: null, prompt: `Is this useful? ({text}) [${label}]` });
  for (let row = 0; row < count; row++) {
    const text = texts[row % texts.length];
    store.appendAskllm(run, { row, textHash: textHash(text), pYes: (row % 100) / 100, pNo: 1 - (row % 100) / 100, offFormat: false, truncated: false });
    if (batch > 0 && row % 10 === 0) {
      const rows = Array.from({ length: batch }, (_, i) => i);
      store.setOverrides(rows, rows.map((i) => textHash(texts[i % texts.length])), row % 20 === 0 ? 'keep' : 'drop');
    }
    writeSync(ack, `${row}\n`);
  }
  store.close();
}

void main();
