/**
 * The webview harness: a tiny local HTTP server that serves the real editor page (the host's
 * webviewHtml with its strict CSP) plus dist/webview.js and media/main.css, a fake host that answers
 * the protocol, and headless Chromium driven by playwright-core.
 *
 * The page gets `acquireVsCodeApi` from a nonce'd boot script (like VS Code injects it): posted
 * messages go to the Node fake host through a binding, and getState() returns the state the page
 * last saved, served again on reload as VS Code does when a hidden editor is shown again.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { webviewHtml } from '../../../extension/editor/html';
import { FakeHost } from './fake-host';
import type { FakeShard } from './shards';

const ROOT = resolve(__dirname, '..', '..', '..');

export type Theme = 'dark' | 'light' | 'high-contrast';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    // Playwright hides scrollbars in headless mode; the tests drag the real one.
    ignoreDefaultArgs: ['--hide-scrollbars'],
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface EditorHarness {
  page: Page;
  host: FakeHost;
  origin: string;
  nonce: string;
  /** Every path the page fetched from the server, in order. */
  served: string[];
  /** securitypolicyviolation events and CSP console messages. */
  cspViolations: string[];
  /** Console errors and uncaught page errors. */
  pageErrors: string[];
  /** Reloads the page (the editor hidden and shown again); resolves when the new page said `ready`. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenOptions {
  theme?: Theme;
  savedState?: unknown;
  viewport?: { width: number; height: number };
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/dist/webview.js': { file: join(ROOT, 'dist', 'webview.js'), type: 'text/javascript' },
  '/media/main.css': { file: join(ROOT, 'media', 'main.css'), type: 'text/css' },
  '/harness/themes.css': { file: join(__dirname, 'themes.css'), type: 'text/css' },
};

function bootScript(savedState: unknown): string {
  const state = JSON.stringify(savedState ?? null).replace(/</g, '\\u003c');
  return `(() => {
  let state = ${state};
  document.addEventListener('securitypolicyviolation', (e) => window.__harnessViolation(e.violatedDirective + ' blocked ' + e.blockedURI));
  window.acquireVsCodeApi = () => ({
    postMessage: (message) => window.__harnessPost(message),
    getState: () => state ?? undefined,
    setState: (next) => { state = next; window.__harnessSetState(next); },
  });
})();\n`;
}

export async function openEditor(browser: Browser, shard: FakeShard, options: OpenOptions = {}): Promise<EditorHarness> {
  const host = new FakeHost(shard);
  host.savedState = options.savedState;
  const nonce = randomBytes(18).toString('base64');
  const served: string[] = [];
  const cspViolations: string[] = [];
  const pageErrors: string[] = [];
  let origin = '';

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    // Chromium asks for a favicon on its own; VS Code webviews have none.
    if (path === '/favicon.ico') return void res.writeHead(204).end();
    served.push(path);
    if (path === '/') {
      const html = webviewHtml({ cspSource: origin, scriptUri: `${origin}/dist/webview.js`, styleUri: `${origin}/media/main.css`, nonce })
        .replace('</head>', `<link rel="stylesheet" href="${origin}/harness/themes.css">\n</head>`)
        .replace('<body>', `<body class="vscode-${options.theme ?? 'dark'}">`)
        .replace('<script nonce=', `<script nonce="${nonce}" src="${origin}/harness/boot.js"></script>\n<script nonce=`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    } else if (path === '/harness/boot.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bootScript(host.savedState));
    } else if (STATIC[path]) {
      res.writeHead(200, { 'content-type': STATIC[path].type }).end(readFileSync(STATIC[path].file));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 720 } });
  const page = await context.newPage();
  host.attach(page);
  await page.exposeBinding('__harnessPost', (_source, message) => host.receive(message));
  await page.exposeBinding('__harnessSetState', (_source, state) => {
    host.savedState = state;
  });
  await page.exposeBinding('__harnessViolation', (_source, text: string) => {
    cspViolations.push(text);
  });
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) cspViolations.push(message.text());
    else if (message.type() === 'error') pageErrors.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));

  const waitForReady = async (count: number) => {
    const deadline = Date.now() + 15_000;
    while (host.readyCount < count) {
      if (Date.now() > deadline) throw new Error(`the webview did not post "ready" (page errors: ${pageErrors.join('; ') || 'none'})`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await page.goto(`${origin}/`);
  await waitForReady(1);

  return {
    page, host, origin, nonce, served, cspViolations, pageErrors,
    async reload() {
      const count = host.readyCount + 1;
      await page.reload();
      await waitForReady(count);
    },
    async close() {
      await context.close();
      await new Promise((done) => server.close(done));
    },
  };
}

/** The grid's rendered rows: aria-rowindex and the text of each cell, in row order. */
export async function renderedRows(page: Page): Promise<Array<{ rowIndex: number; selected: boolean; cells: string[] }>> {
  return page.$$eval('[role=grid] [role=row]:not([hidden])', (rows) =>
    rows
      .map((row) => ({
        rowIndex: Number(row.getAttribute('aria-rowindex')),
        selected: row.getAttribute('aria-selected') === 'true',
        cells: [...row.querySelectorAll('[role=gridcell]')].map((c) => c.textContent ?? ''),
      }))
      .sort((a, b) => a.rowIndex - b.rowIndex),
  );
}

/** Waits until `predicate` holds for the rendered rows (rows arrive asynchronously from the host). */
export async function waitForRows(page: Page, predicate: (rows: Awaited<ReturnType<typeof renderedRows>>) => boolean, what: string): Promise<Awaited<ReturnType<typeof renderedRows>>> {
  const deadline = Date.now() + 10_000;
  let rows = await renderedRows(page);
  while (!predicate(rows)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; rendered rows: ${JSON.stringify(rows.slice(0, 3))} … ${JSON.stringify(rows.slice(-2))}`);
    await new Promise((r) => setTimeout(r, 25));
    rows = await renderedRows(page);
  }
  return rows;
}
