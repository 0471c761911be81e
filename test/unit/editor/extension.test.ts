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
import { existsSync, readFileSync as readText } from 'node:fs';
import { records, tempDir, writeJsonl } from '../cli/shards';
import { startFakeOllama, type FakeOllama } from '../../fakes/ollama-server';

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
    openCustomDocument(uri: Uri): { session: { settled: Promise<void>; annotations(): Promise<unknown> }; dispose(): void };
    resolveCustomEditor(document: unknown, panel: unknown): void;
  };
  options?: { supportsMultipleEditorsPerDocument?: boolean };
  commands: Map<string, (...args: unknown[]) => unknown>;
  executed: unknown[][];
  channels: string[];
  log: string[];
  /** Effective values (workspace over user), by full key. */
  settings: Record<string, unknown>;
  /** User-settings layer (what inspect().globalValue returns). */
  userSettings: Record<string, unknown>;
  updates: Array<[string, unknown, unknown]>;
  statusItems: Array<{ text: string; tooltip?: string; command?: string; shown: boolean }>;
  messages: Array<[string, string]>;
  progress: Array<{ title: string; messages: string[] }>;
  /** Scripted answers of dialogs, consumed in order. */
  answers: { input: Array<string | undefined>; save: Array<Uri | undefined>; pick: unknown[]; message: Array<string | undefined> };
}

const registered: Registered = {
  viewTypes: [], commands: new Map(), executed: [], channels: [], log: [], settings: {}, userSettings: {}, updates: [], statusItems: [], messages: [], progress: [],
  answers: { input: [], save: [], pick: [], message: [] },
};
const disposable = { dispose() {} };
const message = (level: string) => async (text: string) => {
  registered.messages.push([level, text]);
  return registered.answers.message.shift();
};

