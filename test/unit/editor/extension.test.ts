/**
 * The built extension bundle (dist/extension.js) against a stand-in `vscode` module: activation
 * registers the editor and the command as the manifest declares them, and a resolved editor panel
 * gets the strict page and answers its webview with the bundled workers. (The real VS Code journey
 * is the e2e suite's.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import Module from 'node:module';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RowView, ToWebviewMessage } from '../../../extension/protocol';
import { records, tempDir, writeJsonl } from '../cli/shards';

const ROOT = resolve(__dirname, '..', '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

class Uri {
  private constructor(readonly scheme: string, readonly fsPath: string) {}
  static file(path: string): Uri {
    return new Uri('file', path);
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, join(base.fsPath, ...parts));
  }
  get path(): string {
    return this.fsPath;
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}

interface Registered {
  viewTypes: string[];
  provider?: {
    openCustomDocument(uri: Uri): { session: { settled: Promise<void> }; dispose(): void };
    resolveCustomEditor(document: unknown, panel: unknown): void;
  };
  options?: { supportsMultipleEditorsPerDocument?: boolean };
  commands: Map<string, (...args: unknown[]) => unknown>;
  executed: unknown[][];
  channels: string[];
  log: string[];
  settings: Record<string, string>;
}

const registered: Registered = { viewTypes: [], commands: new Map(), executed: [], channels: [], log: [], settings: {} };
const disposable = { dispose() {} };

const vscodeStub = {
  Uri,
  TabInputText: class {},
  TabInputCustom: class {},
  Disposable: { from: (...items: Array<{ dispose(): void }>) => ({ dispose: () => items.forEach((i) => i.dispose()) }) },
  window: {
    createOutputChannel(name: string) {
      registered.channels.push(name);
      return { info: (m: string) => registered.log.push(`info ${m}`), error: (m: string) => registered.log.push(`error ${m}`), dispose() {} };
    },
    registerCustomEditorProvider(viewType: string, provider: Registered['provider'], options: Registered['options']) {
      registered.viewTypes.push(viewType);
      Object.assign(registered, { provider, options });
      return disposable;
    },
    showWarningMessage: async () => undefined,
    showOpenDialog: async () => undefined,
    tabGroups: { activeTabGroup: { activeTab: undefined } },
  },
  commands: {
    registerCommand(id: string, handler: (...args: unknown[]) => unknown) {
      registered.commands.set(id, handler);
      return disposable;
    },
    executeCommand: async (...args: unknown[]) => registered.executed.push(args),
  },
  workspace: {
    getConfiguration: (section: string) => ({ get: (key: string) => registered.settings[`${section}.${key}`] }),
  },
};

let dir: string;
let cleanup: () => void;
const loader = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
const originalLoad = loader._load;

before(() => {
  ({ dir, cleanup } = tempDir('editor-extension'));
  loader._load = function (request, parent, isMain) {
    return request === 'vscode' ? vscodeStub : originalLoad.call(this, request, parent, isMain);
  };
});
after(() => {
  loader._load = originalLoad;
  cleanup();
});

test('activate registers the shard editor and the open command declared in package.json', async () => {
  const extension = require(join(ROOT, 'dist', 'extension.js')) as { activate(context: unknown): void };
  const context = { subscriptions: [] as unknown[], extensionUri: Uri.file(ROOT) };
  extension.activate(context);
  assert.deepEqual(registered.channels, ['Shard Curator']);
  // One view type per priority: VS Code keys custom editors by view type.
  assert.deepEqual(registered.viewTypes, ['shardCurator.shardEditor', 'shardCurator.textShardEditor']);
  assert.deepEqual(registered.options, { supportsMultipleEditorsPerDocument: false });
  assert.ok(context.subscriptions.length >= 3);
  assert.deepEqual(manifest.contributes.customEditors.map((e: { viewType: string }) => e.viewType), registered.viewTypes);
  assert.deepEqual(manifest.contributes.customEditors.map((e: { priority: string }) => e.priority), ['default', 'option']);
  assert.deepEqual([...registered.commands.keys()], manifest.contributes.commands.map((c: { command: string }) => c.command));

  const uri = Uri.file(join(dir, 'x.jsonl'));
  await registered.commands.get('shardCurator.open')!(uri);
  await registered.commands.get('shardCurator.open')!(Uri.file(join(dir, 'x.arrow')));
  assert.deepEqual(registered.executed, [
    ['vscode.openWith', uri, 'shardCurator.textShardEditor'],
    ['vscode.openWith', Uri.file(join(dir, 'x.arrow')), 'shardCurator.shardEditor'],
  ]);
});

test('a resolved panel gets the strict page and answers its webview', async () => {
  const rows = records(400, 12);
  const path = join(dir, 'web.jsonl');
  writeJsonl(path, rows);
  registered.settings['shardCurator.textField'] = 'source';
  const document = registered.provider!.openCustomDocument(Uri.file(path));
  let receive: ((message: unknown) => void) | undefined;
  let disposePanel: (() => void) | undefined;
  const posted: ToWebviewMessage[] = [];
  const webview = {
    options: {} as { enableScripts?: boolean; localResourceRoots?: Uri[]; retainContextWhenHidden?: boolean },
    html: '',
    cspSource: 'vscode-webview://test',
    asWebviewUri: (u: Uri) => `vscode-webview://test${u.fsPath}`,
    postMessage: async (m: ToWebviewMessage) => posted.push(JSON.parse(JSON.stringify(m))) > 0,
    onDidReceiveMessage: (listener: (message: unknown) => void) => ((receive = listener), disposable),
  };
  const panel = { webview, onDidDispose: (listener: () => void) => ((disposePanel = listener), disposable) };
  registered.provider!.resolveCustomEditor(document, panel);

  assert.equal(webview.options.enableScripts, true);
  assert.equal(webview.options.retainContextWhenHidden, undefined);
  assert.deepEqual(webview.options.localResourceRoots!.map((u) => u.fsPath), [join(ROOT, 'dist'), join(ROOT, 'media')]);
  assert.match(webview.html, new RegExp(`<script nonce="[^"]+" src="vscode-webview://test${join(ROOT, 'dist', 'webview.js')}"></script>`));
  assert.match(webview.html, /script-src 'nonce-/);
  assert.doesNotMatch(webview.html, new RegExp(rows[0].text.slice(0, 30).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));

  await document.session.settled;
  receive!({ type: 'ready' });
  receive!({ type: 'request', id: 1, method: 'rows', params: { start: 0, count: 2 } });
  receive!({ type: 'request', id: 2, method: 'search', params: { searchId: 5, query: { pattern: 'nlp-corpus', regex: false, caseSensitive: true } } });
  const deadline = Date.now() + 60_000;
  while (!posted.some((m) => m.type === 'searchProgress' && m.done) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

  const info = posted.find((m) => m.type === 'shardInfo');
  assert.ok(info?.type === 'shardInfo');
  assert.equal(info.info.rowCount, 400);
  assert.equal(info.info.textField, 'source', 'the shardCurator.textField setting applies');
  const page = posted.find((m) => m.type === 'response' && m.id === 1);
  assert.ok(page?.type === 'response' && page.ok);
  assert.deepEqual((page.result as { rows: RowView[] }).rows.map((r) => r.text), rows.slice(0, 2).map((r) => r.source));
  const search = posted.filter((m) => m.type === 'searchProgress');
  assert.deepEqual(search.flatMap((e) => e.matches), rows.flatMap((r, i) => (r.source === 'nlp-corpus' ? [i] : [])));

  disposePanel!();
  document.dispose();
  assert.ok(registered.log.some((l) => l.startsWith('info Opened ')));
});
