/** `shard-curator info` through the built bundle (dist/cli.js), as users run it. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { MALFORMED, records, tempDir, writeArrow, writeGzip, writeJsonl, type JsonlFixture } from './shards';

const CLI = resolve(__dirname, '..', '..', '..', 'dist', 'cli.js');
const { version } = JSON.parse(readFileSync(resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string };

let dir: string;
let cleanup: () => void;
let jsonl: JsonlFixture;

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  // TMPDIR keeps the default gzip cache inside the test folder.
  const out = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, TMPDIR: dir, SHARD_CURATOR_DEBUG: '' } });
  return { status: out.status, stdout: out.stdout, stderr: out.stderr };
}

/** The one line a failure prints: no stack trace, no usage. */
function assertOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${stderr}`);
  assert.match(lines[0], /^shard-curator: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(stderr, /\n\s+at /);
}

before(() => {
  ({ dir, cleanup } = tempDir('cli'));
  jsonl = writeJsonl(join(dir, 'web.jsonl'), records(300), new Map([[9, MALFORMED[0]], [150, MALFORMED[1]], [298, MALFORMED[2]]]));
});
after(() => cleanup());

describe('info on JSONL', () => {
  test('--json prints exactly one object with the shard facts and the malformed lines', () => {
    const { status, stdout, stderr } = cli('info', jsonl.path, '--json');
    assert.equal(status, 0, stderr);
    assert.equal(stderr, '');
    const result = JSON.parse(stdout);
    assert.deepEqual(Object.keys(result), ['format', 'rows', 'bytes', 'textField', 'columns', 'malformed']);
    assert.equal(result.format, 'jsonl');
    assert.equal(result.rows, 300);
    assert.equal(result.bytes, jsonl.bytes);
    assert.equal(result.textField, 'text');
    assert.deepEqual(result.columns, [
      { name: 'id', type: 'string' },
      { name: 'text', type: 'string' },
      { name: 'source', type: 'string' },
      { name: 'chars', type: 'number' },
    ]);
    assert.equal(result.malformed.count, 3);
    assert.deepEqual(result.malformed.examples.map((e: { line: number }) => e.line), jsonl.malformedLines);
    assert.deepEqual(jsonl.malformedLines, [11, 153, 302]);
    for (const e of result.malformed.examples) assert.ok(typeof e.error === 'string' && e.error.length > 0);
  });

  test('the human summary names the format, rows, size, text field, column types and malformed lines', () => {
    const { status, stdout, stderr } = cli('info', jsonl.path);
    assert.equal(status, 0, stderr);
    assert.match(stdout, /^format\s+jsonl$/m);
    assert.match(stdout, /^rows\s+300$/m);
    assert.match(stdout, new RegExp(`^size\\s+.*\\(${jsonl.bytes.toLocaleString('en-US')} bytes\\)$`, 'm'));
    assert.match(stdout, /^text field\s+text$/m);
    assert.match(stdout, /^malformed\s+3 lines/m);
    assert.match(stdout, /^ {2}line 11: .+/m);
    assert.match(stdout, /^ {2}line 153: .+/m);
    assert.match(stdout, /^ {2}line 302: .+/m);
    assert.match(stdout, /^ {2}chars\s+number$/m);
    assert.match(stdout, /^ {2}text \*\s+string$/m);
  });

  test('--text-field picks another column; an unknown one fails with the column list', () => {
    const picked = cli('--json', 'info', jsonl.path, '--text-field', 'source');
    assert.equal(picked.status, 0, picked.stderr);
    assert.equal(JSON.parse(picked.stdout).textField, 'source');
    const unknown = cli('info', jsonl.path, '--text-field', 'body');
    assert.equal(unknown.status, 1);
    assertOneLineError(unknown.stderr, /text field "body" is not a column; columns are: id, text, source, chars/);
  });
});

test('info on gzipped JSONL reports the compressed size and the same rows', () => {
  const gz = join(dir, 'web.jsonl.gz');
  const compressed = writeGzip(gz, jsonl.path);
  const { status, stdout, stderr } = cli('info', gz, '--json', '--cache-dir', join(dir, 'cache'));
  assert.equal(status, 0, stderr);
  const result = JSON.parse(stdout);
  assert.equal(result.format, 'jsonl.gz');
  assert.equal(result.bytes, compressed);
  assert.ok(compressed < jsonl.bytes);
  assert.equal(result.rows, 300);
  assert.equal(result.malformed.count, 3);
  assert.deepEqual(result.malformed.examples.map((e: { line: number }) => e.line), jsonl.malformedLines);
});

test('info on Arrow IPC files and streams shows Arrow types', () => {
  const rows = records(250, 11);
  for (const [name, format, expected] of [['web.arrow', 'file', 'arrow-file'], ['web.arrows', 'stream', 'arrow-stream']] as const) {
    const path = join(dir, name);
    const bytes = writeArrow(path, rows, format);
    const { status, stdout, stderr } = cli('info', path, '--json');
    assert.equal(status, 0, stderr);
    const result = JSON.parse(stdout);
    assert.equal(result.format, expected);
    assert.equal(result.rows, 250);
    assert.equal(result.bytes, bytes);
    assert.equal(result.textField, 'text');
    assert.deepEqual(result.columns.map((c: { type: string }) => c.type), ['Utf8', 'Utf8', 'Dictionary<Int32, Utf8>', 'Int32']);
    assert.deepEqual(result.malformed, { count: 0, examples: [] });
    const human = cli('info', path);
    assert.match(human.stdout, new RegExp(`^format\\s+${expected}$`, 'm'));
    assert.match(human.stdout, /^malformed\s+none$/m);
  }
});

describe('exit code 1: the file cannot be read', () => {
  test('a missing file', () => {
    const { status, stdout, stderr } = cli('info', join(dir, 'missing.jsonl'));
    assert.equal(status, 1);
    assert.equal(stdout, '');
    assertOneLineError(stderr, /missing\.jsonl/);
  });

  test('a truncated Arrow file', () => {
    const path = join(dir, 'cut.arrow');
    writeArrow(path, records(200, 5), 'file');
    const whole = readFileSync(path);
    writeFileSync(path, whole.subarray(0, Math.floor(whole.length / 2)));
    const { status, stderr } = cli('info', path, '--json');
    assert.equal(status, 1);
    assertOneLineError(stderr, /cut\.arrow/);
  });

  test('a truncated gzip file', () => {
    const gz = join(dir, 'cut.jsonl.gz');
    writeGzip(gz, jsonl.path);
    const whole = readFileSync(gz);
    writeFileSync(gz, whole.subarray(0, Math.floor(whole.length * 0.6)));
    const { status, stderr } = cli('info', gz, '--cache-dir', join(dir, 'cache'));
    assert.equal(status, 1);
    assertOneLineError(stderr, /cut\.jsonl\.gz.*truncated/);
  });

  test('a folder', () => {
    const { status, stderr } = cli('info', dir);
    assert.equal(status, 1);
    assertOneLineError(stderr, /.+/);
  });
});

describe('exit code 2: wrong use prints the usage', () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['no command', [], /no command given/],
    ['an unknown command', ['inspect', 'x.jsonl'], /unknown command "inspect"/],
    ['an unknown option', ['info', 'x.jsonl', '--colour'], /Unknown option '--colour'/],
    ['a command option before the command', ['--rows', '1:2', 'score', 'x.jsonl'], /unknown option --rows/],
    ['a missing argument', ['info'], /missing argument <shard>/],
    ['an option without its value', ['info', 'x.jsonl', '--text-field'], /--text-field/],
    ['an extra argument', ['info', 'a.jsonl', 'b.jsonl'], /unexpected argument "b\.jsonl"/],
  ];
  for (const [name, args, message] of cases) {
    test(name, () => {
      const { status, stdout, stderr } = cli(...args);
      assert.equal(status, 2);
      assert.equal(stdout, '');
      assert.match(stderr.split('\n')[0], message);
      assert.match(stderr, /^Usage: shard-curator /m);
    });
  }
});

test('--help and --version', () => {
  const help = cli('--help');
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: shard-curator <command>/);
  assert.match(help.stdout, /^ {2}info\s+Show what a shard holds/m);
  const commandHelp = cli('info', '--help');
  assert.equal(commandHelp.status, 0);
  assert.match(commandHelp.stdout, /^Usage: shard-curator info <shard> \[options\]/);
  assert.match(commandHelp.stdout, /--text-field NAME/);
  const v = cli('--version');
  assert.equal(v.status, 0);
  assert.equal(v.stdout.trim(), version);
});

test('a big shard keeps stdout clean: the progress bar never goes to a pipe', () => {
  const big = writeJsonl(join(dir, 'big.jsonl'), records(5000, 17));
  assert.ok(statSync(big.path).size > 5e6);
  const { status, stdout, stderr } = cli('info', big.path, '--json');
  assert.equal(status, 0, stderr);
  assert.equal(stderr, '');
  assert.equal(JSON.parse(stdout).rows, 5000);
});
