import * as vscode from 'vscode';
import { ShardDocument } from './document';
import { webviewHtml } from './html';
import type { ToWebviewMessage } from '../protocol';
import type { Logger } from './logger';
import { ShardRouter } from './router';

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

/**
 * The shard editor. Read-only and custom (not a text editor) because VS Code does not hand text
 * files over 50 MB to extensions; the shard is read from disk by our own readers.
 */
export class ShardEditorProvider implements vscode.CustomReadonlyEditorProvider<ShardDocument> {
  static register(extensionUri: vscode.Uri, log: Logger): vscode.Disposable {
    const provider = new ShardEditorProvider(extensionUri, log);
    const options = { supportsMultipleEditorsPerDocument: false };
    return vscode.Disposable.from(
      vscode.window.registerCustomEditorProvider(SHARD_EDITOR_VIEW_TYPE, provider, options),
      vscode.window.registerCustomEditorProvider(TEXT_SHARD_EDITOR_VIEW_TYPE, provider, options),
    );
  }

  private constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: Logger,
  ) {}

  openCustomDocument(uri: vscode.Uri): ShardDocument {
    if (uri.scheme !== 'file') {
      throw new Error(`Shard Curator reads shards from disk; "${uri.scheme}:" files are not supported. Save the file locally and open it from there.`);
    }
    const config = vscode.workspace.getConfiguration('shardCurator', uri);
    return new ShardDocument(
      uri,
      {
        textField: config.get<string>('textField')?.trim() || undefined,
        cacheDir: config.get<string>('cacheDirectory')?.trim() || undefined,
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
    const router = new ShardRouter(document.session, post, this.log);
    const listener = webview.onDidReceiveMessage((message: unknown) => void router.handle(message));
    panel.onDidDispose(() => {
      listener.dispose();
      router.dispose();
    });
  }
}
