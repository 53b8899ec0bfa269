#!/usr/bin/env bash
# Everything a fresh clone needs before it can train or test: the pinned pnpm, the locked
# dependencies, and a build of every package. Safe to rerun; later runs are quick.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

PNPM_VERSION=10.34.9
if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "bootstrap: installing pnpm $PNPM_VERSION into .tools/ (no root needed)" >&2
  npm install --prefix .tools --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >&2
fi
pnpm install --frozen-lockfile --reporter=append-only >&2
turbo run build --output-logs=errors-only >&2
