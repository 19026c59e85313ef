# lyg portal — the two commands are `make run` and `make test`.
#
#   make run     install if needed, find/start PostgreSQL + Redis, bootstrap,
#                start both portals + harvest workers (Ctrl-C stops all)
#   make test    install if needed, bootstrap the test database, run pytest
#                (extra pytest arguments: make test PYTEST_ARGS="-k seed -x")
#   make bench   run every bench/*.py script and print its figures
#   make bootstrap / stop / lint / install / help
#
# Environment: see README.md ("Configuration") or `python -m ckanext.lyg_dev -h`.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    ?= .venv
PY      := $(VENV)/bin/python
PYTHON  ?= $(shell command -v python3.11 || command -v python3)
REQS    := requirements.txt requirements-dev.txt pyproject.toml setup.py
# The install stamp is named after a hash of the files that define the
# environment: editing any of them (or a fresh clone) triggers a reinstall.
REQ_HASH := $(shell cat $(REQS) 2>/dev/null | sha256sum | cut -c1-16)
STAMP   := $(VENV)/.lyg-installed-$(REQ_HASH)

.PHONY: help run test bench bootstrap stop lint install browser

help:
	@sed -n '2,11p' Makefile | sed 's/^# \{0,1\}//'

install: $(STAMP)

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || \
	  { echo "error: Python 3.11 is required (found $$($(PYTHON) --version 2>&1)); set PYTHON=/path/to/python3.11" >&2; exit 2; }
	@command -v pg_config >/dev/null || \
	  { echo "error: pg_config not found: psycopg2 builds against libpq (Debian: apt-get install libpq-dev)" >&2; exit 2; }
	@if [ ! -x $(PY) ]; then echo "==> creating $(VENV)"; $(PYTHON) -m venv $(VENV); fi
	@echo "==> installing dependencies into $(VENV) (first run takes a few minutes)"
	$(PY) -m pip install --disable-pip-version-check --progress-bar off -q --upgrade pip setuptools wheel
	$(PY) -m pip install --disable-pip-version-check --progress-bar off -r requirements.txt -r requirements-dev.txt
	$(PY) -m pip install --disable-pip-version-check --progress-bar off --no-deps -e .
	@rm -f $(VENV)/.lyg-installed-*
	@touch $@
	@echo "==> $(VENV) is ready"

run: $(STAMP)
	@$(PY) -m ckanext.lyg_dev run

bootstrap: $(STAMP)
	@$(PY) -m ckanext.lyg_dev bootstrap

test: $(STAMP) browser
	@$(PY) -m ckanext.lyg_dev test $(PYTEST_ARGS)

bench: $(STAMP)
	@failed=""; for script in bench/[!_]*.py; do \
	  echo "==> $$script"; $(PY) $$script || failed="$$failed $$script"; \
	done; \
	if [ -n "$$failed" ]; then echo "bench scripts that failed:$$failed" >&2; exit 1; fi

stop:
	@$(PY) -m ckanext.lyg_dev stop

lint: $(STAMP)
	$(VENV)/bin/ruff check .

# Headless Chromium for the browser tests: Debian's package (Playwright drives
# it; Playwright's own browser download cannot work here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "==> installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "note: chromium is not installed (apt-get install chromium); browser tests are skipped"; \
	  fi; }
