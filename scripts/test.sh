#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this script).
# Installs what the tests need (pinned), then: gofmt, go vet, go test -race on SQLite and on
# PostgreSQL (started by scripts/pg.sh), the web UI checks
# (type-check, Vitest, a fresh build that must match the committed web/dist) and the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:-} -mod=readonly"
step() { printf '\n==> %s\n' "$*"; }

step "install pinned test tools"
scripts/install-tools.sh

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "These files need gofmt -w:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...

step "staticcheck"
.tools/bin/staticcheck ./...

step "golangci-lint (standard linters + depguard layering, .golangci.yml)"
# --allow-parallel-runners: another checkout on the same machine may be linting at the same time.
.tools/bin/golangci-lint run --allow-parallel-runners ./...

step "web UI: type-check, unit tests, build, committed dist matches"
scripts/web-check.sh

step "go test -race on SQLite"
go test -race -shuffle=on -count=1 -timeout 15m ./...

step "go test -race on PostgreSQL (a throw-away server on 127.0.0.1)"
# A port of its own, so that concurrent runs on one machine never stop each other's server.
export PGPORT="${PGPORT:-$((56000 + RANDOM % 4000))}"
pg_url=$(scripts/pg.sh start | tail -n 1)
trap 'scripts/pg.sh stop' EXIT
FALSTUDIO_TEST_DATABASE_URL="$pg_url" go test -race -shuffle=on -count=1 -timeout 15m ./...

step "browser tests (playwright-core + Debian Chromium)"
scripts/e2e.sh

echo
echo "All checks passed."
