# 提质培优管理平台: `make run` serves the portal with demo data, `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

# The development server runs with DEBUG on unless told otherwise (README: settings).
run: export DEBUG ?= 1

.PHONY: run test e2e bench lint venv clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Reinstall only when pyproject.toml changes, so a second `make run` starts at once.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[test,dev]"
	touch $(VENV)/.installed $@

venv: $(VENV)/.installed

run: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_reference_data
	$(PY) manage.py seed_demo
	PY=$(PY) bin/run $(PORT)

test: $(VENV)/.installed-test
	$(VENV)/bin/pytest $(PYTEST_ARGS)

# LibreOffice prints the workbooks in tests/review/test_workbooks_print.py: Carlito has Excel's
# Calibri metrics, so columns print as wide as in Excel; WenQuanYi draws the Chinese text.
PRINT_PACKAGES := libreoffice-calc-nogui poppler-utils fonts-crosextra-carlito fonts-wqy-microhei

# Installs Debian's chromium and LibreOffice (needs root or sudo) and runs only the browser and
# print tests.
e2e: $(VENV)/.installed-test
	@{ command -v chromium && command -v soffice && command -v pdftotext \
		&& fc-list | grep -qi carlito; } >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			chromium $(PRINT_PACKAGES); }
	TIZHI_REQUIRE_BROWSER=1 $(VENV)/bin/pytest -m e2e $(PYTEST_ARGS)

$(VENV)/.installed-bench: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[test,dev,bench]"
	touch $(VENV)/.installed $(VENV)/.installed-test $@

# The national benchmark on PostgreSQL (BENCH_DATABASE, default postgres://postgres@127.0.0.1:5432);
# writes docs/performance.md. See docs/performance.md for what it measures.
bench: $(VENV)/.installed-bench
	$(PY) -m tests.bench.run $(BENCH_ARGS)

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
