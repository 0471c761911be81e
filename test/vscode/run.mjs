// `npm run test:vscode`: the mocha suite in test/vscode/ inside a desktop VS Code via @vscode/test-electron.
// VS Code comes from VSCODE_EXECUTABLE_PATH (the `code` binary of an install) or is downloaded into
// .cache/vscode-test. When neither works (no network, no install) it says so in one line and exits 0
// without claiming that tests ran. Headless Linux needs `xvfb-run` (Debian package xvfb).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const require = createRequire(import.meta.url);
const { downloadAndUnzipVSCode, runTests } = require('@vscode/test-electron');
const ROOT = resolve(import.meta.dirname, '..', '..');
const WORK = join(ROOT, 'test', '.tmp', 'vscode');
const OUT = join(WORK, 'out');

function notRun(reason) {
  console.log(`test:vscode: no tests ran: ${reason}`);
  process.exit(0);
}

async function vscodeExecutable() {
  const given = process.env.VSCODE_EXECUTABLE_PATH;
  if (given) {
    if (!existsSync(given)) {
      console.error(`test:vscode: VSCODE_EXECUTABLE_PATH=${given} does not exist (it must be the \`code\` binary inside a VS Code install)`);
      process.exit(1);
    }
    return given;
  }
  try {
    return await downloadAndUnzipVSCode({ version: 'stable', cachePath: join(ROOT, '.cache', 'vscode-test'), timeout: 15_000, reporter: downloadReporter() });
  } catch (error) {
    notRun(`VS Code could not be downloaded (${String(error?.message ?? error).split('\n')[0]}) and VSCODE_EXECUTABLE_PATH is not set`);
  }
}

/** Reports only a real download (so the offline case stays one line). */
function downloadReporter() {
  let shown = -1;
  return {
    report(report) {
      if (report.stage !== 'downloading' || !report.totalBytes) return;
      const percent = Math.floor((100 * report.bytesSoFar) / report.totalBytes / 10) * 10;
      if (percent > shown) process.stdout.write(`downloading VS Code: ${(shown = percent)}%\n`);
    },
    error() {},
  };
}

async function freePort() {
  const server = createServer();
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  await new Promise((done) => server.close(done));
  return port;
}

// Electron needs a display; without one, run again under xvfb-run when it is installed.
if (process.platform === 'linux' && !process.env.DISPLAY) {
  const xvfb = spawnSync('sh', ['-c', 'command -v xvfb-run'], { encoding: 'utf8' }).stdout.trim();
  if (!xvfb) notRun('no display and no xvfb-run (apt-get install xvfb)');
  const again = spawnSync(xvfb, ['-a', process.execPath, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(again.status ?? 1);
}

const executable = await vscodeExecutable();

const build = spawnSync(process.execPath, [join(ROOT, 'esbuild.mjs')], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
rmSync(WORK, { recursive: true, force: true });
// Compiled under test/.tmp so `mocha` resolves from the project's node_modules.
await esbuild.build({
  entryPoints: [join(ROOT, 'test/vscode/index.ts'), ...readdirSync(join(ROOT, 'test/vscode')).filter((f) => f.endsWith('.test.ts')).map((f) => join(ROOT, 'test/vscode', f))],
  outdir: OUT, bundle: true, platform: 'node', format: 'cjs', target: 'node20', sourcemap: 'inline',
  external: ['vscode', 'mocha'], logLevel: 'warning',
});

const workspace = join(WORK, 'workspace');
mkdirSync(join(workspace, '.vscode'), { recursive: true });
for (const name of ['web-sample.arrow', 'web-sample.jsonl']) copyFileSync(join(ROOT, 'examples', name), join(workspace, name));
writeFileSync(join(workspace, 'web-sample.jsonl.gz'), gzipSync(readFileSync(join(ROOT, 'examples', 'web-sample.jsonl'))));
const decoyPort = await freePort();
writeFileSync(join(workspace, '.vscode', 'settings.json'), JSON.stringify({
  // A repository must not be able to redirect Ollama: this host (scope machine) must be ignored.
  'shardCurator.ollama.hosts': [`http://127.0.0.1:${decoyPort}`],
  'shardCurator.density.embedder': 'builtin',
}, null, 2));
const resultsFile = join(WORK, 'results.json');

let status = 0;
try {
  await runTests({
    vscodeExecutablePath: executable,
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: join(OUT, 'index.js'),
    extensionTestsEnv: { SHARD_CURATOR_TEST_RESULTS: resultsFile, SHARD_CURATOR_DECOY_PORT: String(decoyPort) },
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes', '--disable-gpu',
      '--user-data-dir', join(WORK, 'user-data'), '--extensions-dir', join(WORK, 'extensions')],
  });
} catch (error) {
  console.error(`test:vscode: ${error?.message ?? error}`);
  status = 1;
}
if (!existsSync(resultsFile)) {
  console.log('\n0 passed, 1 failed (the suite did not report: see the output above)');
  process.exit(1);
}
const { passed, failed } = JSON.parse(readFileSync(resultsFile, 'utf8'));
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(status === 0 && failed === 0 && passed > 0 ? 0 : 1);
