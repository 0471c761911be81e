import type * as vscode from 'vscode';
import type { Logger } from './logger';
import { ShardSession, type SessionOptions } from './session';

/** One open shard file in VS Code: the session that owns the reader, closed with the document. */
export class ShardDocument implements vscode.CustomDocument {
  readonly session: ShardSession;

  constructor(
    readonly uri: vscode.Uri,
    options: SessionOptions,
    log: Logger,
  ) {
    this.session = new ShardSession(uri.fsPath, options, log);
  }

  dispose(): void {
    void this.session.dispose();
  }
}
