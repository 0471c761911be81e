import * as vscode from 'vscode';
import { viewTypeFor } from '../editor/provider';

export const OPEN_SHARD_COMMAND = 'shardCurator.open';

/** File-dialog filter for the formats the shard editor reads. */
const SHARD_FILTERS = { Shards: ['jsonl', 'ndjson', 'gz', 'arrow', 'arrows', 'feather', 'ipc'] };

/**
 * "Shard Curator: Open Shard": opens a file in the shard editor. From the explorer or the editor
 * title the file comes as the argument; from the palette it is the active file, else one picked in
 * a dialog. JSONL stays a text file by default (priority "option"); this command is the way in.
 */
export function registerOpenCommand(): vscode.Disposable {
  return vscode.commands.registerCommand(OPEN_SHARD_COMMAND, async (uri?: vscode.Uri) => {
    const target = uri instanceof vscode.Uri ? uri : (activeFile() ?? (await pickShard()));
    if (target) await vscode.commands.executeCommand('vscode.openWith', target, viewTypeFor(target.path));
  });
}

function activeFile(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputText || input instanceof vscode.TabInputCustom) return input.uri;
  return undefined;
}

async function pickShard(): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: SHARD_FILTERS, openLabel: 'Open Shard' });
  return picked?.[0];
}
