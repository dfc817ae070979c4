#!/usr/bin/env bash
# Lighthouse (npm lighthouse, pinned in e2e/package.json) against the real binaries in Debian's
# Chromium, headless and on loopback only: Create and Gallery, phone and desktop, each of
# performance, accessibility and best practices at least LIGHTHOUSE_MIN (95), the best of up to
# three runs (noise from a loaded machine only lowers a score; see e2e/lighthouse.mjs). About a minute.
# scripts/e2e.sh calls it with the binaries it built; alone, it builds them.
set -euo pipefail
cd "$(dirname "$0")/.."
export CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -z "${FALSTUDIO_BIN:-}" ] || [ -z "${FALSIM_BIN:-}" ]; then
  bin="$PWD/.tools/e2e"
  mkdir -p "$bin"
  go build -o "$bin/falstudio" ./cmd/falstudio
  go build -o "$bin/falsim" ./cmd/falsim
  export FALSTUDIO_BIN="$bin/falstudio" FALSIM_BIN="$bin/falsim"
  npm --prefix e2e ci --no-audit --no-fund --loglevel=error
fi
export LIGHTHOUSE_OUT="${LIGHTHOUSE_OUT:-$PWD/e2e/screenshots/lighthouse}"
cd e2e
node lighthouse.mjs
