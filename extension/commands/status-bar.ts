import * as vscode from 'vscode';
import { describeError } from '../core/errors';
import type { Logger } from '../editor/logger';
import { settingsReader } from '../editor/provider';
import { judgeModel, ollamaHosts } from '../editor/settings';
import { ollamaStatus, type OllamaStatus } from './ollama-models';
import { SELECT_MODEL_COMMAND } from './select-model';

const ICONS = { ok: '$(hubot)', warning: '$(warning)', error: '$(error)' } as const;

/**
 * The Ollama state in the status bar: server version, the Ask-LLM model and whether it is installed,
 * or "not reachable". Hidden until first needed (a shard editor opens, a scoring command runs), so a
 * user who never scores is never pinged; refreshed on settings changes and after runs. Problems are
 * shown here and logged once per change, never as pop-ups.
 */
export class OllamaStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private enabled = false;
  private generation = 0;
  private inFlight: AbortController | undefined;
  private lastText: string | undefined;

  constructor(private readonly log: Logger) {
    this.item = vscode.window.createStatusBarItem('shardCurator.ollama', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Shard Curator: Ollama';
    this.item.command = SELECT_MODEL_COMMAND;
  }

  /** Checks Ollama now (and from here on whenever asked to refresh). */
  async enable(): Promise<void> {
    if (this.enabled) return;
    this.enabled = true;
    await this.refresh();
  }

  /** Checks again if the item is shown; a newer refresh supersedes an older one still waiting. */
  async refresh(): Promise<void> {
    if (!this.enabled) return;
    const generation = ++this.generation;
    this.inFlight?.abort();
    const abort = new AbortController();
    this.inFlight = abort;
    let status: OllamaStatus;
    try {
      const settings = settingsReader();
      status = await ollamaStatus(ollamaHosts(settings), judgeModel(settings), { signal: abort.signal });
    } catch (err) {
      if (abort.signal.aborted) return;
      status = { severity: 'error', text: 'Ollama: settings problem', tooltip: describeError(err) };
    }
    if (generation !== this.generation) return;
    this.inFlight = undefined;
    this.item.text = `${ICONS[status.severity]} ${status.text}`;
    this.item.tooltip = status.tooltip;
    this.item.backgroundColor = status.severity === 'error' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
    if (status.text !== this.lastText) this.log.info(`Ollama status: ${status.text}${status.severity === 'ok' ? '' : ` (${status.tooltip.replace(/\n/g, '; ')})`}`);
    this.lastText = status.text;
  }

  dispose(): void {
    this.inFlight?.abort();
    this.item.dispose();
  }
}
