# Two commands on a fresh Debian 12 machine:
#   make demo   install everything, load the demo estate and run the platform
#   make test   install everything, lint, then the whole test suite on SQLite and on PostgreSQL
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(VENV)/bin

# Runs its arguments with a fresh data folder in WICKETGATE_DATA_DIR, removed afterwards,
# so a test run never touches ./data.
WITH_DATA_DIR = data_dir=$$(mktemp -d -t wicketgate-data-XXXXXX); \
	trap 'rm -rf "$$data_dir"' EXIT; \
	WICKETGATE_DATA_DIR="$$data_dir"

header = @printf '\n==> %s\n' $(1)

.PHONY: help install demo test test-calendar lint bench bench-policy bench-gateway bench-calls bench-phone bench-library clean

help:
	@echo "make install   Debian packages, .venv and node_modules (scripts/bootstrap.sh)"
	@echo "make demo      install, load the demo estate and start the platform"
	@echo "make test      install, ruff check, pytest on SQLite, on PostgreSQL a year from now, then make test-calendar"
	@echo "make test-calendar  pytest (not slow, not browser) at the next clock changes and 29 February (libfaketime)"
	@echo "make lint      ruff check, ruff format --check, mypy"
	@echo "make bench     audit log, policy engine and web gateway benchmarks (BENCH_ARGS=--quick)"
	@echo "make bench-policy  the policy engine benchmark alone, on SQLite (BENCH_ARGS=--quick)"
	@echo "make bench-gateway the web gateway benchmark alone: Squid, squidGuard, Wicketgate (root; BENCH_ARGS=--quick)"
	@echo "make bench-calls   the video-call benchmark alone: Janus CPU per call, end-call time (root)"
	@echo "make bench-phone   the phone benchmarks alone: calls a second through Kamailio asking Wicketgate against none, sanction to hang-up; rtpengine CPU per call"
	@echo "make bench-library the offline library benchmark alone: pages/s from kiwix-serve through the gateway against directly (root; BENCH_ARGS=--quick)"
	@echo "make clean     remove .venv, node_modules and data"

install:
	$(call header,"install (scripts/bootstrap.sh)")
	bash scripts/bootstrap.sh

# Janus runs in a network namespace of its own on this machine (ICE never uses loopback).
demo: install
	WICKETGATE_SECURE_COOKIES=0 WICKETGATE_JANUS_NAMESPACE=$${WICKETGATE_JANUS_NAMESPACE-wgjanus} \
		$(BIN)/wicketgate demo

# No test may lean on today's date: the PostgreSQL pass runs a year from now, and the
# suite runs again at the next clock changes and leap day (all but its slow and browser
# tests), each under libfaketime (wicketgate/testing/shifted_clock.py).
SHIFTED_CLOCK = $(BIN)/python -m wicketgate.testing.shifted_clock
CALENDAR_MOMENTS = spring-forward,autumn-back,leap-day

test: install
	$(call header,"ruff check")
	$(BIN)/ruff check wicketgate benchmarks scripts
	$(call header,"pytest on SQLite")
	$(WITH_DATA_DIR) env -u DATABASE_URL $(BIN)/pytest
	$(call header,"pytest on PostgreSQL - a throwaway cluster - a year from now")
	$(WITH_DATA_DIR) $(BIN)/python -m wicketgate.testing.throwaway_postgres -- \
		$(SHIFTED_CLOCK) --at year-on -- $(BIN)/pytest
	$(MAKE) --no-print-directory test-calendar

# The suite but its slow and browser tests, at the next clock changes and leap day.
test-calendar: install
	$(call header,"pytest on SQLite at the next clock changes and 29 February")
	$(SHIFTED_CLOCK) --list
	$(WITH_DATA_DIR) env -u DATABASE_URL $(SHIFTED_CLOCK) --at $(CALENDAR_MOMENTS) -- \
		$(BIN)/pytest -m "not slow and not browser"

# Runs all three and fails at the end, so one run shows every problem.
lint: install
	@status=0; \
	for step in "ruff check wicketgate benchmarks scripts" "ruff format --check wicketgate benchmarks scripts" "mypy wicketgate"; do \
		printf '\n==> %s\n' "$$step"; \
		$(BIN)/$$step || status=1; \
	done; \
	exit $$status

bench: install
	$(BIN)/python benchmarks/audit_log.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/policy_engine.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/gateway.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/calls.py
	$(BIN)/python benchmarks/phone.py
	$(BIN)/python benchmarks/phone_media.py
	$(BIN)/python benchmarks/library.py $(BENCH_ARGS)

bench-calls: install
	$(BIN)/python benchmarks/calls.py $(BENCH_ARGS)

bench-phone: install
	$(BIN)/python benchmarks/phone.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/phone_media.py

bench-library: install
	$(BIN)/python benchmarks/library.py $(BENCH_ARGS)

bench-policy: install
	$(BIN)/python benchmarks/policy_engine.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules data

bench-gateway: install
	$(BIN)/python benchmarks/gateway.py $(BENCH_ARGS)
