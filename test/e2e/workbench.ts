/**
 * One real VS Code for the end-to-end journey: code-server (VS Code 1.139 with its Node extension
 * host) serving a fresh profile with the packaged extension installed from the .vsix, driven in
 * Chromium by playwright-core. Every process started here is recorded in the run's pid file so the
 * runner (test/e2e/run.mjs) can end it even if this process is killed.
 *
 * Needs E2E_NODE24, E2E_CODE_SERVER (from toolchain.sh), E2E_VSIX and E2E_RUN_DIR (set by run.mjs).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join } from 'node:path';
import { chromium, type Browser, type FrameLocator, type Locator, type Page } from 'playwright-core';

export const ROOT = join(__dirname, '..', '..');

export interface WorkbenchOptions {
  /** Written to <user-data-dir>/Machine/settings.json: where code-server reads `machine` settings. */
  machineSettings: Record<string, unknown>;
  /** Written to <workspace>/.vscode/settings.json. */
  workspaceSettings: Record<string, unknown>;
  /** Files copied into the workspace folder. */
  workspaceFiles: string[];
}

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the journey through \`npm run test:e2e\``);
  return value;
}

/** Settings that keep the workbench quiet and the screenshots about the extension. */
const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.colorTheme': 'Default Dark Modern',
  'window.autoDetectColorScheme': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'git.enabled': false,
  'files.simpleDialog.enable': true,
  'security.workspace.trust.enabled': false,
  'workbench.enableExperiments': false,
};

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Runs in the page (a string, so no transpiler helpers leak in): true once the command palette closed. */
const PALETTE_CLOSED = `(() => {
  const widget = document.querySelector('.quick-input-widget');
  if (!widget || widget.getClientRects().length === 0) return true;
  return !widget.querySelector('input')?.value.startsWith('>');
})()`;

function writeJson(path: string, value: unknown): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

/** Ends a detached process group (SIGTERM, then SIGKILL after `graceMs`). */
async function endGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try { process.kill(-child.pid, 'SIGTERM'); } catch { return; }
  const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ } }, graceMs);
  await exited;
  clearTimeout(timer);
}

export class Workbench {
  readonly runDir = env('E2E_RUN_DIR');
  readonly userDataDir = join(this.runDir, 'user-data');
  readonly extensionsDir = join(this.runDir, 'extensions');
  readonly workspace = join(this.runDir, 'workspace');
  readonly screenshotDir = join(ROOT, 'test', 'e2e', 'screenshots');
  page!: Page;
  /** contributes of the installed extension (read from the installed package.json, i.e. the .vsix). */
  contributes: any;
  private browser: Browser | undefined;
  private server: ChildProcess | undefined;
  private readonly node24 = env('E2E_NODE24');
  private readonly codeServer = env('E2E_CODE_SERVER');
  private readonly configFile = join(this.runDir, 'code-server.yaml');

