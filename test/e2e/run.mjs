// `npm run test:e2e`: the end-to-end journey in a real VS Code (code-server) driven in Chromium.
// 1. installs the toolchain on demand (test/e2e/toolchain.sh: Node 24 + code-server, cached in .cache/e2e);
// 2. packages the extension with `npm run package` (the .vsix users install; the journey installs exactly it);
// 3. runs test/e2e/journey.test.ts under node:test, bounded in time, and ends every process it started;
// 4. prints the plain summary line `N passed, N failed`.
// Options: --update-docs  also copies the README's screenshots to docs/screenshots/.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const JOURNEY_TIMEOUT_MS = 15 * 60_000;
/** Screenshots the README shows; the journey writes them all to test/e2e/screenshots/. */
const DOC_SCREENSHOTS = ['editor', 'jsonl-shard'];

function fail(message) {
  console.error(`test:e2e: ${message}`);
  console.log('\n0 passed, 1 failed');
  process.exit(1);
}

const toolchain = spawnSync('bash', [join(ROOT, 'test/e2e/toolchain.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 20 * 60_000 });
if (toolchain.status !== 0) fail(`the toolchain install failed (status ${toolchain.status})`);
const paths = Object.fromEntries(toolchain.stdout.trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2)));
if (!paths.NODE24 || !paths.CODE_SERVER) fail(`toolchain.sh printed no NODE24/CODE_SERVER lines:\n${toolchain.stdout}`);

const { name, version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const vsix = join(ROOT, `${name}-${version}.vsix`);
const pack = spawnSync('npm', ['run', '--silent', 'package'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], timeout: 5 * 60_000 });
if (pack.status !== 0 || !existsSync(vsix)) fail('`npm run package` failed');
console.log(`packaged ${vsix} (${(statSync(vsix).size / 1024 / 1024).toFixed(2)} MB)`);

const runDir = join(ROOT, 'test', '.tmp', 'e2e', `run-${process.pid}`);
mkdirSync(runDir, { recursive: true });
const pidFile = join(runDir, 'pids');
writeFileSync(pidFile, '');
const tapFile = join(runDir, 'results.tap');

/** Ends every process group the journey recorded (code-server) and the journey's own group. */
function endAll(journeyPid) {
  const groups = readFileSync(pidFile, 'utf8').split('\n').filter(Boolean).map(Number);
  if (journeyPid) groups.push(journeyPid);
  for (const pid of groups) {
    try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
  }
}

const journey = spawn(process.execPath, [
  '--import', 'tsx', '--test', '--test-concurrency=1',
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
  join(ROOT, 'test/e2e/journey.test.ts'),
], {
  cwd: ROOT,
  stdio: 'inherit',
  detached: true,
  env: { ...process.env, E2E_NODE24: paths.NODE24, E2E_CODE_SERVER: paths.CODE_SERVER, E2E_VSIX: vsix, E2E_RUN_DIR: runDir, E2E_PID_FILE: pidFile },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { endAll(journey.pid); process.exit(1); });
let timedOut = false;
const timer = setTimeout(() => {
  timedOut = true;
  console.error(`test:e2e: the journey took longer than ${JOURNEY_TIMEOUT_MS / 60_000} minutes; ending it`);
  endAll(journey.pid);
}, JOURNEY_TIMEOUT_MS);
const status = await new Promise((resolve) => journey.once('exit', (code) => resolve(code)));
clearTimeout(timer);
endAll(undefined);

const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
const count = (key) => Number((tap.match(new RegExp(`^# ${key} (\\d+)$`, 'm')) ?? [0, '0'])[1]);
const passed = count('pass');
const failed = count('fail') + count('cancelled') + (timedOut || (status !== 0 && count('fail') === 0) ? 1 : 0);
const skipped = [...tap.matchAll(/^\s*ok \d+ - (.*) # SKIP ?(.*)$/gm)].map((m) => `${m[1]} (${m[2]})`);

if (failed === 0) {
  if (process.argv.includes('--update-docs')) {
    mkdirSync(join(ROOT, 'docs', 'screenshots'), { recursive: true });
    for (const shot of DOC_SCREENSHOTS) {
      const from = join(ROOT, 'test', 'e2e', 'screenshots', `${shot}.png`);
      if (existsSync(from)) copyFileSync(from, join(ROOT, 'docs', 'screenshots', `${shot}.png`));
    }
  }
  rmSync(runDir, { recursive: true, force: true });
} else {
  console.log(`logs and profile kept in ${runDir}`);
}
if (skipped.length) console.log(`\nnot run (feature not in this build):\n  ${skipped.join('\n  ')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
