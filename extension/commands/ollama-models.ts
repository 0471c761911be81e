/**
 * What the configured Ollama servers have installed, for the model picker and the status bar.
 * No `vscode` import (tested against the fake Ollama server). Every call has a short timeout: this
 * runs while the user waits for a picker or glances at the status bar, not during a run.
 */
import { describeError } from '../core/errors';
import { MIN_LOGPROBS_VERSION, fullModelName, ollamaClient, supportsLogprobs } from '../core/ollama/client';
import { toOllamaError } from '../core/ollama/errors';

export interface InstalledModel {
  /** As `ollama list` shows it (`name:tag`). */
  name: string;
  digest: string;
  sizeBytes: number;
  /** e.g. `1.5B`, when the server says. */
  parameterSize: string | undefined;
  /** The hosts that have these weights. */
  hosts: string[];
  /** From /api/show; undefined when it was not asked for or could not be read. */
  capabilities: string[] | undefined;
}

export interface HostReport {
  host: string;
  version?: string;
  /** Why the host could not be asked (one line for the user). */
  error?: string;
}

export interface OllamaInventory {
  hosts: HostReport[];
  models: InstalledModel[];
}

export interface InventoryOptions {
  signal?: AbortSignal;
  /** Per host request (default 5 s). */
  timeoutMs?: number;
  /** Models whose capabilities are read with /api/show: all (default) or these names. */
  capabilitiesOf?: 'all' | string[];
}

/** Can be the Ask-LLM judge: generates text (embedding models cannot). */
export function canJudge(model: InstalledModel): boolean {
  return model.capabilities?.includes('completion') ?? false;
}

export function canEmbed(model: InstalledModel): boolean {
  return model.capabilities?.includes('embedding') ?? false;
}

const SHOW_CONCURRENCY = 4;

/** Asks every host for its version and installed models, and (by default) each model's capabilities. */
export async function listInstalledModels(hosts: readonly string[], options: InventoryOptions = {}): Promise<OllamaInventory> {
  const signalFor = () => {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? 5000);
    return options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  };
  const byName = new Map<string, InstalledModel>();
  const reports = await Promise.all(
    hosts.map(async (host): Promise<HostReport> => {
      try {
        const client = ollamaClient(host, signalFor());
        const { version } = await client.version();
        const { models } = await client.list();
        for (const m of models) {
          const name = fullModelName(m.name);
          const known = byName.get(name);
          if (known) known.hosts.push(host);
          else byName.set(name, { name, digest: m.digest, sizeBytes: m.size, parameterSize: m.details?.parameter_size || undefined, hosts: [host], capabilities: undefined });
        }
        return { host, version };
      } catch (err) {
        return { host, error: describeError(toOllamaError(err, host, undefined, 1)) };
      }
    }),
  );
  const wanted = options.capabilitiesOf ?? 'all';
  const toShow = [...byName.values()].filter((m) => wanted === 'all' || wanted.some((w) => fullModelName(w) === m.name));
  for (let i = 0; i < toShow.length; i += SHOW_CONCURRENCY) {
    await Promise.all(
      toShow.slice(i, i + SHOW_CONCURRENCY).map(async (model) => {
        try {
          const show = (await ollamaClient(model.hosts[0], signalFor()).show({ model: model.name })) as unknown as { capabilities?: string[] };
          model.capabilities = show.capabilities ?? [];
        } catch {
          // Unknown capabilities: the picker says so; preflight gives the precise reason at run time.
        }
      }),
    );
  }
  const models = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { hosts: reports, models };
}

export type StatusSeverity = 'ok' | 'warning' | 'error';

export interface OllamaStatus {
  severity: StatusSeverity;
  /** Short, for the status bar (without icon). */
  text: string;
  /** Markdown-free lines for the tooltip. */
  tooltip: string;
}

/** The status bar's line for the judge `model` on `hosts`, from one inventory (capabilities of that model only). */
export async function ollamaStatus(hosts: readonly string[], model: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<OllamaStatus> {
  const inventory = await listInstalledModels(hosts, { ...options, capabilitiesOf: model === '' ? [] : [model] });
  return describeStatus(inventory, model);
}

export function describeStatus(inventory: OllamaInventory, model: string): OllamaStatus {
  const up = inventory.hosts.filter((h) => h.version !== undefined);
  const hostLines = inventory.hosts.map((h) => (h.version !== undefined ? `${h.host}: Ollama ${h.version}` : `${h.host}: ${h.error}`));
  const click = 'Click to choose the Ask-LLM model.';
  if (up.length === 0) {
    return { severity: 'error', text: 'Ollama: not reachable', tooltip: [...hostLines, 'Start Ollama (`ollama serve`) or set shardCurator.ollama.hosts.', click].join('\n') };
  }
  const versions = [...new Set(up.map((h) => h.version!))];
  const server = up.length < inventory.hosts.length ? `Ollama ${up.length}/${inventory.hosts.length} hosts` : `Ollama ${versions.join('/')}`;
  const old = up.filter((h) => !supportsLogprobs(h.version!));
  if (old.length > 0) {
    return { severity: 'warning', text: `${server} (too old for Ask-LLM)`, tooltip: [...hostLines, `Ask-LLM needs Ollama ${MIN_LOGPROBS_VERSION} or newer: upgrade ${old.map((h) => h.host).join(', ')}.`, click].join('\n') };
  }
  const severity: StatusSeverity = up.length < inventory.hosts.length ? 'warning' : 'ok';
  if (model === '') return { severity: 'warning', text: `${server} · no model chosen`, tooltip: [...hostLines, click].join('\n') };
  const installed = inventory.models.find((m) => m.name === fullModelName(model));
  const missingOn = up.filter((h) => !installed?.hosts.includes(h.host)).map((h) => h.host);
  if (!installed || missingOn.length > 0) {
    return {
      severity: 'warning',
      text: `${server} · ${model} not installed`,
      tooltip: [...hostLines, `${model} is not installed on ${missingOn.join(', ')}: run \`ollama pull ${model}\` there, or pick an installed model.`, click].join('\n'),
    };
  }
  if (installed.capabilities && !canJudge(installed)) {
    return { severity: 'warning', text: `${server} · ${model} cannot judge`, tooltip: [...hostLines, `${model} does not generate text (capabilities: ${installed.capabilities.join(', ') || 'none'}); Ask-LLM needs a chat model.`, click].join('\n') };
  }
  return { severity, text: `${server} · ${model}`, tooltip: [...hostLines, `Ask-LLM model: ${model} (${installed.digest.slice(0, 12)}), installed.`, click].join('\n') };
}
