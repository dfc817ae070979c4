#!/usr/bin/env bash
# Installs the pinned tools the tests need into .tools/bin (git-ignored). Idempotent.
#   versitygw v1.8.0 — a real S3-compatible server (SigV4-verifying, maintained), built through the
#   Go module proxy; the Go tests start it on 127.0.0.1.
#   staticcheck v0.8.2 (2026.2.2) — the linter scripts/test.sh runs after go vet.
#   golangci-lint v2.15.0 — standard linters and depguard layering rules (.golangci.yml).
#   ffmpeg/ffprobe — Debian's package (scripts/install-ffmpeg.sh), so the video paths (posters,
#   frames, filmstrips, extend, stitch) are tested for real; the studio itself runs without it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$PWD/.tools/bin"
mkdir -p "$bin"

VERSITYGW_VERSION=v1.8.0
stamp="$bin/.versitygw-$VERSITYGW_VERSION"
if [ ! -x "$bin/versitygw" ] || [ ! -f "$stamp" ]; then
  echo "building versitygw $VERSITYGW_VERSION (first run only, about a minute)"
  GOBIN="$bin" GOFLAGS= go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
  rm -f "$bin"/.versitygw-*
  touch "$stamp"
fi
echo "versitygw $VERSITYGW_VERSION: $bin/versitygw"

STATICCHECK_VERSION=v0.8.2
stamp="$bin/.staticcheck-$STATICCHECK_VERSION"
if [ ! -x "$bin/staticcheck" ] || [ ! -f "$stamp" ]; then
  echo "building staticcheck $STATICCHECK_VERSION"
  GOBIN="$bin" GOFLAGS= go install "honnef.co/go/tools/cmd/staticcheck@$STATICCHECK_VERSION"
  rm -f "$bin"/.staticcheck-*
  touch "$stamp"
fi
echo "staticcheck $STATICCHECK_VERSION: $bin/staticcheck"

# golangci-lint v2 — standard linters plus depguard, whose rules (.golangci.yml) keep the
# layering. Built through the Go module proxy like the others (about a minute, first run only).
GOLANGCI_VERSION=v2.15.0
stamp="$bin/.golangci-lint-$GOLANGCI_VERSION"
if [ ! -x "$bin/golangci-lint" ] || [ ! -f "$stamp" ]; then
  echo "building golangci-lint $GOLANGCI_VERSION (first run only, about a minute)"
  GOBIN="$bin" GOFLAGS= go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_VERSION"
  rm -f "$bin"/.golangci-lint-*
  touch "$stamp"
fi
echo "golangci-lint $GOLANGCI_VERSION: $bin/golangci-lint"

# ffmpeg from Debian's archive (apt), like the Chromium of scripts/e2e.sh.
scripts/install-ffmpeg.sh
