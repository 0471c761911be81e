import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNonce, webviewHtml } from '../../../extension/editor/html';

const resources = {
  cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
  scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js',
  styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/main.css',
};

test('the page has the strict CSP, our stylesheet and only our nonce-tagged script', () => {
  const html = webviewHtml({ ...resources, nonce: 'abc123' });
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
  assert.equal(
    csp,
    "default-src 'none'; style-src https://file+.vscode-resource.vscode-cdn.net; font-src https://file+.vscode-resource.vscode-cdn.net; img-src https://file+.vscode-resource.vscode-cdn.net data:; script-src 'nonce-abc123'",
  );
  assert.doesNotMatch(html, /unsafe-/);
  assert.match(html, /<div id="app"><\/div>/);
  assert.match(html, /<link rel="stylesheet" href="https:\/\/file\+\.vscode-resource\.vscode-cdn\.net\/ext\/media\/main\.css">/);
  const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]);
  assert.deepEqual(scripts, [' nonce="abc123" src="https://file+.vscode-resource.vscode-cdn.net/ext/dist/webview.js"']);
  assert.doesNotMatch(html, /style=/);
});

test('every page load gets a fresh nonce', () => {
  const nonces = new Set(Array.from({ length: 50 }, createNonce));
  assert.equal(nonces.size, 50);
  for (const nonce of nonces) assert.match(nonce, /^[A-Za-z0-9+/]{24}$/);
  const html = webviewHtml(resources);
  const inCsp = /'nonce-([^']+)'/.exec(html)![1];
  assert.match(html, new RegExp(`<script nonce="${inCsp.replace(/[+/]/g, '\\$&')}" `));
});
