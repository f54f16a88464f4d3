# dlquiz: `make run` sets everything up and serves the app; `make test` sets up and runs the whole suite.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PIP_DISABLE_PIP_VERSION_CHECK := 1
HOST ?= 127.0.0.1
PORT ?= 8000

ifeq ($(CI),true)
export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
export REDIS_URL ?= redis://127.0.0.1:6379/0
endif

.PHONY: run test setup deps frontend db content demo worker lint typecheck check-schema check-migrations \
        check-content frontend-check pytest chromium bench clean

## Set-up ---------------------------------------------------------------------------------------------
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch==2.13.0 is pinned in requirements.txt: the CPU build on this disk, never a CUDA download.
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

deps: $(VENV)/.installed

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend/dist/index.html: frontend/node_modules/.installed $(shell find frontend/src frontend/index.html frontend/vite.config.* -type f 2>/dev/null)
	cd frontend && npm run build --silent

frontend: frontend/dist/index.html

db: deps
	$(PY) manage.py migrate --noinput -v 0

content: db
	$(PY) manage.py load_content

demo: content
	$(PY) manage.py demo_user

setup: deps frontend demo

## Serve (embedded default: SQLite + Celery on the filesystem broker, worker with embedded beat) -------
run: setup
	@echo "dlquiz on http://$(HOST):$(PORT)/  (Ctrl-C stops the web server and the workers)"
	@# Two workers: reminders and demonstrations (seconds each, with the embedded beat), and the FSRS
	@# optimisation (minutes on a large log) on its own, so that it never holds up a demonstration.
	@$(VENV)/bin/celery -A dlquiz worker -B -Q celery,demos -n main@%h -l warning --concurrency 1 --pidfile= & \
	 main=$$!; \
	 $(VENV)/bin/celery -A dlquiz worker -Q optimize -n optimize@%h -l warning --concurrency 1 --pidfile= & \
	 optimize=$$!; trap "kill $$main $$optimize 2>/dev/null; wait $$main $$optimize 2>/dev/null" EXIT INT TERM; \
	 $(PY) manage.py runserver --noreload $(HOST):$(PORT)

## Checks and tests -------------------------------------------------------------------------------------
lint: deps
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: deps
	$(VENV)/bin/mypy dlquiz engine

check-migrations: deps
	$(PY) manage.py makemigrations --check --dry-run

check-schema: deps
	$(PY) manage.py spectacular --validate --fail-on-warn --file /dev/null

check-content: deps frontend/node_modules/.installed
	$(PY) manage.py check_content

frontend-check: frontend/node_modules/.installed
	cd frontend && npm run --silent lint && npm run --silent typecheck && npm run --silent test && npm run --silent check:api

chromium:
	@{ command -v chromium >/dev/null && fc-list :lang=zh | grep -q .; } || { \
	  echo "installing Debian's chromium and a Chinese font for the end-to-end tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

pytest: deps frontend chromium
	$(PY) -m pytest

test: deps frontend lint typecheck check-migrations check-schema check-content frontend-check pytest

bench: deps
	$(PY) bench/engine.py
	$(PY) bench/review_loop.py
	$(PY) bench/load.py
	$(PY) bench/sync.py
	$(PY) bench/anki.py
	$(PY) bench/demos_engine.py
	$(PY) bench/demos.py
	$(PY) bench/frontend.py
	$(PY) bench/optimize.py
	$(PY) bench/grading_audit.py

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist data test-artifacts
