# rtviz: `make demo` brings the live dashboard up; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Override both to run two checkouts' tests side by side (a database and a Redis db each).
PG_URL ?= postgres://postgres@127.0.0.1:5432/rtviz
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
TEST_ENV := SECRET_KEY=rtviz-tests-only REDIS_URL=$(TEST_REDIS_URL)

.PHONY: setup demo cluster test jstest lint typecheck format services browser nginx bench clean lock

setup: $(VENV)/.installed node_modules/.installed

# The whole dependency tree, pinned with hashes (requirements-dev.lock, made from
# requirements-dev.txt by `make lock`): pip refuses any file whose hash is not listed.
$(VENV)/.installed: requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements-dev.lock
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

# Debian's Chromium, driven by Playwright in the browser tests: the browser and the libraries
# it links, not the desktop around it (avahi, udev, upower, printing... are only recommended).
# fontconfig's own dependency brings a font (DejaVu), which is all the headless pages need.
browser:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y --no-install-recommends chromium)

# The demo starts a redis-server of its own (127.0.0.1 only, stopped with the demo) when none
# answers at REDIS_URL: Debian's, installed here where missing. PORT: where the dashboard listens.
PORT ?= 8000
demo: setup
	@command -v redis-server >/dev/null || ! command -v apt-get >/dev/null \
		|| (apt-get update && apt-get install -y --no-install-recommends redis-server)
	DEBUG=1 $(PY) manage.py demo --port $(PORT)

# Debian's nginx, for `make cluster` and the browser test through it (its own config, not the system's).
nginx:
	@test -x /usr/sbin/nginx || command -v nginx >/dev/null || (apt-get update && apt-get install -y nginx)

# The production shape on this machine: PostgreSQL, Redis, 3 daphne processes behind nginx on
# :8080, DEBUG off (deploy/cluster.py). CLUSTER_DATABASE_URL / CLUSTER_REDIS_URL to point elsewhere.
cluster: setup services nginx
	$(PY) -m deploy.cluster $(CLUSTER_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy with django-stubs (pyproject.toml): its Django plugin loads the settings.
typecheck: setup
	$(TEST_ENV) $(VENV)/bin/mypy

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The page's own modules (url-state, csv, store, ...) under Node's built-in test runner.
# The page's constants come from the server (dashboard.wire), as they do in the page.
jstest: setup
	$(TEST_ENV) DJANGO_SETTINGS_MODULE=rtviz.settings $(PY) -c 'import django; django.setup(); \
		from dashboard.wire import page_constants_json; print(page_constants_json())' > $(VENV)/wire.json
	RTVIZ_WIRE="$$(cat $(VENV)/wire.json)" node --test tests/js/

# Every test: lint and type checks, the JS unit tests, then the suite on SQLite and on
# PostgreSQL, then the browser tests on each (in their own run: Playwright's sync API leaves an
# event loop running).
test: setup services browser nginx lint typecheck jstest
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

# After editing requirements*.txt (the human-edited inputs): re-pin every package, with the
# hashes of all of its files on PyPI, into requirements.lock (production) and
# requirements-dev.lock (make setup). pip-tools lives in a venv of its own, outside the lock.
PIP_COMPILE := .venv-lock/bin/pip-compile --quiet --generate-hashes --strip-extras \
	--no-emit-index-url --no-emit-find-links
lock:
	test -x .venv-lock/bin/pip-compile || ($(PYTHON) -m venv .venv-lock && \
		.venv-lock/bin/pip install --quiet pip-tools==7.6.2)
	$(PIP_COMPILE) --output-file requirements.lock requirements.txt
	$(PIP_COMPILE) --output-file requirements-dev.lock requirements-dev.txt

clean:
	rm -rf $(VENV) .venv-lock node_modules staticfiles db.sqlite3* test_db.sqlite3*
