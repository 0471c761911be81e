import * as vscode from 'vscode';
import { describeError } from '../core/errors';
import { settingsReader } from '../editor/provider';
import { judgeModel, ollamaHosts } from '../editor/settings';
import { canJudge, listInstalledModels, type InstalledModel } from './ollama-models';

export const SELECT_MODEL_COMMAND = 'shardCurator.selectModel';

interface ModelItem extends vscode.QuickPickItem {
  model?: InstalledModel;
}

function sizeLabel(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.round(bytes / 1e6)} MB`;
}

/**
 * "Select Ollama Model": the models installed on the configured hosts, judges (chat models) first,
 * then the ones that cannot judge (embedding models), shown but not accepted; the pick is written to
 * shardCurator.askLlm.model in user settings.
 */
export function registerSelectModelCommand(afterChange: () => void): vscode.Disposable {
  return vscode.commands.registerCommand(SELECT_MODEL_COMMAND, async () => {
    const settings = settingsReader();
    let hosts: string[];
    try {
      hosts = ollamaHosts(settings);
    } catch (err) {
      void vscode.window.showErrorMessage(describeError(err));
      return;
    }
    const current = judgeModel(settings);
    const inventory = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Asking Ollama (${hosts.join(', ')}) for its models…`, cancellable: true },
      (_progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return listInstalledModels(hosts, { signal: abort.signal });
      },
    );
    const down = inventory.hosts.filter((h) => h.error !== undefined);
    if (down.length === inventory.hosts.length) {
      const open = await vscode.window.showErrorMessage(down[0].error!, 'Open Settings');
      if (open) await vscode.commands.executeCommand('workbench.action.openSettings', 'shardCurator.ollama.hosts');
      afterChange();
      return;
    }
    const judges = inventory.models.filter(canJudge);
    const others = inventory.models.filter((m) => !canJudge(m));
    if (judges.length === 0) {
      void vscode.window.showWarningMessage(`No chat model is installed on ${inventory.hosts.filter((h) => !h.error).map((h) => h.host).join(', ')}; Ask-LLM needs one. Install one with \`ollama pull qwen2.5:1.5b\`.`);
    }
    const item = (m: InstalledModel): ModelItem => ({
      label: m.name,
      description: [m.name === current ? 'current' : '', m.parameterSize ?? '', sizeLabel(m.sizeBytes)].filter(Boolean).join(' · '),
      detail: `${canJudge(m) ? 'Can judge' : m.capabilities ? `Cannot judge (${m.capabilities.join(', ') || 'no capabilities'})` : 'Capabilities unknown'}${inventory.hosts.length > 1 ? ` · on ${m.hosts.join(', ')}` : ''}`,
      model: m,
    });
    const items: ModelItem[] = [
      { label: 'Ask-LLM judges', kind: vscode.QuickPickItemKind.Separator },
      ...judges.map(item),
      ...(others.length > 0 ? [{ label: 'Cannot judge', kind: vscode.QuickPickItemKind.Separator }, ...others.map(item)] : []),
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Ask-LLM model',
      placeHolder: `Current: ${current || 'none'}. Models installed on ${hosts.join(', ')}${down.length > 0 ? ` (not reachable: ${down.map((h) => h.host).join(', ')})` : ''}`,
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (!picked?.model) return;
    if (!canJudge(picked.model) && picked.model.capabilities) {
      void vscode.window.showWarningMessage(`${picked.model.name} cannot be the Ask-LLM judge: it does not generate text. Pick a chat model.`);
      return;
    }
    await vscode.workspace.getConfiguration('shardCurator').update('askLlm.model', picked.model.name, vscode.ConfigurationTarget.Global);
    afterChange();
  });
}
