/**
 * score, annotations, density, mark, curate, compare and demo through the built bundle (dist/cli.js),
 * against the fake Ollama server (the CLI runs as a child process, so it is spawned asynchronously:
 * the fake server answers from this process's event loop).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startFakeOllama, closedPort, type FakeOllama } from '../../fakes/ollama-server';
import { records, tempDir, writeJsonl } from './shards';

const CLI = resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');
const MODEL = 'qwen2.5:0.5b';
let dir: string;
let cleanup: () => void;
let fake: FakeOllama;
let caseNo = 0;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], options: { cwd?: string; env?: Record<string, string>; onSpawn?: (child: ChildProcess) => void } = {}): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: options.cwd ?? dir,
      env: { ...process.env, TMPDIR: dir, SHARD_CURATOR_DEBUG: '', OLLAMA_HOST: fake.url, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    options.onSpawn?.(child);
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolvePromise({ status, stdout, stderr }));
  });
}

function oneLineError(run: Run, status: number, pattern: RegExp): void {
  assert.equal(run.status, status, run.stderr);
  const lines = run.stderr.trimEnd().split('\n');
  assert.match(lines[0], /^shard-curator: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
}

function newShard(rows = 40): { path: string; texts: string[] } {
  const folder = join(dir, `case-${++caseNo}`);
  mkdirSync(folder, { recursive: true });
  const data = records(rows, 9);
  return { path: writeJsonl(join(folder, 'web.jsonl'), data).path, texts: data.map((r) => r.text) };
}

const annotationLines = (run: Run) => run.stdout.trimEnd().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { row: number; askllm: number | null; density: number | null; override: string | null });

before(async () => {
  ({ dir, cleanup } = tempDir('cli-curation'));
  fake = await startFakeOllama();
});
after(async () => {
  await fake.stop();
  cleanup();
});

describe('score and annotations', () => {
  test('score --json, a resumed run that skips scored rows, and annotations per row', async () => {
    const { path } = newShard();
    const first = await cli(['score', path, '--model', MODEL, '--rows', '0:10,30', '--json']);
    assert.equal(first.status, 0, first.stderr);
    const summary = JSON.parse(first.stdout);
    assert.deepEqual(Object.keys(summary), ['scored', 'cached', 'failed', 'seconds']);
    assert.deepEqual([summary.scored, summary.cached, summary.failed], [11, 0, 0]);

    const sent = fake.requests.filter((r) => r.path === '/api/chat').length;
    const second = await cli(['score', path, '--host', fake.url, '--model', MODEL, '--json']);
    assert.equal(second.status, 0, second.stderr);
    assert.deepEqual(JSON.parse(second.stdout), { ...JSON.parse(second.stdout), scored: 29, cached: 11, failed: 0 });
    assert.equal(fake.requests.filter((r) => r.path === '/api/chat').length - sent, 29);

    const listed = await cli(['annotations', path, '--json']);
    assert.equal(listed.status, 0, listed.stderr);
    const lines = annotationLines(listed);
    assert.deepEqual(lines.map((l) => l.row), Array.from({ length: 40 }, (_, i) => i));
    assert.deepEqual(Object.keys(lines[0]), ['row', 'askllm', 'density', 'override']);
    assert.ok(lines.every((l) => l.askllm! > 0 && l.askllm! < 1 && l.density === null && l.override === null));

    const human = await cli(['annotations', path]);
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`^Ask-LLM\\s+40 rows scored by ${MODEL.replace('.', '\\.')}`, 'm'));
  });

  test('another prompt coexists; annotations picks it by --prompt-file, and stale scores are never shown', async () => {
    const { path } = newShard(12);
    assert.equal((await cli(['score', path, '--model', MODEL, '--json'])).status, 0);
    const defaults = annotationLines(await cli(['annotations', path, '--json']));
    const promptFile = join(dir, `prompt-${caseNo}.txt`);
    writeFileSync(promptFile, 'Text:\n{text}\n\nIs this text worth training a language model on? Answer yes or no.');
    const other = await cli(['score', path, '--model', MODEL, '--prompt-file', promptFile, '--rows', '0:4', '--json']);
    assert.equal(JSON.parse(other.stdout).scored, 4);

    const latest = annotationLines(await cli(['annotations', path, '--json']));
    assert.deepEqual(latest.map((l) => l.row), [0, 1, 2, 3], 'by default: the most recent scoring run\'s model + prompt');
    const byPrompt = annotationLines(await cli(['annotations', path, '--json', '--prompt-file', promptFile]));
    assert.deepEqual(byPrompt, latest);
    const missing = await cli(['annotations', path, '--json', '--model', 'llama3.2:3b']);
    oneLineError(missing, 1, /no Ask-LLM scores for model llama3\.2:3b; scored so far: qwen2\.5:0\.5b/);

    // Rewrite row 2: its score (under either prompt) disappears.
    const rows = records(12, 9);
    rows[2] = { ...rows[2], text: `${rows[2].text} (edited)` };
    writeJsonl(path, rows);
    const after = annotationLines(await cli(['annotations', path, '--json']));
    assert.deepEqual(after.map((l) => l.row), [0, 1, 3]);
    const byModel = annotationLines(await cli(['annotations', path, '--json', '--model', MODEL, '--prompt-file', promptFile]));
    assert.deepEqual(byModel.map((l) => l.row), [0, 1, 3]);
    assert.ok(defaults.length === 12);
  });

  test('preflight failures exit 1 with the specific message and write nothing', async () => {
    const { path } = newShard(5);
    oneLineError(await cli(['score', path, '--model', 'llama9:70b']), 1, /Model "llama9:70b" is not installed on Ollama at .*ollama pull llama9:70b/);
    oneLineError(await cli(['score', path, '--model', 'nomic-embed-text']), 1, /cannot be the Ask-LLM judge: it is an embedding model/);
    const port = await closedPort();
    oneLineError(await cli(['score', path, '--model', MODEL, '--host', `127.0.0.1:${port}`]), 1, /Cannot reach Ollama at http:\/\/127\.0\.0\.1:\d+: connection refused/);
    oneLineError(await cli(['score', path, '--model', MODEL], { env: { OLLAMA_HOST: `127.0.0.1:${port}` } }), 1, /connection refused/);
    const old = await startFakeOllama({ version: '0.11.4' });
    try {
      oneLineError(await cli(['score', path, '--model', MODEL, '--host', old.url]), 1, /version 0\.11\.4.*0\.12\.11 or newer/);
    } finally {
      await old.stop();
    }
    assert.equal(existsSync(`${path}.curator`), false);
    assert.equal((await cli(['score', path, '--rows', '3:9', '--model', MODEL])).status, 2);
    oneLineError(await cli(['score', path, '--concurrency', '0']), 1, /--concurrency must be a whole number >= 1/);
    oneLineError(await cli(['score', path, '--prompt-file', join(dir, 'nope.txt')]), 1, /nope\.txt: cannot read the prompt template/);
  });

  test('Ctrl-C stops a run cleanly: exit 130, the rows scored so far are kept', async () => {
    const { path } = newShard(40);
    fake.latencyMs = 40;
    const answered = () => fake.requests.filter((r) => r.path === '/api/chat' && r.status === 200).length;
    const before = answered();
    let poll: NodeJS.Timeout | undefined;
    let run: Run;
    try {
      run = await cli(['score', path, '--model', MODEL, '--concurrency', '2'], {
        onSpawn: (child) => {
          poll = setInterval(() => {
            if (answered() - before >= 6) {
              clearInterval(poll);
              child.kill('SIGINT');
            }
          }, 5);
        },
      });
    } finally {
      clearInterval(poll);
      fake.latencyMs = 0;
    }
    assert.equal(run.status, 130, run.stderr);
    assert.match(run.stderr, /^shard-curator: cancelled$/m);
    const scored = Number(/cancelled after scoring (\d+) rows/.exec(run.stdout)?.[1]);
    assert.ok(scored >= 6 && scored < 40, run.stdout);
    const kept = annotationLines(await cli(['annotations', path, '--json']));
    assert.equal(kept.length, scored);
    const resumed = await cli(['score', path, '--model', MODEL, '--json']);
    assert.deepEqual([JSON.parse(resumed.stdout).scored, JSON.parse(resumed.stdout).cached], [40 - scored, scored]);
  });
});

describe('density, mark, curate and compare', () => {
  test('density --rows fills density for that range only; errors are specific', async () => {
    const { path } = newShard(60);
    const run = await cli(['density', path, '--rows', '10:50', '--json', '--sketch-rows', '64', '--seed', '3']);
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.rows, 40);
    assert.match(result.embedder, /^builtin/);
    assert.equal(result.params.rows, 64);
    assert.equal(result.params.seed, 3);
    const lines = annotationLines(await cli(['annotations', path, '--json']));
    assert.deepEqual(lines.map((l) => l.row), Array.from({ length: 40 }, (_, i) => i + 10));
    assert.ok(lines.every((l) => l.density! >= 1 && l.askllm === null));

    const human = await cli(['density', path, '--method', 'exact']);
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, /^density of 60 rows with builtin.* \(exact\)/m);
    assert.equal(annotationLines(await cli(['annotations', path, '--json'])).length, 60);

    assert.equal((await cli(['density', path, '--rows', '1,5'])).status, 2);
    assert.equal((await cli(['density', path, '--rows', '50:70'])).status, 2);
    assert.equal((await cli(['density', path, '--embedder', 'bert'])).status, 2);
    assert.equal((await cli(['density', path, '--model', 'nomic-embed-text'])).status, 2);
    oneLineError(await cli(['density', path, '--buckets', 'many']), 1, /--buckets must be a whole number/);
  });

  test('density with an Ollama embedding model', async () => {
    const { path } = newShard(30);
    const sent = fake.requests.filter((r) => r.path === '/api/embed').length;
    const run = await cli(['density', path, '--embedder', 'ollama', '--host', fake.url, '--json']);
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.match(result.embedder, /^ollama-nomic-embed-text-/);
    assert.equal(result.embedded, 30);
    assert.ok(fake.requests.filter((r) => r.path === '/api/embed').length > sent);
    oneLineError(await cli(['density', path, '--embedder', 'ollama', '--model', MODEL]), 1, /is not an embedding model/);
  });

  test('mark sets overrides that annotations shows; bad lists change nothing', async () => {
    const { path } = newShard(30);
    const run = await cli(['mark', path, '--keep', '1,5,10:13', '--drop', '20:22', '--json']);
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), { keep: 5, drop: 2, clear: 0 });
    const clear = await cli(['mark', path, '--clear', '5,6']);
    assert.equal(clear.status, 0, clear.stderr);
    assert.match(clear.stdout, /^clear: 1 of 2 rows changed$/m);
    const lines = annotationLines(await cli(['annotations', path, '--json']));
    assert.deepEqual(lines.map((l) => [l.row, l.override]), [[1, 'keep'], [10, 'keep'], [11, 'keep'], [12, 'keep'], [20, 'drop'], [21, 'drop']]);

    for (const bad of [['--keep', '3:3'], ['--drop', '28:31'], ['--keep', '1,,2'], ['--keep', 'x'], []]) {
      const result = await cli(['mark', path, '--drop', '0', ...bad]);
      if (bad.length === 0) {
        assert.equal(result.status, 0);
        continue;
      }
      assert.equal(result.status, 2, `${bad.join(' ')}: ${result.stderr}`);
    }
    const unchanged = annotationLines(await cli(['annotations', path, '--json']));
    assert.deepEqual(unchanged.map((l) => l.row), [0, 1, 10, 11, 12, 20, 21]);
    assert.equal((await cli(['mark', path])).status, 2);
  });

  test('curate writes the kept rows and the recipe; compare reports the samplers\' agreement', async () => {
    const { path, texts } = newShard(50);
    assert.equal((await cli(['score', path, '--model', MODEL])).status, 0);
    assert.equal((await cli(['density', path])).status, 0);
    assert.equal((await cli(['mark', path, '--drop', '0', '--keep', '1'])).status, 0);
    const out = join(dir, `case-${caseNo}`, 'curated.jsonl');
    const run = await cli(['curate', path, '--sampler', 'askllm-min:0.3,density-ips:0.5', '--seed', '4', '--out', out, '--with-annotations', '--json']);
    assert.equal(run.status, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.deepEqual(Object.keys(result), ['input', 'kept', 'dropped', 'out']);
    assert.equal(result.input, 50);
    assert.equal(result.kept + result.dropped, 50);
    const kept = readFileSync(out, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(kept.length, result.kept);
    assert.ok(kept.some((r) => r.text === texts[1]) && !kept.some((r) => r.text === texts[0]), 'overrides apply');
    const recipe = JSON.parse(readFileSync(`${out}.recipe.json`, 'utf8'));
    assert.equal(recipe.sampler.spec, 'askllm-min:0.3,density-ips:0.5');
    assert.equal(recipe.sampler.seed, 4);
    assert.equal(recipe.askllm.model, MODEL);
    assert.match(recipe.density.embedder, /^builtin/);

    oneLineError(await cli(['curate', path, '--sampler', 'random:0.5', '--out', out]), 1, /exists|--force/);
    assert.equal((await cli(['curate', path, '--sampler', 'random:0.5', '--out', out, '--force'])).status, 0);
    oneLineError(await cli(['curate', path, '--sampler', 'random:7.5', '--out', out, '--force']), 1, /random:7\.5/);
    assert.equal((await cli(['curate', path, '--out', out])).status, 2);
    assert.equal((await cli(['curate', path, '--sampler', 'random:0.5'])).status, 2);
    oneLineError(await cli(['curate', path, '--sampler', 'askllm-min:0.2', '--out', join(dir, 'x.jsonl'), '--store', join(dir, 'empty-store')]), 1, /needs an Ask-LLM score/);

    const compared = await cli(['compare', path, '--sampler', 'random:0.5', '--sampler', 'density-ips:0.5', '--json']);
    assert.equal(compared.status, 0, compared.stderr);
    const c = JSON.parse(compared.stdout);
    assert.deepEqual(Object.keys(c), ['a', 'b', 'both', 'jaccard']);
    assert.deepEqual([c.a, c.b], [25, 25], 'overrides are left out');
    assert.equal(c.jaccard, c.both / (50 - (50 - c.a - c.b + c.both)));
    assert.equal((await cli(['compare', path, '--sampler', 'random:0.5'])).status, 2);
  });

  test('--store keeps the annotations out of the shard\'s folder', async () => {
    const { path } = newShard(10);
    const store = join(dir, `store-${caseNo}`);
    assert.equal((await cli(['mark', path, '--keep', '2', '--store', store])).status, 0);
    assert.equal(existsSync(`${path}.curator`), false);
    assert.equal(readdirSync(store).length, 1);
    assert.equal(annotationLines(await cli(['annotations', path, '--json'])).length, 0);
    assert.equal(annotationLines(await cli(['--store', store, 'annotations', path, '--json'])).length, 1);
  });

  test('--text-field scores and embeds another column; the annotations belong to that column\'s texts', async () => {
    const { path } = newShard(12);
    assert.equal((await cli(['score', path, '--text-field', 'id', '--model', MODEL, '--json'])).status, 0);
    assert.equal((await cli(['density', path, '--text-field', 'id', '--method', 'exact'])).status, 0);
    const byId = annotationLines(await cli(['annotations', path, '--text-field', 'id', '--json']));
    assert.equal(byId.length, 12);
    assert.ok(byId.every((l) => l.askllm !== null && l.density !== null));
    // Keyed by text hash: the "text" column's texts were never annotated.
    assert.equal(annotationLines(await cli(['annotations', path, '--json'])).length, 0);
    oneLineError(await cli(['score', path, '--text-field', 'body', '--model', MODEL]), 1, /text field "body" is not a column; columns are: id, text, source, chars/);
  });
});

test('demo curates the bundled example without a server and says where the files are', async () => {
  const cwd = join(dir, 'demo-cwd');
  mkdirSync(cwd, { recursive: true });
  const run = await cli(['demo'], { cwd, env: { OLLAMA_HOST: '127.0.0.1:1' } });
  assert.equal(run.status, 0, run.stderr);
  const out = join(cwd, 'shard-curator-demo', 'web-sample.curated.jsonl');
  assert.match(run.stdout, /^ {2}rows\s+1,202$/m);
  assert.match(run.stdout, new RegExp(`^Curated shard\\s+${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  assert.match(run.stdout, /near-duplicates vs \d+% of the other rows/);
  const recipe = JSON.parse(readFileSync(`${out}.recipe.json`, 'utf8'));
  assert.equal(recipe.sampler.spec, 'density-ips:0.5');
  assert.equal(readFileSync(out, 'utf8').trimEnd().split('\n').length, recipe.rows.kept);
  assert.equal(existsSync(resolve(__dirname, '..', '..', '..', 'examples', 'web-sample.jsonl.curator')), false, 'the examples folder is never written');

  const again = await cli(['demo', '--json', '--out', join(cwd, 'shard-curator-demo')], { cwd });
  assert.equal(again.status, 0, again.stderr);
  const report = JSON.parse(again.stdout);
  assert.equal(report.rows, 1202);
  assert.equal(report.kept + report.dropped, 1202);
  assert.ok(report.nearDuplicates.rows > 0);
  assert.ok(report.density.min >= 1 && report.density.max >= report.density.median);
});
