// Builds the three bundles (extension host, webview, CLI) plus one bundle per worker thread.
// Usage: node esbuild.mjs [--production] [--watch]
import * as esbuild from 'esbuild';
import { readdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'info',
  legalComments: production ? 'none' : 'inline',
};

const nodeCommon = { ...common, platform: 'node', format: 'cjs', target: 'node20' };

// Workers are bundled next to the code that starts them: dist/workers/<name>.worker.js
const workerEntries = readdirSync('extension/core/workers')
  .filter((f) => f.endsWith('.worker.ts'))
  .map((f) => `extension/core/workers/${f}`);

// The UI toolkit (FAST) probes :focus-visible support by inserting an inline <style>, which the
// webview's strict CSP (no 'unsafe-inline') blocks and reports as a violation. VS Code webviews are
// Chromium, which supports :focus-visible: answer the probe at build time instead.
const focusVisibleWithoutInlineStyle = {
  name: 'focus-visible-without-inline-style',
  setup(build) {
    build.onLoad({ filter: /fast-foundation[\\/]dist[\\/]esm[\\/]utilities[\\/]style[\\/]focus\.js$/ }, () => ({
      contents: 'export const focusVisible = "focus-visible";',
      loader: 'js',
    }));
  },
};

const builds = [
  { ...nodeCommon, entryPoints: ['extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { ...nodeCommon, entryPoints: ['extension/cli/cli.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...nodeCommon, entryPoints: workerEntries, outdir: 'dist/workers' },
  { ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js', plugins: [focusVisibleWithoutInlineStyle] },
];

if (watch) {
  for (const options of builds) (await esbuild.context(options)).watch();
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
