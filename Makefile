# ladder's own tasks. `make migration-test` is what a product using ladder runs too.
CARGO ?= cargo

.PHONY: migration-test migration-accept test lint fmt bench

## Run the ladder on the example product (embedded SQLite); fails on any snapshot diff.
migration-test:
	$(CARGO) run --quiet --bin ladder -- run

## Accept the example product's snapshots after reviewing the diff (refused when CI is set).
migration-accept:
	$(CARGO) run --quiet --bin ladder -- run --accept

## The whole test suite: unit tests, integration tests on the real binary, then lint.
test:
	$(CARGO) test --all-targets
	$(MAKE) lint

lint:
	$(CARGO) fmt --check
	$(CARGO) clippy --all-targets -- -D warnings

fmt:
	$(CARGO) fmt

bench:
	@echo "the benchmark is not written yet (issue 6)"; exit 2
