# The two set-up commands are `make run` and `make test`; everything else is what they use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := web
NODE_PROVIDER := tests/auth/node_provider/node_modules/.package-lock.json
NODE_SAML_IDP := tests/auth/saml_node_idp/node_modules/.package-lock.json
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: run test install assets translations lint bench bench-national services chromium xmlsec1 \
	pgbouncer

run: install xmlsec1 $(NODE_SAML_IDP)
	$(BIN)/flask db upgrade
	$(BIN)/flask demo
	@echo
	@echo "  Aktørskab is starting: open http://127.0.0.1:$${PORT:-5000}/t/demo/"
	@echo "  Dev inbox (every e-mail the app sends): http://127.0.0.1:$${MAIL_WEB_PORT:-1080}/"
	@echo
	REMINDER_SEND_WINDOW=$${REMINDER_SEND_WINDOW:-always} $(BIN)/honcho start -f Procfile

# The whole suite on PostgreSQL + Redis and on the embedded default (SQLite + Celery's
# SQLAlchemy transport), the two passes at the same time (one core each; tests/both_passes.sh):
# each pass's output when it ends, with its wall and CPU time; fails if either fails.
test: install services $(NODE_PROVIDER) $(NODE_SAML_IDP) chromium xmlsec1 pgbouncer
	$(BIN)/flask translations check
	@$(MAKE) --no-print-directory lint
	@PYTEST=$(BIN)/pytest tests/both_passes.sh

install: $(VENV)/.installed web/static/dkfds/.copied
	@$(BIN)/flask translations compile

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test,dev]"
	@touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# The OpenID-certified Node provider that tests/auth/test_node_provider.py runs against.
$(NODE_PROVIDER): tests/auth/node_provider/package.json tests/auth/node_provider/package-lock.json
	cd tests/auth/node_provider && npm ci --no-audit --no-fund

# The samlify SAML IdP that tests/auth/test_saml_node_idp.py runs against.
$(NODE_SAML_IDP): tests/auth/saml_node_idp/package.json tests/auth/saml_node_idp/package-lock.json
	cd tests/auth/saml_node_idp && npm ci --no-audit --no-fund

# Det Fælles Designsystem's ready CSS, JS and fonts, served as static files.
web/static/dkfds/.copied: node_modules/.package-lock.json
	rm -rf web/static/dkfds && mkdir -p web/static/dkfds
	cp -r node_modules/dkfds/dist/css node_modules/dkfds/dist/js node_modules/dkfds/dist/fonts \
	      node_modules/dkfds/dist/img web/static/dkfds/
	@touch $@

assets: web/static/dkfds/.copied

translations: $(VENV)/.installed
	$(BIN)/flask translations update

# What CI checks before the suite (`make test` runs it).
lint: $(VENV)/.installed
	$(BIN)/ruff check web worker tests bench
	$(BIN)/ruff format --check web worker tests bench

# Benchmarks at municipal scale (bench/README.md): the data is generated once into its own
# database (aktorskab_bench) and reused by every script and every later run.
bench: install services $(VENV)/.bench-installed
	@command -v wrk >/dev/null || { echo "bench/web.py needs wrk: apt-get install wrk"; exit 1; }
	@mkdir -p bench/results
	@set -o pipefail; echo "== bench/redaction.py" && \
	  $(BIN)/python bench/redaction.py --sample 100 | tee bench/results/redaction.txt
	@echo "== bench/web.py" && $(BIN)/python bench/web.py
	@echo "== bench/reminders.py" && $(BIN)/python bench/reminders.py --repeat 3
	@echo "== bench/report.py" && $(BIN)/python bench/report.py --repeat 2
	@echo "== bench/summary.py (the table in bench/README.md)" && $(BIN)/python bench/summary.py

# The country at 1/20 of its size behind HAProxy and PgBouncer (issue 20; bench/README.md), in
# a database of its own, generated once and reused.
NATIONAL_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/bench_national
# The fan-out country (one reminder due per person) for bench/national_reminders.py.
NATIONAL_FANOUT_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/bench_national_fanout
bench-national: install services $(VENV)/.bench-installed
	@for tool in wrk haproxy pgbouncer; do command -v $$tool >/dev/null || [ -x /usr/sbin/$$tool ] || \
	  { echo "bench/national.py needs $$tool: apt-get install $$tool"; exit 1; }; done
	BENCH_DATABASE_URL=$(NATIONAL_DATABASE_URL) $(BIN)/python bench/country.py --scale 0.05
	BENCH_DATABASE_URL=$(NATIONAL_DATABASE_URL) $(BIN)/python bench/national.py --warm 90 --repeat 3
	BENCH_DATABASE_URL=$(NATIONAL_DATABASE_URL) $(BIN)/python bench/national_reports.py
	BENCH_DATABASE_URL=$(NATIONAL_FANOUT_DATABASE_URL) $(BIN)/python bench/country.py --scale 0.05 --fanout
	BENCH_DATABASE_URL=$(NATIONAL_FANOUT_DATABASE_URL) $(BIN)/python bench/national_reminders.py --scale 0.05

$(VENV)/.bench-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test,bench]"
	@touch $@

# The browser tests (tests/e2e) drive Debian's Chromium through Playwright (never
# `playwright install`).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

# SAML signatures and encryption (pysaml2) run Debian's xmlsec1.
xmlsec1:
	@command -v xmlsec1 >/dev/null || { apt-get update -qq && apt-get install -y -qq xmlsec1; }

# Row-level security through PgBouncer's transaction pooling (tests/test_pgbouncer.py) and the
# national stack behind HAProxy (tests/bench/test_national_stack.py) run Debian's pgbouncer and
# haproxy (installed only, never started as services: the tests start their own).
pgbouncer:
	@{ command -v pgbouncer || [ -x /usr/sbin/pgbouncer ]; } >/dev/null && \
	  { command -v haproxy || [ -x /usr/sbin/haproxy ]; } >/dev/null || \
	  { apt-get update -qq && apt-get install -y -qq pgbouncer haproxy; }

# Start PostgreSQL and Redis when they are installed here but not running.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || { \
	  command -v pg_ctlcluster >/dev/null && \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | tail -1) main start; } || { \
	  echo "PostgreSQL is not running: try 'docker compose up -d postgres redis'"; exit 1; }
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || { \
	  command -v redis-server >/dev/null && \
	  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no; } || { \
	  echo "Redis is not running: try 'docker compose up -d postgres redis'"; exit 1; }
	@for i in $$(seq 30); do pg_isready -q -h 127.0.0.1 && redis-cli ping >/dev/null 2>&1 && exit 0; sleep 1; done; \
	  echo "PostgreSQL or Redis did not come up"; exit 1
