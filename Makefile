# Tessera: `make run` serves the product; `make test` runs every check. Both work from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The issuer's identity (public base URL) is stored by `tessera init` on the first run: from
# TESSERA_BASE_URL if you set it, else where `make run` listens (HOST, PORT). See docs/configuration.md.
export HOST PORT

.PHONY: run test lint pytest screenshots clean

# `make run` installs what the service needs; `make test` adds the test toolchain (.[test]).
# Each has its own stamp, redone when pyproject.toml changes; the test install covers both.
$(VENV)/.installed-run: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/tessera init
	$(BIN)/tessera serve --host $(HOST) --port $(PORT)

test: lint pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# Coverage of issuer/ and verifier/, branches included. The floor (pyproject's fail_under)
# counts the PostgreSQL tests: without TESSERA_TEST_POSTGRES_URL the figure is only shown.
COV_ARGS := --cov --cov-report=term $(if $(TESSERA_TEST_POSTGRES_URL),,--cov-fail-under=0)

# In parallel (pytest-xdist): one worker per CPU, each test file whole on one worker so its
# module-scoped fixtures (a built wheel, a browser, a server) are set up once; pytest-cov
# combines the workers' coverage. `make test PYTEST_WORKERS=0` runs in this process alone.
# See docs/decisions/0026-parallel-test-suite.md.
PYTEST_WORKERS ?= auto
XDIST_ARGS := $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile)

pytest: $(VENV)/.installed-test
	$(BIN)/pytest $(XDIST_ARGS) $(COV_ARGS)

# The registrar guide's pictures (docs/images/console-*.png), taken by the console's browser
# tests in Chromium: refresh them after changing a page.
screenshots: $(VENV)/.installed-test
	mkdir -p docs/images
	TESSERA_SCREENSHOTS_DIR=$(CURDIR)/docs/images $(BIN)/pytest -q -m browser tests/console

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
