/**
 * The commands that act on the shard in the active shard editor: Ask-LLM scoring, density, nearest
 * rows, export. Each gathers its input from the UI and the settings, then calls the shard's
 * ShardAnnotations (the same model the CLI uses) under a cancellable progress notification.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { ShardAnnotations } from '../core/curation';
import { parseSamplerSpec } from '../core/curate/spec';
import { describeError, isCancelled, UserError } from '../core/errors';
import { proposeAnnotationsPath, proposeExportPaths, recipePathFor, type ExportFormat } from '../core/export';
import { OllamaError } from '../core/ollama/errors';
import { formatDuration, RateMeter, type RunProgress } from '../core/run/progress';
import type { Logger } from '../editor/logger';
import { settingsReader, type ShardEditor, type ShardEditors } from '../editor/provider';
import { askLlmSettings, densitySettings, parseEmbedderChoice } from '../editor/settings';
import { droppedPathFor } from './paths';
import { canEmbed, listInstalledModels } from './ollama-models';
import { formatCount, percentDone, progressText } from './progress-text';
import { SELECT_MODEL_COMMAND } from './select-model';
import type { OllamaStatusBar } from './status-bar';

export const SCORE_SELECTED_COMMAND = 'shardCurator.scoreSelected';
export const SCORE_ALL_COMMAND = 'shardCurator.scoreAll';
export const COMPUTE_DENSITY_COMMAND = 'shardCurator.computeDensity';
export const SHOW_NEAREST_COMMAND = 'shardCurator.showNearest';
export const EXPORT_COMMAND = 'shardCurator.export';
export const EXPORT_ANNOTATIONS_COMMAND = 'shardCurator.exportAnnotations';

/** globalState key of the sampler spec last used for an export (pre-fills the next one). */
export const LAST_SAMPLER_KEY = 'shardCurator.lastSamplerSpec';
const NEAREST_ROWS = 10;
const EXPORT_PHASES = { scanning: 'Reading the schema', writing: 'Writing', verifying: 'Verifying' } as const;
/** Progress notifications are redrawn at most this often. */
const REPORT_INTERVAL_MS = 200;

export interface CurationCommandDeps {
  editors: ShardEditors;
  status: OllamaStatusBar;
  /** Remembers the last sampler spec across sessions. */
  state: vscode.Memento;
  log: Logger;
}

/** `phase` (e.g. "Verifying") goes before the counts. */
type Reporter = (progress: RunProgress & { failed?: number }, phase?: string) => void;

/**
 * Runs `task` under a cancellable notification; Cancel aborts the signal. The reporter turns
 * done/total (+ rate, ETA) into the message and the bar, redrawn at most every REPORT_INTERVAL_MS.
 */
function withRunProgress<T>(title: string, task: (report: Reporter, signal: AbortSignal) => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (progress, token) => {
    const abort = new AbortController();
    token.onCancellationRequested(() => abort.abort());
    let shownPercent = 0;
    let lastAt = -Infinity;
    const report: Reporter = (p, phase) => {
      const now = performance.now();
      if (now - lastAt < REPORT_INTERVAL_MS && p.done < p.total) return;
      lastAt = now;
      const percent = percentDone(p);
      progress.report({ message: `${phase ? `${phase}: ` : ''}${progressText(p)}`, increment: Math.max(0, percent - shownPercent) });
      shownPercent = Math.max(shownPercent, percent);
    };
    return task(report, abort.signal);
  });
}

