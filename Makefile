.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

run: ## run the studio on :8080 (data in ./data)
	go run ./cmd/falstudio

sim: ## run the fal simulator (prints the FAL_* variables)
	go run ./cmd/falsim

test: ## the whole suite, as CI runs it
	scripts/test.sh

gotest: ## Go tests only, with the race detector
	go test -race -shuffle=on -count=1 ./...

ui: ## rebuild web/dist from web/src
	npm --prefix web ci && npm --prefix web run build

lint: ## go vet, staticcheck and golangci-lint with depguard (pinned, installed by scripts/install-tools.sh)
	scripts/install-tools.sh && go vet ./... && .tools/bin/staticcheck ./... && .tools/bin/golangci-lint run ./...

fmt: ## gofmt everything
	gofmt -w $$(git ls-files '*.go')

bench: ## benchmarks (figures in docs/benchmarks.md)
	go test -run '^$$' -bench . -benchmem ./internal/...

fuzz: ## a short fuzz run of each parser of untrusted input
	go test -run '^$$' -fuzz '^FuzzCursor$$' -fuzztime 20s ./internal/store
	go test -run '^$$' -fuzz '^FuzzFTSQuery$$' -fuzztime 20s ./internal/store
	go test -run '^$$' -fuzz '^FuzzObjectKey$$' -fuzztime 20s ./internal/media
	go test -run '^$$' -fuzz '^FuzzSniff$$' -fuzztime 20s ./internal/media
	go test -run '^$$' -fuzz '^FuzzHostRules$$' -fuzztime 20s ./internal/media
	go test -run '^$$' -fuzz '^FuzzScanJSON$$' -fuzztime 20s ./internal/httpapi
	go test -run '^$$' -fuzz '^FuzzExtractOutputs$$' -fuzztime 20s ./internal/fal
	go test -run '^$$' -fuzz '^FuzzValidModelID$$' -fuzztime 20s ./internal/generation
	go test -run '^$$' -fuzz '^FuzzModelFromOpenAPI$$' -fuzztime 20s ./internal/generation
	go test -run '^$$' -fuzz '^FuzzSplitIDs$$' -fuzztime 20s ./internal/library
	go test -run '^$$' -fuzz '^FuzzQuantity$$' -fuzztime 20s ./internal/cost

.PHONY: help run sim test gotest ui lint fmt bench fuzz
