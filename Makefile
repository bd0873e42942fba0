# Targets describe themselves: `make help` lists every target with a `## ` comment.
# Tests, benchmarks, the demo and the contract check need Postgres: they get it
# from scripts/ensure-postgres.sh ($DATABASE_URL if it answers, else a
# throwaway cluster under .cache/pg, else docker compose's db).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-print-directory

# Go may not be on PATH in a bare shell; this is where the machine keeps it.
export PATH := $(PATH):/usr/local/go/bin

GO ?= go
FUZZTIME ?= 30s
# Tests run at once within a package. Most of them wait on Postgres or a
# loopback server rather than compute, so go test's default (GOMAXPROCS, 2
# on our machines) leaves the cores idle; at 8 make test took 28.5 s
# against 32.5 s at 2 (medians of 2, one run, side by side), with at most
# 52 connections to the server (max_connections is 100: two make tests at
# once against one server want TEST_PARALLEL=4).
TEST_PARALLEL ?= 8
VERSION := $(shell git describe --always --dirty 2>/dev/null)
LDFLAGS := $(if $(VERSION),-ldflags "-X main.version=$(VERSION)")

.PHONY: help build demo test lint bench microbench fuzz contract clean

help: ## list the targets
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z_-]+:.*## / { printf "  %-10s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

build: ## build bin/ingest
	$(GO) build $(LDFLAGS) -o bin/ingest ./cmd/ingest

demo: build ## run the job end to end: Graph simulator -> backfill -> Postgres, print the daily view
	scripts/demo.sh

test: lint ## run every test (race detector) against Postgres
	DATABASE_URL="$$(scripts/ensure-postgres.sh)"; export DATABASE_URL; \
	$(GO) test -race -count=1 -parallel $(TEST_PARALLEL) ./...

lint: ## go vet and the gofmt check
	$(GO) vet ./...
	@files=$$( { git ls-files --cached --others --exclude-standard -- '*.go' 2>/dev/null \
		|| find . -name '*.go' -not -path './.cache/*'; } | while read -r f; do [ ! -f "$$f" ] || printf '%s\n' "$$f"; done ); \
	bad=$$( [ -z "$$files" ] || gofmt -l $$files ); \
	if [ -n "$$bad" ]; then echo "gofmt: these files need formatting (run gofmt -w on them):"; echo "$$bad"; exit 1; fi

bench: build ## measure the load path and a whole run against this machine's limits (bench/README.md)
	DATABASE_URL="$$(scripts/ensure-postgres.sh)"; export DATABASE_URL; \
	$(GO) run ./bench -ingest bin/ingest $(BENCHFLAGS)

microbench: ## run the Go benchmarks (go test -bench) against Postgres
	DATABASE_URL="$$(scripts/ensure-postgres.sh)"; export DATABASE_URL; \
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz: ## run each fuzz target for FUZZTIME (default 30s)
	@list=$$($(GO) test -list '^Fuzz' ./...); \
	targets=$$(printf '%s\n' "$$list" | awk '/^Fuzz[A-Za-z0-9_]*$$/ { f[n++] = $$1; next } /^ok / { for (i = 0; i < n; i++) print $$2, f[i]; n = 0 }'); \
	if [ -z "$$targets" ]; then echo "fuzz: no fuzz targets found"; exit 0; fi; \
	while read -r pkg fn; do \
		echo "fuzz: $$pkg $$fn for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$fn\$$" -fuzztime=$(FUZZTIME) "$$pkg" </dev/null; \
	done <<<"$$targets"

contract: ## check the warehouse and the command line against ../shared/DESIGN.md
	url="$$(scripts/ensure-postgres.sh)"; rest="$${url#*://}"; \
	PG="$${url%%://*}://$${rest%%[/?]*}" bash ../shared/acceptance/contract.sh

clean: ## remove bin/, stop the throwaway Postgres, remove .cache/
	rm -rf bin
	scripts/stop-postgres.sh
	rm -rf .cache