  /** Fresh profile and workspace, the .vsix installed, code-server up, the workbench loaded in Chromium. */
  async start(options: WorkbenchOptions): Promise<void> {
    for (const dir of [this.userDataDir, this.extensionsDir, this.workspace, this.screenshotDir]) mkdirSync(dir, { recursive: true });
    // An explicit config file keeps code-server away from ~/.config/code-server.
    writeFileSync(this.configFile, 'auth: none\n');
    writeJson(join(this.userDataDir, 'Machine', 'settings.json'), options.machineSettings);
    writeJson(join(this.userDataDir, 'User', 'settings.json'), USER_SETTINGS);
    writeJson(join(this.workspace, '.vscode', 'settings.json'), options.workspaceSettings);
    for (const file of options.workspaceFiles) copyFileSync(file, join(this.workspace, basename(file)));

    const vsix = env('E2E_VSIX');
    const install = spawnSync(this.node24, [this.codeServer, '--config', this.configFile, '--user-data-dir', this.userDataDir,
      '--extensions-dir', this.extensionsDir, '--install-extension', vsix], { encoding: 'utf8', timeout: 120_000 });
    if (install.status !== 0 || !/successfully installed/.test(install.stdout)) {
      throw new Error(`installing ${vsix} failed (status ${install.status}):\n${install.stdout}\n${install.stderr}`);
    }
    const manifest = JSON.parse(readFileSync(join(this.extensionsDir, 'shard-curator.shard-curator-' + this.version(vsix), 'package.json'), 'utf8'));
    this.contributes = manifest.contributes;

    const port = await freePort();
    const log = createWriteStream(join(this.runDir, 'code-server.log'));
    this.server = spawn(this.node24, [this.codeServer, '--config', this.configFile, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--user-data-dir', this.userDataDir,
      '--extensions-dir', this.extensionsDir, this.workspace], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    appendFileSync(env('E2E_PID_FILE'), `${this.server.pid}\n`);
    this.server.stdout!.pipe(log);
    this.server.stderr!.pipe(log);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('code-server did not start listening within 60 s; see code-server.log')), 60_000);
      let seen = '';
      this.server!.stdout!.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        if (seen.includes('HTTP server listening')) { clearTimeout(timer); resolve(); }
      });
      this.server!.once('exit', (code) => { clearTimeout(timer); reject(new Error(`code-server exited (${code}) before listening; see code-server.log`)); });
    });

    this.browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    this.page = await this.browser.newPage({ viewport: { width: 1680, height: 1000 } });
    this.page.setDefaultTimeout(30_000);
    await this.page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(this.workspace)}`, { waitUntil: 'domcontentloaded', timeout: 120_000 });
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
    // The workbench shows before the remote extension host has registered our contributions.
    await this.waitForCommand('Shard Curator: Open Shard', 120_000);
  }

  private version(vsix: string): string {
    const match = /-(\d+\.\d+\.\d+)\.vsix$/.exec(vsix);
    if (!match) throw new Error(`cannot read the version from ${vsix}`);
    return match[1];
  }

  /** True when the installed extension contributes a command with this title (category included). */
  hasCommand(title: string): boolean {
    return (this.contributes.commands ?? []).some((c: { title: string; category?: string }) => (c.category ? `${c.category}: ${c.title}` : c.title) === title);
  }

  hasSetting(key: string): boolean {
    const configuration = [this.contributes.configuration ?? []].flat();
    return configuration.some((section: { properties?: Record<string, unknown> }) => key in (section.properties ?? {}));
  }

  private paletteRow(title: string): Locator {
    return this.page.locator('.quick-input-widget .monaco-list-row', { has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }) });
  }

  private async openPalette(text: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    // While the workbench loads, F1 can go unheard and an open palette can lose focus and close:
    // retry until the text is in a visible palette.
    for (let attempt = 0; ; attempt++) {
      try {
        if (!(await input.isVisible())) await this.page.keyboard.press('F1');
        await input.fill(`>${text}`, { timeout: 1500 });
        return;
      } catch (error) {
        if (attempt === 30) throw new Error('the command palette does not open (F1)', { cause: error });
      }
    }
  }

  /** Polls the command palette until the command is listed (our manifest reached the workbench). */
  async waitForCommand(title: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.openPalette(title);
      try {
        await this.paletteRow(title).first().waitFor({ timeout: 3000 });
        await this.page.keyboard.press('Escape');
        return;
      } catch (error) {
        await this.page.keyboard.press('Escape');
        if (Date.now() > deadline) throw new Error(`"${title}" never appeared in the command palette`, { cause: error });
      }
    }
  }

  /** Runs a command from the palette by its exact title. */
  async runCommand(title: string): Promise<void> {
    await this.openPalette(title);
    await this.paletteRow(title).first().click();
    // Done when the palette is gone: the widget hidden, or reused by a prompt the command opened
    // (its input no longer holds the palette's ">" query).
    await this.page.waitForFunction(PALETTE_CLOSED, undefined, { timeout: 30_000 });
  }

  /** Opens a workspace file by clicking it in the explorer (VS Code picks the editor). */
  async openFromExplorer(name: string): Promise<void> {
    await this.page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first().click();
  }

  /** Picks the item whose label is `label` in the open quick pick. */
  async pickQuickItem(label: string | RegExp, timeoutMs = 30_000): Promise<void> {
    const name = typeof label === 'string' ? new RegExp(`^${escapeRegExp(label)}$`) : label;
    await this.page.locator('.quick-input-widget .monaco-list-row', { has: this.page.locator('.label-name', { hasText: name }) }).first().click({ timeout: timeoutMs });
  }

  /**
   * Types into the open quick input / input box / simple file dialog and presses Enter, once the
   * widget shows `ready` (its title or proposed value): dialogs fill in their value after opening.
   */
  async answerQuickInput(ready: RegExp, text: string): Promise<void> {
    const widget = this.page.locator('.quick-input-widget');
    const input = widget.locator('input');
    const deadline = Date.now() + 30_000;
    while (!((await widget.isVisible()) && (ready.test(await widget.innerText()) || ready.test(await input.inputValue())))) {
      if (Date.now() > deadline) throw new Error(`no quick input showing ${ready}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await input.fill(text);
    await input.press('Enter');
  }

  /** Waits for a notification toast whose message matches; returns its text. */
  async waitForNotification(message: RegExp, timeoutMs = 60_000): Promise<string> {
    const toast = this.page.locator('.notification-list-item-message', { hasText: message }).first();
    try {
      await toast.waitFor({ timeout: timeoutMs });
    } catch (error) {
      const shown = await this.page.locator('.notification-list-item-message').allInnerTexts();
      throw new Error(`no notification matching ${message} within ${timeoutMs / 1000} s; showing: ${JSON.stringify(shown)}`, { cause: error });
    }
    return (await toast.innerText()).trim();
  }

  /** The active custom editor's webview document (VS Code nests it in two iframes). */
  webview(): FrameLocator {
    return this.page.frameLocator('iframe.webview:visible').frameLocator('iframe#active-frame');
  }

  /** The label of the active editor tab. */
  async activeTabLabel(): Promise<string | null> {
    return this.page.locator('.tabs-container .tab.active').first().getAttribute('data-resource-name');
  }

  async screenshot(name: string): Promise<string> {
    const path = join(this.screenshotDir, `${name}.png`);
    await this.page.screenshot({ path });
    return path;
  }

  /** Closes Chromium and code-server (its whole process group), whatever state they are in. */
  async stop(): Promise<void> {
    // The last state, for whoever reads a failure (kept with the logs in the run folder).
    await this.page?.screenshot({ path: join(this.runDir, 'last.png') }).catch(() => undefined);
    await this.browser?.close().catch(() => undefined);
    if (this.server) await endGroup(this.server);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
