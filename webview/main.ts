/**
 * Entry of the webview bundle (dist/webview.js): builds the app into #app, reports errors to the
 * host's log, then says `ready` so the host sends the shard.
 */
import type { ViewState } from './state';
import { ViewStateStore } from './state';
import { App } from './app';
import { MessageClient } from './client';
import { registerControls } from './controls';

const api = acquireVsCodeApi<ViewState>();
const client = new MessageClient(api);

function reportError(error: unknown): void {
  const message = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
  client.post({ type: 'log', level: 'error', message });
}

window.addEventListener('error', (event) => reportError(event.error ?? event.message));
window.addEventListener('unhandledrejection', (event) => reportError(event.reason));

registerControls();
const store = new ViewStateStore(api);
const root = document.getElementById('app');
if (!root) throw new Error('the editor page has no #app element');
new App(root, client, store, reportError);
// Hiding the editor destroys this page: save the latest view state first.
window.addEventListener('pagehide', () => store.flush());
document.addEventListener('visibilitychange', () => store.flush());
client.post({ type: 'ready' });
