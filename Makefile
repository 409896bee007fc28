# ladder's own tasks. `make migration-test` is what a product using ladder runs too.
CARGO ?= cargo
# Servers that `make migration-test` uses when they answer (and skips, saying why, when not).
LADDER_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
LADDER_MYSQL_URL ?= mysql://root@127.0.0.1:3306
SERVERS = --db-if-reachable $(LADDER_POSTGRES_URL) --db-if-reachable $(LADDER_MYSQL_URL)

.PHONY: migration-test migration-accept test test-tools lint fmt bench fuzz

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
test: lint test-tools
	$(CARGO) test --all-targets

## What the report tests run: xmllint (Debian's libxml2-utils) validates the JUnit report,
## headless Chromium renders the HTML one. Installed with apt-get when missing and we are root
## (as in CI); otherwise it says what to install, and those tests print `skipped: …` unless
## LADDER_REQUIRE_TOOLS=1.
TEST_TOOLS = xmllint:libxml2-utils chromium:chromium
test-tools:
	@missing=""; for t in $(TEST_TOOLS); do \
	  command -v "$${t%%:*}" >/dev/null 2>&1 || missing="$$missing $${t#*:}"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "test-tools: missing:$$missing; run: sudo apt-get install$$missing"; exit 0; \
	fi; \
	echo "test-tools: installing$$missing"; \
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq$$missing >/dev/null

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

## ladder against the floor (the same SQL as one plain script) and the peers (psql -f, sqlx
## migrate run when installed) for N = 100 and 1000, on SQLite and the servers that answer,
## plus the dump and snapshot of 100,000 rows; prints times, ratios and peak memory, measured
## in one run, and writes them to target/bench.md.
## sqlx-cli goes into target/tools the first time (a few minutes of compiling), so that the
## comparison with `sqlx migrate run` needs nothing installed by hand.
SQLX_CLI := target/tools/bin/sqlx

bench: $(SQLX_CLI)
	$(CARGO) build --release --quiet --bin ladder
	PATH="$(CURDIR)/target/tools/bin:$$PATH" ./target/release/ladder bench run --n 100,1000 \
		--db sqlite $(SERVERS) --markdown target/bench.md

$(SQLX_CLI):
	$(CARGO) install --quiet --locked --root target/tools sqlx-cli --version 0.9.0 \
		--no-default-features --features rustls,sqlite,postgres,mysql
