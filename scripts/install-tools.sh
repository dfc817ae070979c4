#!/usr/bin/env bash
# Installs the pinned tools the tests need into .tools/bin (git-ignored). Idempotent.
#   versitygw v1.8.0 — a real S3-compatible server (SigV4-verifying, maintained), built through the
#   Go module proxy; the Go tests start it on 127.0.0.1.
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
