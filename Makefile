# ladder's own tasks. `make migration-test` is what a product using ladder runs too.
CARGO ?= cargo
# Servers that `make migration-test` uses when they answer (and skips, saying why, when not).
LADDER_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
LADDER_MYSQL_URL ?= mysql://root@127.0.0.1:3306
SERVERS = --db-if-reachable $(LADDER_POSTGRES_URL) --db-if-reachable $(LADDER_MYSQL_URL)

.PHONY: migration-test migration-accept test lint fmt bench

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

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

fmt:
	$(CARGO) fmt

## ladder against the floor (the same SQL as one plain script) and the peers (psql -f, sqlx
## migrate run when installed) for N = 100 and 1000, on SQLite and the servers that answer,
## plus the dump and snapshot of 100,000 rows; prints times, ratios and peak memory, measured
## in one run, and writes them to target/bench.md.
bench:
	$(CARGO) build --release --quiet --bin ladder
	./target/release/ladder bench run --n 100,1000 --db sqlite $(SERVERS) --markdown target/bench.md
