import * as vscode from 'vscode';
import { registerCurationCommands } from './commands/curation';
import { registerOpenCommand } from './commands/open';
import { registerOpenExampleCommand } from './commands/open-example';
import { registerSelectModelCommand } from './commands/select-model';
import { OllamaStatusBar } from './commands/status-bar';
import { errorDetail, type Logger } from './editor/logger';
import { ShardEditorProvider } from './editor/provider';

/** Wires the shard editor, its commands and the Ollama status bar into VS Code; everything else lives behind these. */
export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Shard Curator', { log: true });
  const log: Logger = {
    info: (message) => output.info(message),
    error: (message, err) => output.error(err === undefined ? message : `${message}: ${errorDetail(err)}`),
  };
  const { provider, disposable: editors } = ShardEditorProvider.register(context.extensionUri, log);
  const status = new OllamaStatusBar(log);
  context.subscriptions.push(
    output,
    editors,
    status,
    registerOpenCommand(),
    registerOpenExampleCommand(context),
    registerSelectModelCommand(() => void status.enable()),
    registerCurationCommands({ editors: provider, status, state: context.globalState, log }),
    // Ollama is first asked when a shard editor opens, never just because VS Code started.
    provider.onDidOpen(() => void status.enable()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('shardCurator.ollama.hosts') || e.affectsConfiguration('shardCurator.askLlm.model')) void status.refresh();
    }),
  );
}

export function deactivate(): void {}
