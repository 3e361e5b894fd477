# tidewatch: the two commands are `make demo` and `make test`; both install what is missing.
SHELL := /bin/bash
GO ?= go
BIN := bin
# Debian packages the project needs at run and test time (Jupyter, pandas, matplotlib and
# clickhouse-driver for the notebooks, under /usr/bin/python3).
APT_PACKAGES := clickhouse-server clickhouse-client zookeeper chromium \
	jupyter-notebook jupyter-nbconvert jupyter-client python3-nbconvert python3-nbformat \
	python3-ipykernel python3-pandas python3-matplotlib python3-clickhouse-driver
# The commands those packages provide; a missing one triggers the install.
NEEDED_COMMANDS := clickhouse-server clickhouse-client chromium jupyter-nbconvert
TEST_TIMEOUT ?= 40m

.PHONY: all deps build demo test fuzz test-short soak bench vet clean

all: build

# deps installs the Debian packages above when any of them, or any of their commands, is
# missing: one `apt-get update`, then one `apt-get install -y`.
deps:
	@missing=""; for c in $(NEEDED_COMMANDS); do \
	  command -v $$c >/dev/null 2>&1 || [ -x /usr/sbin/$$c ] || [ -x /usr/bin/$$c ] || missing="$$missing $$c"; \
	done; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "deps: missing:$$missing; installing $(APT_PACKAGES)"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y $(APT_PACKAGES); \
	else echo "deps: all present"; fi
	@command -v $(GO) >/dev/null || { echo "deps: Go 1.26 is required (https://go.dev/dl/)"; exit 1; }

build:
	$(GO) build -buildvcs=auto -o $(BIN)/tidewatch ./cmd/tidewatch
	$(GO) build -buildvcs=auto -o $(BIN)/tgsim ./cmd/tgsim

# demo runs the main job end to end on the simulated world.
demo: deps build
	./scripts/demo.sh

test: deps
	$(GO) vet ./...
	$(GO) test -timeout $(TEST_TIMEOUT) ./...
	$(MAKE) fuzz FUZZTIME=$(TEST_FUZZTIME)

# fuzz runs every fuzz target for FUZZTIME each, one at a time (go test -fuzz takes one
# target per run). make test runs them for TEST_FUZZTIME: 14 targets, each 3s plus its instrumented build.
FUZZTIME ?= 30s
TEST_FUZZTIME ?= 3s
FUZZ_TARGETS := \
	./links:FuzzNormalize ./links:FuzzExtract ./links:FuzzParseSeed ./links:FuzzExtractHandles \
	./cmd/tidewatch/internal/config:FuzzLoad \
	./collector/importer:FuzzCSVReader ./collector/importer:FuzzParseCount ./collector/importer:FuzzEachBadJSONString \
	./collector/importer/crowdtangle:FuzzParse ./collector/importer/tgexport:FuzzParse \
	./collector/importer/twitterv2:FuzzParse ./collector/importer/twitterio:FuzzParse \
	./collector/importer/csvlayout:FuzzParse ./links/accountlink:FuzzParseAccountRef
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
	  echo "fuzz $${t%%:*} $${t##*:} for $(FUZZTIME)"; \
	  $(GO) test $${t%%:*} -run '^$$' -fuzz "^$${t##*:}$$" -fuzztime $(FUZZTIME); \
	done

# soak runs the fault scenarios of e2e/soak (ClickHouse killed, the collector killed, Telegram
# faults, the spool disk full; RELIABILITY.md has the results) and repeats the short kill tests.
SOAK_COUNT ?= 5
soak: deps
	$(GO) test -run '^$$' -bench Soak -benchtime 1x -timeout 90m -v ./e2e/soak/
	$(GO) test -count=$(SOAK_COUNT) -timeout 120m -run 'KillRestart|SurvivesKills' -v ./collector/collect/ ./schema/store/

test-short:
	$(GO) test -short ./...

bench: deps
	$(GO) test -run '^$$' -bench . -benchtime 1x ./...

clean:
	rm -rf $(BIN)