export function registerCurationCommands(deps: CurationCommandDeps): vscode.Disposable {
  const { editors, status, state, log } = deps;
  /** Runs per shard file and kind; a second one of the same kind would only compete for the same rows. */
  const running = new Set<string>();

  function register(id: string, run: (editor: ShardEditor) => Promise<void>): vscode.Disposable {
    return vscode.commands.registerCommand(id, async (target?: unknown) => {
      const editor = target instanceof vscode.Uri ? (editors.find(target) ?? editors.active()) : editors.active();
      if (!editor) {
        void vscode.window.showInformationMessage('Open a shard in the Shard Curator editor first ("Shard Curator: Open Shard"), then run this command from it.');
        return;
      }
      try {
        await run(editor);
      } catch (err) {
        if (isCancelled(err)) return;
        if (!(err instanceof UserError)) log.error(`Command ${id} failed`, err);
        const message = err instanceof UserError ? err.message : `${describeError(err)} (details in the "Shard Curator" output)`;
        const needsModel = err instanceof OllamaError && (err.kind === 'model-missing' || err.kind === 'not-chat');
        const action = await vscode.window.showErrorMessage(message, ...(needsModel ? ['Select Ollama Model'] : []));
        if (action) await vscode.commands.executeCommand(SELECT_MODEL_COMMAND);
      }
    });
  }

  /** One run of `kind` per shard at a time. */
  async function exclusive<T>(editor: ShardEditor, kind: string, what: string, run: () => PromiseLike<T>): Promise<T | undefined> {
    const key = `${kind} ${editor.uri.toString()}`;
    if (running.has(key)) {
      void vscode.window.showInformationMessage(`${what} is already running for ${basename(editor.uri.fsPath)}; cancel it from its notification to start another.`);
      return undefined;
    }
    running.add(key);
    try {
      return await run();
    } finally {
      running.delete(key);
    }
  }

  /** The shard's annotations, waiting (cancellably) while the shard is still indexed and hashed. */
  async function annotationsOf(editor: ShardEditor): Promise<ShardAnnotations> {
    const session = editor.document.session;
    try {
      return session.requireAnnotations();
    } catch {
      // Not loaded yet (or failed: annotations() says why).
    }
    return vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Indexing ${basename(editor.uri.fsPath)} and loading its annotations…`, cancellable: true },
      (_progress, token) =>
        new Promise<ShardAnnotations>((resolve, reject) => {
          token.onCancellationRequested(() => reject(new UserError('Stopped waiting for the shard to be indexed; run the command again once it is open.')));
          session.annotations().then(resolve, reject);
        }),
    );
  }

  async function score(editor: ShardEditor, which: 'selected' | 'all'): Promise<void> {
    void status.enable();
    const settings = askLlmSettings(settingsReader(editor.uri));
    let rows: 'all' | Uint32Array = 'all';
    if (which === 'selected') {
      const selected = editor.router.selection();
      if (!selected || selected.rows.length === 0) {
        void vscode.window.showInformationMessage('Select rows in the shard editor first (click, shift-click, ctrl-click), then run "Score Selected Rows with Ask-LLM".');
        return;
      }
      rows = selected.rows;
    }
    const curation = await annotationsOf(editor);
    const name = basename(editor.uri.fsPath);
    const title = `Ask-LLM scoring ${which === 'all' ? 'all rows' : `${formatCount(rows.length)} selected rows`} of ${name} with ${settings.model}`;
    try {
      const result = await exclusive(editor, 'askllm', 'Ask-LLM scoring', () =>
        withRunProgress(title, (report, signal) => curation.scoreAskllm(rows, { ...settings, signal, onProgress: (p) => report(p) })),
      );
      if (!result) return;
      log.info(`Ask-LLM ${name}: ${result.scored} scored, ${result.cached} cached, ${result.failed} failed, cancelled ${result.cancelled}, ${result.seconds.toFixed(1)} s`);
      const parts = [`${formatCount(result.scored)} rows scored with ${result.model} in ${formatDuration(result.seconds)}`];
      if (result.cached > 0) parts.push(`${formatCount(result.cached)} already had a score`);
      if (result.failed > 0) parts.push(`${formatCount(result.failed)} failed (the row details say why; run again to retry them)`);
      const message = `${result.cancelled ? 'Stopped; everything scored so far is kept. ' : ''}${parts.join('; ')}.`;
      if (result.failed > 0) void vscode.window.showWarningMessage(message);
      else void vscode.window.showInformationMessage(message);
    } finally {
      void status.refresh();
    }
  }

  /** The density embedder: the setting, else asked once (built-in, or an installed Ollama embedding model) and remembered. */
  async function chooseEmbedder(hosts: string[]): Promise<string | undefined> {
    const inventory = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Asking Ollama for embedding models' },
      () => listInstalledModels(hosts, { timeoutMs: 3000 }),
    );
    const reachable = inventory.hosts.some((h) => h.version !== undefined);
    const items: Array<vscode.QuickPickItem & { choice: string }> = [
      { label: 'Built-in', description: 'no server needed', detail: 'Hashed words and word pairs: fast, works offline; near-duplicates and shared wording count as close.', choice: 'builtin' },
      ...inventory.models.filter(canEmbed).map((m) => ({
        label: m.name,
        description: `Ollama${m.parameterSize ? ` · ${m.parameterSize}` : ''}`,
        detail: 'Semantic embeddings from Ollama: slower (one request per batch of rows); cached in the annotation store folder.',
        choice: `ollama:${m.name}`,
      })),
    ];
    const picked = await vscode.window.showQuickPick(items, {
      title: 'Embedder for density',
      placeHolder: reachable ? 'How rows are embedded to measure density (remembered in shardCurator.density.embedder)' : `Ollama is not reachable at ${hosts.join(', ')}: only the built-in embedder is offered`,
    });
    if (!picked) return undefined;
    await vscode.workspace.getConfiguration('shardCurator').update('density.embedder', picked.choice, vscode.ConfigurationTarget.Global);
    return picked.choice;
  }

  async function density(editor: ShardEditor): Promise<void> {
    const settings = densitySettings(settingsReader(editor.uri));
    const embedder = settings.embedder ?? parseEmbedderChoice((await chooseEmbedder(settings.hosts)) ?? '');
    if (!embedder) return;
    const curation = await annotationsOf(editor);
    const name = basename(editor.uri.fsPath);
    const result = await exclusive(editor, 'density', 'Density', () =>
      withRunProgress(`Density of ${name} (${embedder === 'builtin' ? 'built-in embedder' : embedder})`, (report, signal) => {
        const meter = new RateMeter(curation.rowCount);
        return curation.computeDensity({ embedder, hosts: settings.hosts, sketch: settings.sketch, signal, onProgress: (p) => report({ ...meter.update(p.done), total: p.total }) });
      }),
    );
    if (!result) return;
    log.info(`Density ${name}: ${result.rows} rows with ${result.embedderId} in ${result.seconds.toFixed(1)} s (${result.embedded} embedded)`);
    void vscode.window.showInformationMessage(`Density of ${formatCount(result.rows)} rows computed with ${result.embedderId} in ${formatDuration(result.seconds)}.`);
  }

  async function showNearest(editor: ShardEditor): Promise<void> {
    const selected = editor.router.selection();
    const row = selected?.focusedRow ?? (selected && selected.rows.length > 0 ? selected.rows[0] : undefined);
    if (row === undefined) {
      void vscode.window.showInformationMessage('Select a row in the shard editor first, then run "Show Nearest Rows".');
      return;
    }
    const curation = await annotationsOf(editor);
    const nearest = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Finding the rows nearest to row ${formatCount(row)}…`, cancellable: true },
      (_progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return curation.nearestRows(row, NEAREST_ROWS, abort.signal);
      },
    );
    editor.router.showNearest(row, nearest);
  }

  /** Asks before replacing any of `paths` that exists; true when none exists or the user agreed. */
  async function confirmReplace(paths: string[]): Promise<boolean> {
    const existing = paths.filter((p) => existsSync(p));
    if (existing.length === 0) return true;
    const names = existing.map((p) => basename(p)).join(', ');
    const answer = await vscode.window.showWarningMessage(`${names} already ${existing.length === 1 ? 'exists' : 'exist'}. Replace ${existing.length === 1 ? 'it' : 'them'}?`, { modal: true }, 'Replace');
    return answer === 'Replace';
  }

  async function exportCurated(editor: ShardEditor): Promise<void> {
    const curation = await annotationsOf(editor);
    const shard = editor.document.session.requireShard();
    let sampler = (await curation.summary()).sampler;
    if (!sampler) {
      const spec = await vscode.window.showInputBox({
        title: 'Export: which rows to keep',
        prompt: 'No sampler is chosen in the editor. Sampler spec: steps separated by commas, e.g. askllm-min:0.2,density-ips:0.5 (random:1.0 keeps every row); keep/drop overrides apply on top.',
        value: state.get<string>(LAST_SAMPLER_KEY) ?? 'random:1.0',
        ignoreFocusOut: true,
        validateInput: (value) => {
          try {
            parseSamplerSpec(value);
            return undefined;
          } catch (err) {
            return describeError(err);
          }
        },
      });
      if (spec === undefined) return;
      curation.setSampler(spec, 0);
      editor.document.session.changed();
      sampler = (await curation.summary()).sampler;
    }
    const samplerError = (await curation.summary()).samplerError;
    if (samplerError) throw new UserError(samplerError);
    if (sampler) await state.update(LAST_SAMPLER_KEY, sampler.spec);

    const proposed = proposeExportPaths(shard.path, shard.format).output;
    const arrowFirst = /\.arrow$/i.test(proposed);
    const filters: Record<string, string[]> = arrowFirst ? { 'Arrow IPC': ['arrow'], 'JSON Lines': ['jsonl', 'gz'] } : { 'JSON Lines': ['jsonl', 'gz'], 'Arrow IPC': ['arrow'] };
    const target = await vscode.window.showSaveDialog({ title: 'Export Curated Shard', defaultUri: vscode.Uri.file(proposed), filters, saveLabel: 'Export' });
    if (!target) return;
    const out = target.fsPath;
    const format: ExportFormat = /\.(arrow|feather|ipc)$/i.test(out) ? 'arrow' : 'jsonl';
    const dropped = droppedPathFor(out);
    const options = await vscode.window.showQuickPick(
      [
        { label: 'Add annotation columns', description: 'Ask-LLM score, density, decision and its source beside each row', id: 'annotations' },
        { label: 'Also write the dropped rows', description: `to ${basename(dropped)}, with the step that dropped each`, id: 'dropped' },
      ],
      { title: 'Export options', placeHolder: 'Pick any, then press Enter', canPickMany: true, ignoreFocusOut: true },
    );
    if (!options) return;
    const withAnnotations = options.some((o) => o.id === 'annotations');
    const droppedPath = options.some((o) => o.id === 'dropped') ? dropped : undefined;
    const targets = [out, recipePathFor(out), ...(droppedPath ? [droppedPath] : [])];
    if (!(await confirmReplace(targets))) return;

    const name = basename(editor.uri.fsPath);
    const result = await exclusive(editor, 'export', 'An export', () =>
      withRunProgress(`Exporting ${name} (${sampler?.spec ?? 'overrides'})`, (report, signal) =>
        curation.exportCurated({
          out, format, withAnnotations, droppedPath, force: true, signal,
          onProgress: (p) => report({ done: p.rowsDone, total: p.rowsTotal }, EXPORT_PHASES[p.phase]),
        }),
      ),
    );
    if (!result) return;
    log.info(`Exported ${name}: ${result.kept} kept, ${result.dropped} dropped -> ${result.out}`);
    const action = await vscode.window.showInformationMessage(
      `Exported ${formatCount(result.kept)} of ${formatCount(result.input)} rows (${formatCount(result.dropped)} dropped) to ${basename(result.out)}.`,
      'Open Recipe',
      'Reveal File',
    );
    if (action === 'Open Recipe') await vscode.window.showTextDocument(vscode.Uri.file(result.recipe));
    else if (action === 'Reveal File') await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(result.out));
  }

  async function exportAnnotations(editor: ShardEditor): Promise<void> {
    const curation = await annotationsOf(editor);
    const target = await vscode.window.showSaveDialog({
      title: 'Export Annotations as Arrow',
      defaultUri: vscode.Uri.file(proposeAnnotationsPath(editor.uri.fsPath)),
      filters: { 'Arrow IPC': ['arrow'] },
      saveLabel: 'Export',
    });
    if (!target || !(await confirmReplace([target.fsPath]))) return;
    const result = await exclusive(editor, 'export', 'An export', () =>
      withRunProgress(`Exporting the annotations of ${basename(editor.uri.fsPath)}`, (_report, signal) => curation.exportAnnotations(target.fsPath, { force: true, signal })),
    );
    if (!result) return;
    const action = await vscode.window.showInformationMessage(`Wrote the annotations of ${formatCount(result.rows)} rows to ${basename(result.out)}.`, 'Reveal File');
    if (action) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(result.out));
  }

  return vscode.Disposable.from(
    register(SCORE_SELECTED_COMMAND, (editor) => score(editor, 'selected')),
    register(SCORE_ALL_COMMAND, (editor) => score(editor, 'all')),
    register(COMPUTE_DENSITY_COMMAND, density),
    register(SHOW_NEAREST_COMMAND, showNearest),
    register(EXPORT_COMMAND, exportCurated),
    register(EXPORT_ANNOTATIONS_COMMAND, exportAnnotations),
  );
}