const vscodeStub = {
  Uri,
  TabInputText: class {},
  TabInputCustom: class {},
  ThemeColor: class {
    constructor(readonly id: string) {}
  },
  StatusBarAlignment: { Left: 1, Right: 2 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  QuickPickItemKind: { Separator: -1, Default: 0 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  Disposable: { from: (...items: Array<{ dispose(): void }>) => ({ dispose: () => items.forEach((i) => i.dispose()) }) },
  window: {
    createOutputChannel(name: string) {
      registered.channels.push(name);
      return { info: (m: string) => registered.log.push(`info ${m}`), error: (m: string) => registered.log.push(`error ${m}`), dispose() {} };
    },
    createStatusBarItem() {
      const item = { text: '', tooltip: undefined, command: undefined, name: '', backgroundColor: undefined, shown: false, show() { item.shown = true; }, dispose() {} };
      registered.statusItems.push(item);
      return item;
    },
    registerCustomEditorProvider(viewType: string, provider: Registered['provider'], options: Registered['options']) {
      registered.viewTypes.push(viewType);
      Object.assign(registered, { provider, options });
      return disposable;
    },
    withProgress: async (options: { title: string }, task: (progress: unknown, token: unknown) => Promise<unknown>) => {
      const record = { title: options.title, messages: [] as string[] };
      registered.progress.push(record);
      const progress = { report: (p: { message?: string }) => p.message !== undefined && record.messages.push(p.message) };
      return task(progress, { isCancellationRequested: false, onCancellationRequested: () => disposable });
    },
    showInformationMessage: message('info'),
    showWarningMessage: message('warning'),
    showErrorMessage: message('error'),
    showInputBox: async (options: { value?: string; validateInput?: (v: string) => string | undefined }) => {
      const answer = registered.answers.input.shift();
      registered.messages.push(['input', `${options.value} -> ${answer}: ${answer === undefined ? '' : (options.validateInput?.(answer) ?? 'valid')}`]);
      return answer;
    },
    showSaveDialog: async (options: { defaultUri: Uri }) => {
      registered.messages.push(['save', options.defaultUri.fsPath]);
      return registered.answers.save.shift();
    },
    showQuickPick: async () => registered.answers.pick.shift(),
    showOpenDialog: async () => undefined,
    showTextDocument: async () => undefined,
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
    getConfiguration: (section: string) => ({
      get: (key: string) => registered.settings[`${section}.${key}`] ?? registered.userSettings[`${section}.${key}`] ?? defaults[`${section}.${key}`],
      inspect: (key: string) => ({ defaultValue: defaults[`${section}.${key}`], globalValue: registered.userSettings[`${section}.${key}`], workspaceValue: registered.settings[`${section}.${key}`] }),
      update: async (key: string, value: unknown, target: unknown) => {
        registered.updates.push([`${section}.${key}`, value, target]);
        registered.userSettings[`${section}.${key}`] = value;
      },
    }),
    onDidChangeConfiguration: () => disposable,
  },
};

/** The defaults package.json declares, as VS Code serves them. */
const defaults: Record<string, unknown> = Object.fromEntries(
  Object.entries(manifest.contributes.configuration.properties as Record<string, { default: unknown }>).map(([key, p]) => [key, p.default]),
);

let dir: string;
let cleanup: () => void;
let fake: FakeOllama;
const globalState = new Map<string, unknown>();
const loader = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
const originalLoad = loader._load;

before(async () => {
  ({ dir, cleanup } = tempDir('editor-extension'));
  fake = await startFakeOllama();
  // The user's hosts point at the fake server; a workspace's .vscode/settings.json tries to redirect them.
  registered.userSettings['shardCurator.ollama.hosts'] = [fake.url];
  registered.userSettings['shardCurator.askLlm.model'] = 'qwen2.5:0.5b';
  registered.settings['shardCurator.ollama.hosts'] = ['http://127.0.0.1:9'];
  loader._load = function (request, parent, isMain) {
    return request === 'vscode' ? vscodeStub : originalLoad.call(this, request, parent, isMain);
  };
});
after(async () => {
  loader._load = originalLoad;
  await fake.stop();
  cleanup();
});

test('activate registers the shard editor and the open command declared in package.json', async () => {
  const extension = require(join(ROOT, 'dist', 'extension.js')) as { activate(context: unknown): void };
  const context = {
    subscriptions: [] as unknown[],
    extensionUri: Uri.file(ROOT),
    globalState: { get: (key: string) => globalState.get(key), update: async (key: string, value: unknown) => void globalState.set(key, value) },
  };
  extension.activate(context);
  assert.deepEqual(registered.channels, ['Shard Curator']);
  // One view type per priority: VS Code keys custom editors by view type.
  assert.deepEqual(registered.viewTypes, ['shardCurator.shardEditor', 'shardCurator.textShardEditor']);
  assert.deepEqual(registered.options, { supportsMultipleEditorsPerDocument: false });
  assert.ok(context.subscriptions.length >= 3);
  assert.deepEqual(manifest.contributes.customEditors.map((e: { viewType: string }) => e.viewType), registered.viewTypes);
  assert.deepEqual(manifest.contributes.customEditors.map((e: { priority: string }) => e.priority), ['default', 'option']);
  assert.deepEqual([...registered.commands.keys()], manifest.contributes.commands.map((c: { command: string }) => c.command));
  // Nobody has opened a shard: Ollama is not asked and the status bar item stays hidden.
  assert.equal(fake.requests.length, 0);
  assert.deepEqual(registered.statusItems.map((i) => [i.shown, i.command]), [[false, 'shardCurator.selectModel']]);
  // Commands that act on a shard say what to do when no shard editor is open.
  await registered.commands.get('shardCurator.scoreAll')!();
  assert.match(String(registered.messages.at(-1)?.[1]), /Open a shard in the Shard Curator editor first/);
  assert.equal(fake.requests.length, 0);

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
  const panel = { webview, active: true, onDidChangeViewState: () => disposable, onDidDispose: (listener: () => void) => ((disposePanel = listener), disposable) };
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

/** Opens a shard editor panel on `path` the way VS Code does; returns what the webview was sent. */
async function openPanel(path: string) {
  const document = registered.provider!.openCustomDocument(Uri.file(path));
  const posted: ToWebviewMessage[] = [];
  let receive: ((message: unknown) => void) | undefined;
  let disposePanel: (() => void) | undefined;
  const webview = {
    options: {},
    html: '',
    cspSource: 'vscode-webview://test',
    asWebviewUri: (u: Uri) => `vscode-webview://test${u.fsPath}`,
    postMessage: async (m: ToWebviewMessage) => posted.push(JSON.parse(JSON.stringify(m))) > 0,
    onDidReceiveMessage: (listener: (message: unknown) => void) => ((receive = listener), disposable),
  };
  registered.provider!.resolveCustomEditor(document, { webview, active: true, onDidChangeViewState: () => disposable, onDidDispose: (l: () => void) => ((disposePanel = l), disposable) });
  await document.session.annotations();
  return { document, posted, receive: receive!, close: () => (disposePanel!(), document.dispose()) };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('scoring from the palette: the user\'s Ollama host (never the workspace\'s), progress, scores in the grid, status bar', async () => {
  const rows = records(120, 9);
  const path = join(dir, 'score.jsonl');
  writeJsonl(path, rows);
  delete registered.settings['shardCurator.textField'];
  const panel = await openPanel(path);
  try {
    assert.ok(registered.executed.some((c) => c[0] === 'setContext' && c[1] === 'shardCurator.shardEditorActive' && c[2] === true));
    // The status bar checks Ollama once a shard editor is open.
    await until(() => registered.statusItems[0].shown, 'status bar shown');
    assert.equal(registered.statusItems[0].text, '$(hubot) Ollama 0.13.5 · qwen2.5:0.5b');

    panel.receive({ type: 'selection', selection: { viewId: 0, ranges: [[5, 9]] }, focusedRow: 5 });
    await registered.commands.get('shardCurator.scoreSelected')!();
    assert.equal(fake.requests.filter((r) => r.path === '/api/chat').length, 4);
    assert.match(String(registered.messages.at(-1)?.[1]), /^4 rows scored with qwen2\.5:0\.5b in \d+s\.$/);

    const before = fake.requests.length;
    await registered.commands.get('shardCurator.scoreAll')!(Uri.file(path));
    const chats = fake.requests.slice(before).filter((r) => r.path === '/api/chat');
    assert.equal(chats.length, 116, 'rows already scored are not sent again');
    const progress = registered.progress.find((p) => p.title.startsWith('Ask-LLM scoring all rows of score.jsonl with qwen2.5:0.5b'));
    assert.ok(progress, 'a progress notification for the run');
    assert.match(progress.messages.at(-1)!, /^116 \/ 116 rows/);
    assert.match(String(registered.messages.at(-1)?.[1]), /^116 rows scored with qwen2\.5:0\.5b in \d+s; 4 already had a score\.$/);
    await until(() => panel.posted.some((m) => m.type === 'summary' && m.summary.askllm.shown?.scored === 120), 'summary with every row scored');
    panel.receive({ type: 'request', id: 1, method: 'rows', params: { start: 0, count: 120 } });
    await until(() => panel.posted.some((m) => m.type === 'response' && m.id === 1), 'rows answered');
    const page = panel.posted.find((m) => m.type === 'response' && m.id === 1);
    assert.ok(page?.type === 'response' && page.ok);
    assert.equal((page.result as { rows: RowView[] }).rows.filter((r) => r.annotations?.askllm?.model === 'qwen2.5:0.5b').length, 120);

    // Density: the embedder is asked for the first time and remembered in user settings.
    registered.answers.pick.push({ label: 'Built-in', choice: 'builtin' });
    await registered.commands.get('shardCurator.computeDensity')!();
    assert.deepEqual(registered.updates.at(-1), ['shardCurator.density.embedder', 'builtin', 1]);
    assert.match(String(registered.messages.at(-1)?.[1]), /^Density of 120 rows computed with builtin/);
    await until(() => panel.posted.some((m) => m.type === 'summary' && m.summary.density.rows === 120), 'summary with density');
    const picksLeft = registered.answers.pick.length;
    await registered.commands.get('shardCurator.computeDensity')!();
    assert.equal(registered.answers.pick.length, picksLeft, 'the second run does not ask again');

    // Nearest rows of the focused row go to the webview.
    await registered.commands.get('shardCurator.showNearest')!();
    const nearest = panel.posted.find((m) => m.type === 'nearestRows');
    assert.ok(nearest?.type === 'nearestRows');
    assert.equal(nearest.row, 5);
    assert.equal(nearest.rows.length, 10);
    assert.ok(!nearest.rows.some((r) => r.row === 5));
  } finally {
    panel.close();
  }
});

test('export asks for a sampler first, proposes <name>.curated.jsonl, writes the kept and dropped rows and reports the counts', async () => {
  const rows = records(200, 4);
  const path = join(dir, 'web.jsonl');
  writeJsonl(path, rows);
  const panel = await openPanel(path);
  try {
    const out = join(dir, 'web.curated.jsonl');
    registered.answers.input.push('random:0.25');
    registered.answers.save.push(Uri.file(out));
    registered.answers.pick.push([{ id: 'dropped' }]);
    registered.messages.length = 0;
    await registered.commands.get('shardCurator.export')!();
    assert.deepEqual(registered.messages.slice(0, 2), [['input', 'random:1.0 -> random:0.25: valid'], ['save', out]]);
    assert.match(String(registered.messages.at(-1)?.[1]), /^Exported 50 of 200 rows \(150 dropped\) to web\.curated\.jsonl\.$/);
    const kept = readText(out, 'utf8').trim().split('\n');
    assert.equal(kept.length, 50);
    assert.equal(readText(join(dir, 'web.dropped.jsonl'), 'utf8').trim().split('\n').length, 150);
    assert.ok(existsSync(`${out}.recipe.json`));
    assert.equal(globalState.get('shardCurator.lastSamplerSpec'), 'random:0.25');

    // Again: the sampler is now chosen (no input box); replacing the files is confirmed first.
    registered.answers.save.push(Uri.file(out));
    registered.answers.pick.push([]);
    registered.answers.message.push(undefined);
    registered.messages.length = 0;
    await registered.commands.get('shardCurator.export')!();
    assert.deepEqual(registered.messages.map((m) => m[0]), ['save', 'warning']);
    assert.match(registered.messages[1][1], /web\.curated\.jsonl, web\.curated\.jsonl\.recipe\.json already exist\. Replace them\?/);
    assert.equal(readText(out, 'utf8').trim().split('\n').length, 50, 'declined: the file is untouched');
  } finally {
    panel.close();
  }
  // With the panel closed there is no shard editor to act on.
  registered.messages.length = 0;
  await registered.commands.get('shardCurator.export')!();
  assert.match(String(registered.messages.at(-1)?.[1]), /Open a shard in the Shard Curator editor first/);
});
