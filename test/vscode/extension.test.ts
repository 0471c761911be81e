/**
 * The extension inside a desktop VS Code (@vscode/test-electron; run by test/vscode/run.mjs, which
 * prepares the workspace: the example shards, a gzipped copy of the JSONL one, and a
 * .vscode/settings.json that names a decoy Ollama host and the built-in density embedder).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama-server';

const EXTENSION_ID = 'shard-curator.shard-curator';
const JUDGE = 'qwen2.5:0.5b';

function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'VS Code was started without the test workspace');
  return vscode.Uri.joinPath(folder.uri, name);
}

function activeTabInput(): unknown {
  return vscode.window.tabGroups.activeTabGroup.activeTab?.input;
}

/** Resolves once the active tab shows `uri` (editors open asynchronously after the command returns). */
async function activeTabFor(uri: vscode.Uri, timeoutMs = 20_000): Promise<unknown> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const input = activeTabInput();
    if (input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText) {
      if (input.uri.toString() === uri.toString()) return input;
    }
    if (Date.now() > deadline) throw new Error(`${uri.fsPath} did not become the active editor`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function manifest(): any {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not loaded`);
  return extension.packageJSON;
}

describe('activation', () => {
  it('activates and registers every command it contributes', async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    await extension.activate();
    assert.equal(extension.isActive, true);
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed: string[] = manifest().contributes.commands.map((c: { command: string }) => c.command);
    assert.ok(contributed.length > 0);
    assert.deepEqual(contributed.filter((id) => !registered.has(id)), []);
  });
});

describe('the shard editor', () => {
  afterEach(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  it('opens an Arrow shard by default (priority "default")', async () => {
    const uri = workspaceFile('web-sample.arrow');
    await vscode.commands.executeCommand('vscode.open', uri);
    const input = await activeTabFor(uri);
    assert.ok(input instanceof vscode.TabInputCustom, 'an Arrow file must open in the shard editor');
    assert.equal(input.viewType, 'shardCurator.shardEditor');
  });

  it('leaves JSONL to the text editor until "Open Shard" (priority "option")', async () => {
    const uri = workspaceFile('web-sample.jsonl');
    await vscode.commands.executeCommand('vscode.open', uri);
    assert.ok((await activeTabFor(uri)) instanceof vscode.TabInputText, 'JSONL must stay a text file by default');
    await vscode.commands.executeCommand('shardCurator.open');
    const deadline = Date.now() + 20_000;
    while (!(activeTabInput() instanceof vscode.TabInputCustom)) {
      assert.ok(Date.now() < deadline, '"Open Shard" did not reopen the active JSONL file in the shard editor');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const input = activeTabInput() as vscode.TabInputCustom;
    assert.equal(input.uri.toString(), uri.toString());
    assert.equal(input.viewType, 'shardCurator.textShardEditor');
  });

  for (const name of ['web-sample.jsonl', 'web-sample.jsonl.gz', 'web-sample.arrow']) {
    it(`"Open Shard" opens ${name} in the shard editor`, async () => {
      const uri = workspaceFile(name);
      await vscode.commands.executeCommand('shardCurator.open', uri);
      const input = await activeTabFor(uri);
      assert.ok(input instanceof vscode.TabInputCustom);
      assert.equal(input.viewType, name.endsWith('.arrow') ? 'shardCurator.shardEditor' : 'shardCurator.textShardEditor');
    });
  }
});

describe('settings scope', () => {
  it('declares every setting that names a host or a folder on this machine as machine-scoped and restricted', () => {
    const { contributes, capabilities } = manifest();
    const properties: Record<string, { scope?: string }> = contributes.configuration.properties;
    const restricted: string[] = capabilities.untrustedWorkspaces.restrictedConfigurations;
    for (const key of ['shardCurator.ollama.hosts', 'shardCurator.cacheDirectory', 'shardCurator.storeDirectory']) {
      assert.equal(properties[key]?.scope, 'machine', key);
      assert.ok(restricted.includes(key), `${key} is not in restrictedConfigurations`);
    }
  });

  it('ignores the Ollama hosts a workspace .vscode/settings.json names', () => {
    const hosts = vscode.workspace.getConfiguration('shardCurator').inspect<string[]>('ollama.hosts');
    assert.ok(hosts?.workspaceValue, 'the test workspace should set shardCurator.ollama.hosts');
    assert.notDeepEqual(vscode.workspace.getConfiguration('shardCurator').get('ollama.hosts'), hosts.workspaceValue);
  });
});

describe('commands on an open shard', () => {
  let ollama: FakeOllama;
  let decoy: FakeOllama;
  const jsonl = () => workspaceFile('web-sample.jsonl');

  before(async () => {
    ollama = await startFakeOllama();
    // The host the workspace settings name (run.mjs wrote that port into .vscode/settings.json).
    decoy = await startFakeOllama({ port: Number(process.env.SHARD_CURATOR_DECOY_PORT) });
    const config = vscode.workspace.getConfiguration('shardCurator');
    await config.update('ollama.hosts', [ollama.url], vscode.ConfigurationTarget.Global);
    await config.update('askLlm.model', JUDGE, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('shardCurator.open', jsonl());
    await activeTabFor(jsonl());
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await ollama?.stop();
    await decoy?.stop();
  });

  it('"Score All Rows with Ask-LLM" asks the user-settings host about every row, never the workspace one', async () => {
    const rows = readFileSync(jsonl().fsPath, 'utf8').split('\n').filter((line) => line.trim() !== '').length;
    await vscode.commands.executeCommand('shardCurator.scoreAll');
    const scored = ollama.inferenceRequests().filter((r) => r.body?.model === JUDGE);
    assert.equal(scored.length, rows);
    assert.deepEqual(decoy.requests.map((r) => r.path), []);
  });

  it('"Compute Density" with the built-in embedder writes density into the annotation store', async () => {
    const store = `${jsonl().fsPath}.curator`;
    await vscode.commands.executeCommand('shardCurator.computeDensity');
    assert.ok(existsSync(store), `no annotation store at ${store}`);
    const records = readFileSync(join(store, 'annotations.jsonl'), 'utf8');
    assert.match(records, /"kind":"density"/);
  });
});
