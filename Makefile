# rtviz: `make demo` brings the live dashboard up; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Override both to run two checkouts' tests side by side (a database and a Redis db each).
PG_URL ?= postgres://postgres@127.0.0.1:5432/rtviz
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
TEST_ENV := SECRET_KEY=rtviz-tests-only REDIS_URL=$(TEST_REDIS_URL)

.PHONY: setup demo test lint format services browser bench clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# Redis and PostgreSQL: start them where they are installed but not running.
services:
	@command -v redis-server >/dev/null || (apt-get update && apt-get install -y redis-server)
	@redis-cli ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no
	@for i in $$(seq 50); do redis-cli ping >/dev/null 2>&1 && break; sleep 0.1; done; redis-cli ping >/dev/null
	@command -v pg_ctlcluster >/dev/null || (apt-get update && apt-get install -y postgresql)
	@pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | tail -n 1) main start
	@for i in $$(seq 100); do pg_isready -q -h 127.0.0.1 && break; sleep 0.1; done; pg_isready -h 127.0.0.1

# Debian's Chromium, driven by Playwright in the browser tests.
browser:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

demo: setup
	DEBUG=1 $(PY) manage.py demo

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Every test: lint, then the suite on SQLite and on PostgreSQL, then the browser tests on each
# (in their own run: Playwright's sync API leaves an event loop running).
test: setup services browser lint
	$(TEST_ENV) $(PY) -m pytest tests --ignore=tests/e2e
	$(TEST_ENV) DATABASE_URL=$(PG_URL) $(PY) -m pytest tests --ignore=tests/e2e
	$(TEST_ENV) $(PY) -m pytest tests/e2e
	$(TEST_ENV) DATABASE_URL=$(PG_URL) $(PY) -m pytest tests/e2e

# Benchmarks (never part of `make test`): prints tables, writes docs/benchmarks.md (and
# docs/benchmarks-budgets.md: what budgets cost); <= 15 min.
# BENCH_ARGS=--quick runs tiny sizes in a couple of minutes, to check the bench itself.
bench: setup services browser
	$(PY) -m bench $(BENCH_ARGS)
	$(PY) -m bench.budgets $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules staticfiles db.sqlite3* test_db.sqlite3*
