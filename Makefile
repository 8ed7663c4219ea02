# AI Safety Alert Exchange — developer commands.
#
#   make demo    run the service on the embedded default (SQLite + filesystem broker) with demo data
#   make test    run the whole test suite (needs local PostgreSQL and Redis)
#   make coverage  the whole suite with line and branch coverage (report in the terminal and var/coverage/)
#   make lint    ruff and mypy
#   make smoke   start the real processes on a throw-away embedded database and probe them
#
# Every target first runs scripts/bootstrap.sh, which creates $(VENV) if it is missing and
# installs the project into it (pip install -e '.[dev]').

VENV ?= .venv
export VENV

PORT ?= 8000
PYTEST_ARGS ?=
# pytest-xdist workers, each with its own test database (test_<name>_gw0, …) and cache database;
# the integration and browser tests stay together on one worker each (`--dist loadgroup`). Three on
# a 2-core machine: the workers wait on browsers, Celery workers and PostgreSQL about half the time
# (7 min 31 s with two, 6 min 26 s with three, docs/benchmarks.md "Test suite").
PYTEST_WORKERS ?= 3
PYTEST_PARALLEL = -n $(PYTEST_WORKERS) --dist loadgroup

.PHONY: help install demo test coverage lint smoke

help:
	@echo "make demo    run the service with demo data on http://127.0.0.1:$(PORT)/ (embedded SQLite + filesystem broker)"
	@echo "make test    run the whole test suite against local PostgreSQL and Redis"
	@echo "make coverage  the whole suite with line and branch coverage (var/coverage/index.html)"
	@echo "make lint    ruff check . and mypy ."
	@echo "make smoke   end-to-end smoke test of gunicorn + Celery on a throw-away embedded database"

install:
	@scripts/bootstrap.sh

demo: install
	@PORT=$(PORT) scripts/demo.sh

# The test database is created by pytest-django (test_<name>); each URL can be overridden from
# the environment, e.g. `DATABASE_URL=postgres://me@db.local/sax make test`.
# PGOPTIONS: the tests' sessions commit without waiting for the WAL flush (libpq reads it; the
# service's own settings are untouched). A test database is thrown away, and a test that restarts
# PostgreSQL stops it cleanly, which flushes; nothing a test asserts depends on the wait.
TEST_ENV = DATABASE_URL="$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/sax}" \
	CELERY_BROKER_URL="$${CELERY_BROKER_URL:-redis://127.0.0.1:6379/14}" \
	REDIS_URL="$${REDIS_URL:-redis://127.0.0.1:6379/13}" \
	PGOPTIONS="$${PGOPTIONS:--c synchronous_commit=off}"

test: install
	$(TEST_ENV) $(VENV)/bin/pytest $(PYTEST_PARALLEL) $(PYTEST_ARGS)

# Not part of .ci/run (which stays fast): run it before and after a refactor and compare the totals.
coverage: install
	$(TEST_ENV) $(VENV)/bin/pytest $(PYTEST_PARALLEL) --cov --cov-report=term --cov-report=html $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .

smoke: install
	scripts/smoke_embedded.sh
