#!/usr/bin/env bash
# The web UI's checks: a clean install from the lock file, type-check, Vitest, a fresh build —
# and the committed web/dist must match that build exactly (go:embed serves the committed one).
set -euo pipefail
cd "$(dirname "$0")/../web"
npm ci --no-audit --no-fund --loglevel=error
npm run --silent typecheck
npm test --silent
npm run --silent build
cd ..
if [ -n "$(git status --porcelain -- web/dist)" ]; then
  git status --short -- web/dist
  echo "web/dist does not match web/src: run 'npm --prefix web run build' and commit web/dist" >&2
  exit 1
fi
echo "web/dist matches the sources"
