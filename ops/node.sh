#!/usr/bin/env bash
# Checks Node.js and installs the npm dependencies when package-lock.json changed since the last install.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$COFI_ROOT"

command -v node >/dev/null 2>&1 || die "Node.js is missing: install Node.js 20 or newer (e.g. 'apt-get install -y nodejs npm')"
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || die "Node.js $(node -v) is too old: cofi needs Node.js 20 or newer"
stamp=node_modules/.cofi-lock-hash
want=$(sha256sum package-lock.json | cut -c1-64)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  say "installing npm dependencies (npm ci)..."
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" >"$stamp"
fi
