import * as vscode from 'vscode';
import { TEXT_SHARD_EDITOR_VIEW_TYPE } from '../editor/provider';

export const OPEN_EXAMPLE_COMMAND = 'shardCurator.openExample';
const EXAMPLE = 'web-sample.jsonl';

/**
 * "Shard Curator: Open Example Shard" (the walkthrough's first step): opens the bundled example of
 * 1,202 real English documents. It is copied to the extension's storage first because the
 * annotation store is written next to the shard, and the install folder may be read-only.
 */
export function registerOpenExampleCommand(context: vscode.ExtensionContext): vscode.Disposable {
  return vscode.commands.registerCommand(OPEN_EXAMPLE_COMMAND, async () => {
    const folder = vscode.Uri.joinPath(context.globalStorageUri, 'examples');
    const copy = vscode.Uri.joinPath(folder, EXAMPLE);
    try {
      await vscode.workspace.fs.stat(copy);
    } catch {
      await vscode.workspace.fs.createDirectory(folder);
      await vscode.workspace.fs.copy(vscode.Uri.joinPath(context.extensionUri, 'examples', EXAMPLE), copy, { overwrite: false });
    }
    await vscode.commands.executeCommand('vscode.openWith', copy, TEXT_SHARD_EDITOR_VIEW_TYPE);
  });
}
