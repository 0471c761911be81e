import * as vscode from 'vscode';
import { ShardDocument } from './document';
import { webviewHtml } from './html';
import { describeError } from '../core/errors';
import type { HostCommand, ToWebviewMessage } from '../protocol';
import type { Logger } from './logger';
import { ShardRouter } from './router';
import { storeDirectory, type SettingsReader } from './settings';

/**
 * Two view types for one editor: VS Code keys custom editors by view type, and the binary formats
 * take the editor by default while JSONL stays a text file unless opened with "Open Shard".
 */
export const SHARD_EDITOR_VIEW_TYPE = 'shardCurator.shardEditor';
export const TEXT_SHARD_EDITOR_VIEW_TYPE = 'shardCurator.textShardEditor';

/** The view type whose selector matches this file name (JSONL names get the "option" one). */
export function viewTypeFor(fileName: string): string {
  return /\.(jsonl|ndjson|jsonl\.gz|json\.gz)$/i.test(fileName) ? TEXT_SHARD_EDITOR_VIEW_TYPE : SHARD_EDITOR_VIEW_TYPE;
}

/** Set while a shard editor is the active editor: the palette shows the commands that act on one. */
export const SHARD_EDITOR_ACTIVE_CONTEXT = 'shardCurator.shardEditorActive';

/** One open shard editor panel: its document (shard + annotations) and the router talking to its webview. */
export interface ShardEditor {
  readonly uri: vscode.Uri;
  readonly document: ShardDocument;
  readonly router: ShardRouter;
}

/** The open shard editors, for commands that act on "the shard in the active editor". */
export interface ShardEditors {
  active(): ShardEditor | undefined;
  /** The editor of this file (commands from menus get the file as their argument). */
  find(uri: vscode.Uri): ShardEditor | undefined;
  /** Fires when a shard editor opens (the status bar starts checking Ollama then, not before). */
  onDidOpen(listener: () => void): vscode.Disposable;
}

/**
 * The shard editor. Read-only and custom (not a text editor) because VS Code does not hand text
 * files over 50 MB to extensions; the shard is read from disk by our own readers.
 */
export class ShardEditorProvider implements vscode.CustomReadonlyEditorProvider<ShardDocument>, ShardEditors {
  private readonly editors = new Set<ShardEditor>();
  private activeEditor: ShardEditor | undefined;
  private readonly openListeners = new Set<() => void>();

  static register(extensionUri: vscode.Uri, log: Logger): { provider: ShardEditorProvider; disposable: vscode.Disposable } {
    const provider = new ShardEditorProvider(extensionUri, log);
    const options = { supportsMultipleEditorsPerDocument: false };
    const disposable = vscode.Disposable.from(
      vscode.window.registerCustomEditorProvider(SHARD_EDITOR_VIEW_TYPE, provider, options),
      vscode.window.registerCustomEditorProvider(TEXT_SHARD_EDITOR_VIEW_TYPE, provider, options),
    );
    return { provider, disposable };
  }

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: Logger,
  ) {}

  active(): ShardEditor | undefined {
    return this.activeEditor;
  }

  find(uri: vscode.Uri): ShardEditor | undefined {
    for (const editor of this.editors) if (editor.uri.toString() === uri.toString()) return editor;
    return undefined;
  }

  onDidOpen(listener: () => void): vscode.Disposable {
    this.openListeners.add(listener);
    return { dispose: () => this.openListeners.delete(listener) };
  }

  openCustomDocument(uri: vscode.Uri): ShardDocument {
    if (uri.scheme !== 'file') {
      throw new Error(`Shard Curator reads shards from disk; "${uri.scheme}:" files are not supported. Save the file locally and open it from there.`);
    }
    const config = vscode.workspace.getConfiguration('shardCurator', uri);
    const settings = settingsReader(uri);
    let storeDir: string | undefined;
    try {
      storeDir = storeDirectory(settings);
    } catch (err) {
      void vscode.window.showWarningMessage(`${describeError(err)} The annotations are kept next to the shard instead.`);
    }
    return new ShardDocument(
      uri,
      {
        textField: config.get<string>('textField')?.trim() || undefined,
        cacheDir: (settings.userValue('cacheDirectory') as string | undefined)?.trim() || undefined,
        storeDir,
        onWarning: (message) => void vscode.window.showWarningMessage(message),
      },
      this.log,
    );
  }

  resolveCustomEditor(document: ShardDocument, panel: vscode.WebviewPanel): void {
    const webview = panel.webview;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    webview.options = { enableScripts: true, localResourceRoots: [dist, media] };
    webview.html = webviewHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(media, 'main.css')).toString(),
    });
    const post = (message: ToWebviewMessage) => {
      webview.postMessage(message).then(undefined, (err: unknown) => this.log.error(`Posting "${message.type}" to the webview failed`, err));
    };
    const runCommand = (command: HostCommand) => {
      vscode.commands.executeCommand(`shardCurator.${command}`, document.uri).then(undefined, (err: unknown) => this.log.error(`Command ${command} failed`, err));
    };
    const router = new ShardRouter(document.session, post, this.log, { runCommand });
    const editor: ShardEditor = { uri: document.uri, document, router };
    this.editors.add(editor);
    const listener = webview.onDidReceiveMessage((message: unknown) => void router.handle(message));
    const viewState = panel.onDidChangeViewState((e) => this.setActive(editor, e.webviewPanel.active));
    this.setActive(editor, panel.active);
    panel.onDidDispose(() => {
      listener.dispose();
      viewState.dispose();
      router.dispose();
      this.editors.delete(editor);
      this.setActive(editor, false);
    });
    for (const open of this.openListeners) open();
  }

  private setActive(editor: ShardEditor, active: boolean): void {
    if (active) this.activeEditor = editor;
    else if (this.activeEditor === editor) this.activeEditor = undefined;
    else return;
    void vscode.commands.executeCommand('setContext', SHARD_EDITOR_ACTIVE_CONTEXT, this.activeEditor !== undefined);
  }
}

/** The `shardCurator` settings for a file, as the vscode-free settings module reads them. */
export function settingsReader(scope?: vscode.Uri): SettingsReader {
  const config = vscode.workspace.getConfiguration('shardCurator', scope);
  return {
    get: (key) => config.get(key),
    userValue: (key) => {
      const inspected = config.inspect(key);
      return inspected?.globalValue ?? inspected?.defaultValue;
    },
  };
}
