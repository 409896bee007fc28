# ladder's own tasks. `make migration-test` is what a product using ladder runs too.
CARGO ?= cargo
# Servers that `make migration-test` uses when they answer (and skips, saying why, when not).
LADDER_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
LADDER_MYSQL_URL ?= mysql://root@127.0.0.1:3306
SERVERS = --db-if-reachable $(LADDER_POSTGRES_URL) --db-if-reachable $(LADDER_MYSQL_URL)

.PHONY: migration-test migration-accept test lint fmt bench fuzz

## Run the ladder on the example product: embedded SQLite always, plus PostgreSQL and
## MariaDB/MySQL when they answer. Fails on any snapshot diff.
migration-test:
	$(CARGO) run --quiet --bin ladder -- run --db sqlite $(SERVERS)

## Accept the example product's snapshots after reviewing the diff (refused when CI is set).
migration-accept:
	$(CARGO) run --quiet --bin ladder -- run --accept --db sqlite $(SERVERS)

## The whole test suite: lint, then unit tests and integration tests on the real binary (the
## server tests use LADDER_POSTGRES_URL / LADDER_MYSQL_URL, default the local servers, and say
## `skipped` when none answers; LADDER_REQUIRE_SERVERS=1 makes that a failure).
test: lint
	$(CARGO) test --all-targets

## Property tests of the file-name parser and the statement splitter with many cases
## (tests/fuzz.rs; `make test` runs 256 per property). FUZZ_CASES bounds the time.
FUZZ_CASES ?= 20000
fuzz:
	PROPTEST_CASES=$(FUZZ_CASES) $(CARGO) test --test fuzz

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

fmt:
	$(CARGO) fmt

bench:
	@echo "the benchmark is not written yet (issue 6)"; exit 2
