# Tessera: `make run` serves the product; `make test` runs every check. Both work from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The issuer's identity (public base URL) is stored by `tessera init` on the first run: from
# TESSERA_BASE_URL if you set it, else where `make run` listens (HOST, PORT). See docs/configuration.md.
export HOST PORT

.PHONY: run test lint pytest clean

$(VENV)/.installed: pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

run: $(VENV)/.installed
	$(BIN)/tessera init
	$(BIN)/tessera serve --host $(HOST) --port $(PORT)

test: lint pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

pytest: $(VENV)/.installed
	$(BIN)/pytest

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
