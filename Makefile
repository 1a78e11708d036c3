# Two commands on a fresh machine: `make run` (dashboard on the demo DB) and `make test`.
# Both create what they need: the virtual env with pinned requirements, the demo database.
# Before a commit: `make check` (lint + the tests not marked slow or browser). CI (.ci/run):
# `make lint drift` then `make test` (everything, browser tests included).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_DB := data/reporting.db
DEMO_URL := sqlite:///$(CURDIR)/$(DEMO_DB)
PORT ?= 8501

.PHONY: run test check bench lint drift demo-db venv browser clean

venv: $(STAMP)

$(STAMP): requirements.txt
	@echo "==> 创建虚拟环境并安装依赖 (creating .venv, installing pinned requirements)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip
	@$(PY) -m pip install --quiet --progress-bar off -r requirements.txt
	@touch $@

demo-db: $(STAMP)
	@if [ -z "$$REPORTING_DB_URL" ] && [ ! -f $(DEMO_DB) ]; then \
	  echo "==> 生成演示数据库 (building the synthetic demo database, a few minutes on first run)"; \
	  rm -f $(DEMO_DB).tmp $(DEMO_DB).tmp-wal $(DEMO_DB).tmp-shm; \
	  $(PY) -m data.demo --scale province --url sqlite:///$(CURDIR)/$(DEMO_DB).tmp && \
	  mv $(DEMO_DB).tmp $(DEMO_DB); \
	fi
	@$(PY) -m data.db upgrade

run: demo-db
	@echo "==> 启动看板 (starting the dashboard)"
	@PORT=$(PORT) bash scripts/serve.sh

browser:
	@bash scripts/install_browser.sh

# Everything, as two pytest runs at once: the browser tests one at a time (each drives a
# Streamlit server and Chromium; two at once on two cores starve each other's timeouts, and
# they wait on the browser half the time), and beside them the tests that need no browser in
# two processes (pytest-xdist, one file per worker so that a module's demo database is
# built once) under `nice`, so that they take the CPU the browser side leaves idle. On
# 2026-12-07: 21 min 40 s for both at once, against 783 s + 723 s = 25 min one after the
# other. The browser run's output follows the other's (artifacts/browser-tests.log).
BROWSER_LOG := artifacts/browser-tests.log
test: $(STAMP) browser
	@mkdir -p artifacts
	@$(PY) -m pytest -m browser $(PYTEST_ARGS) > $(BROWSER_LOG) 2>&1 & browser=$$!; \
	  nice -n 10 $(PY) -m pytest -m "not browser" -n 2 --dist loadfile $(PYTEST_ARGS); \
	  others=$$?; wait $$browser; browsers=$$?; \
	  echo "==> 浏览器测试 (browser tests, $(BROWSER_LOG))"; cat $(BROWSER_LOG); \
	  exit $$(( others != 0 || browsers != 0 ))

# The bench's PostgreSQL side: an admin URL on which it creates dash_bench and dash_bench_xl;
# skipped with a note when nothing answers there. BENCH_ARGS e.g. "--scale province".
BENCH_POSTGRES_DEFAULT := postgresql://postgres@127.0.0.1:5432/postgres
bench: $(STAMP)
	@BENCH_POSTGRES_URL="$${BENCH_POSTGRES_URL:-$${TEST_POSTGRES_URL:-$(BENCH_POSTGRES_DEFAULT)}}" \
	  $(PY) -m bench.run $(BENCH_ARGS)

# Style, then the import contracts of .importlinter (the layers of docs/architecture.md).
lint: $(STAMP)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/lint-imports --no-cache

# The migrations and data/schema.py describe the same schema (fresh SQLite database at head).
drift: $(STAMP)
	@$(PY) -m data.db check

# Lint, then the fast part: every test not marked slow, browser or apptest (markers assigned in
# tests/conftest.py), on SQLite, in two processes (pytest-xdist): 2 min 45 s on this 2-core
# machine. `make test` (and CI) runs everything, PostgreSQL included.
# PYTEST_ARGS passes more, e.g. make check PYTEST_ARGS="-x --durations=20".
check: lint
	@TEST_POSTGRES_URL= $(PY) -m pytest -m "not slow and not browser and not apptest" -n 2 $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) data/cache $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
