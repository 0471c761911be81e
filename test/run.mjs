// The test command: builds the bundles, runs every node:test suite (unit + webview-in-Chromium),
// and ends with the plain summary line `N passed, N failed, N skipped`.
// Usage: node test/run.mjs [substring-filter ...]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const suites = ['test/unit', 'test/webview'];
const filters = process.argv.slice(2);

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...findTests(full));
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

const build = spawnSync(process.execPath, ['esbuild.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

const files = suites.flatMap(findTests).filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
mkdirSync('test/.tmp', { recursive: true });
const tapFile = `test/.tmp/results-${process.pid}.tap`;
const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1',
   '--test-reporter=spec', '--test-reporter-destination=stdout',
   '--test-reporter=tap', `--test-reporter-destination=${tapFile}`, ...files],
  { stdio: 'inherit' },
);

const tap = readFileSync(tapFile, 'utf8');
rmSync(tapFile);
const count = (key) => Number((tap.match(new RegExp(`^# ${key} (\\d+)$`, "m")) ?? [0, "0"])[1]);
const passed = count('pass');
const failed = count('fail') + count('cancelled');
const skipped = count('skipped') + count('todo');
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(run.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
