import * as vscode from 'vscode';
import { registerOpenCommand } from './commands/open';
import { errorDetail, type Logger } from './editor/logger';
import { ShardEditorProvider } from './editor/provider';

/** Wires the shard editor and its commands into VS Code; everything else lives behind these. */
export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Shard Curator', { log: true });
  const log: Logger = {
    info: (message) => output.info(message),
    error: (message, err) => output.error(err === undefined ? message : `${message}: ${errorDetail(err)}`),
  };
  context.subscriptions.push(output, ShardEditorProvider.register(context.extensionUri, log), registerOpenCommand());
}

export function deactivate(): void {}
