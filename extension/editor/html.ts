import { randomBytes } from 'node:crypto';

export interface WebviewResources {
  /** `webview.cspSource`. */
  cspSource: string;
  /** Webview URIs (asWebviewUri) of dist/webview.js and media/main.css. */
  scriptUri: string;
  styleUri: string;
  nonce?: string;
}

/** A fresh nonce per page load; 18 random bytes are 24 base64 characters without padding. */
export function createNonce(): string {
  return randomBytes(18).toString('base64');
}

/** The Content-Security-Policy of the shard editor: only our bundle runs, nothing is fetched. */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource}`,
    `font-src ${cspSource}`,
    `img-src ${cspSource} data:`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

/**
 * The shard editor's page: an empty app root, our stylesheet and our script. No dataset text is ever
 * put here (it arrives by message and is rendered as text), so a row containing markup cannot run.
 */
export function webviewHtml(resources: WebviewResources): string {
  const nonce = resources.nonce ?? createNonce();
  const attr = escapeAttribute;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(contentSecurityPolicy(resources.cspSource, nonce))}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(resources.styleUri)}">
<title>Shard Curator</title>
</head>
<body>
<div id="app"></div>
<script nonce="${attr(nonce)}" src="${attr(resources.scriptUri)}"></script>
</body>
</html>
`;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
