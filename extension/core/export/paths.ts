/**
 * Output names, and the rules that keep export from harming files: never write over the shard
 * (not through another name, a symlink or a hard link either), never replace an existing file
 * unless asked to, and write every file under a temporary name in its target folder, renamed into
 * place only when complete, so a failed or cancelled export leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Stats } from 'node:fs';
import { UserError } from '../errors';
import type { ShardFormat } from '../shard/types';
import type { ExportFormat } from './job';

/** Name endings of shards, longest first, stripped to get the shard's base name. */
const SHARD_ENDINGS = ['.jsonl.gz', '.json.gz', '.ndjson.gz', '.jsonl', '.ndjson', '.json', '.arrows', '.arrow', '.feather', '.ipc', '.gz'];

function baseName(shardPath: string): string {
  const name = basename(shardPath);
  const ending = SHARD_ENDINGS.find((e) => name.toLowerCase().endsWith(e) && name.length > e.length);
  return ending ? name.slice(0, -ending.length) : name.slice(0, name.length - extname(name).length) || name;
}

export function defaultExportFormat(source: ShardFormat): ExportFormat {
  return source === 'arrow-file' || source === 'arrow-stream' ? 'arrow' : 'jsonl';
}

/**
 * Proposed names next to the shard: `<name>.curated.<ext>` and `<name>.dropped.<ext>`. JSONL keeps
 * the shard's compression (`x.jsonl.gz` -> `x.curated.jsonl.gz`); Arrow (file or stream) becomes an
 * Arrow IPC file, `.arrow`.
 */
export function proposeExportPaths(shardPath: string, source: ShardFormat, format = defaultExportFormat(source)): { output: string; dropped: string } {
  const ext = format === 'arrow' ? '.arrow' : source === 'jsonl.gz' ? '.jsonl.gz' : '.jsonl';
  const stem = join(dirname(shardPath), baseName(shardPath));
  return { output: `${stem}.curated${ext}`, dropped: `${stem}.dropped${ext}` };
}

export function proposeAnnotationsPath(shardPath: string): string {
  return join(dirname(shardPath), `${baseName(shardPath)}.annotations.arrow`);
}

/** The recipe written beside an output. */
export function recipePathFor(output: string): string {
  return `${output}.recipe.json`;
}

/** JSONL output is gzipped when its name ends in `.gz`. */
export function isGzipName(path: string): boolean {
  return /\.gz$/i.test(path);
}

async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Checks the files an export will write: distinct, in existing folders, none of them the shard
 * (same resolved path, or the same file through a hard link: same device and inode), and none
 * existing unless `force`.
 */
export async function checkTargets(shardPath: string, targets: string[], force: boolean): Promise<void> {
  const shard = await stat(shardPath);
  const shardReal = await realpath(shardPath);
  const seen = new Set<string>();
  for (const target of targets) {
    const absolute = resolve(target);
    if (seen.has(absolute)) throw new UserError(`${target}: named twice among the export's files; give each file its own name`);
    seen.add(absolute);
    const folder = await statOrUndefined(dirname(absolute));
    if (!folder?.isDirectory()) throw new UserError(`${target}: the folder ${dirname(absolute)} does not exist; create it or choose another output folder`);
    const existing = await statOrUndefined(absolute);
    if (!existing) continue;
    if ((await realpath(absolute)) === shardReal || (existing.dev === shard.dev && existing.ino === shard.ino)) {
      throw new UserError(`${target}: this is the shard being exported (${shardPath}); export never writes over its source, choose another output name`);
    }
    if (existing.isDirectory()) throw new UserError(`${target}: is a folder; choose a file name for the export`);
    if (!force) {
      throw new UserError(`${target}: already exists; export does not replace files unless told to (editor: confirm replacing it; CLI: --force)`);
    }
  }
}

/** A file written under a temporary name in its target folder and renamed into place when complete. */
export class TempFile {
  private constructor(
    readonly target: string,
    readonly path: string,
  ) {}

  /** Creates the empty temporary file (exclusively: never an existing file). */
  static async create(target: string): Promise<TempFile> {
    const path = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.partial`);
    try {
      await (await open(path, 'wx')).close();
    } catch (err) {
      throw new UserError(`${target}: cannot write in ${dirname(resolve(target))} (${(err as Error).message}); choose another output folder`, { cause: err });
    }
    return new TempFile(target, path);
  }

  async commit(): Promise<void> {
    await rename(this.path, this.target);
  }

  /** Removes the temporary file; retried briefly where the OS refuses while a writer still closes it (Windows). */
  async discard(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await unlink(this.path);
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return;
        if (attempt >= 20 || (code !== 'EBUSY' && code !== 'EPERM')) throw err;
        await sleep(50);
      }
    }
  }
}
