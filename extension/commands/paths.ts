import { basename } from 'node:path';

/** `x.curated.jsonl` -> `x.dropped.jsonl`; any other name gets `.dropped` before its extension (`.jsonl.gz` counts as one). */
export function droppedPathFor(out: string): string {
  const ext = /(\.[^./\\]+(?:\.gz)?)$/i.exec(basename(out))?.[1] ?? '';
  const stem = out.slice(0, out.length - ext.length).replace(/\.curated$/, '');
  return `${stem}.dropped${ext}`;
}
