#!/usr/bin/env bash
# Browser tests: builds the real binaries, then node's test runner drives Debian's Chromium with
# playwright-core against the studio and the fal simulator (both on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."

chromium_bin="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$chromium_bin" ]; then
  echo "installing Debian's chromium (never a downloaded browser build)"
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
export CHROMIUM_PATH="$chromium_bin"
# The video test (frames, filmstrip, stitch) needs ffmpeg on the studio's PATH.
scripts/install-ffmpeg.sh

bin="$PWD/.tools/e2e"
mkdir -p "$bin"
go build -o "$bin/falstudio" ./cmd/falstudio
go build -o "$bin/falsim" ./cmd/falsim
go build -o "$bin/oidcprovider" ./cmd/oidcprovider # a test-only OpenID provider on loopback (sso.test.mjs)
export FALSTUDIO_BIN="$bin/falstudio" FALSIM_BIN="$bin/falsim" OIDCPROVIDER_BIN="$bin/oidcprovider"
export E2E_SCREENSHOTS="$PWD/e2e/screenshots"

cd e2e
npm ci --no-audit --no-fund --loglevel=error
node --test --test-concurrency=1 --test-reporter=spec tests/
cd ..
scripts/lighthouse.sh
