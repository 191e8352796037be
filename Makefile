# The two commands of the README, each doing all set-up itself on a fresh machine:
#   make run    run the main job: the built-in `district` scenario over its default horizon
#   make test   run the whole test suite (what CI runs)
# The interpreter of the virtual environment: the distribution's CPython (/usr/bin/python3)
# when it is 3.11 or newer and can make a venv, else `python3` from PATH. Distributions build
# CPython with profile-guided and link-time optimisation, source builds (pyenv's) usually
# without: the district-year runs about 10% faster on the former (docs/performance.md).
# Choose another with `make PYTHON=...` (after `make clean`: an existing .venv is kept).
SYSTEM_PYTHON := /usr/bin/python3
PYTHON ?= $(shell $(SYSTEM_PYTHON) -c 'import sys, ensurepip, venv; ensurepip.version(); sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && echo $(SYSTEM_PYTHON) || echo python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= runs/district

.PHONY: run test lint bench clean

# The engine's modules compiled at install (gridtwin/_compiled.py, setup.py): editing one makes
# the next `make run` or `make test` rebuild them (else the Python sources run, more slowly).
COMPILED_SRC := $(shell $(PYTHON) -P gridtwin/_compiled.py)

$(STAMP): pyproject.toml setup.py gridtwin/_compiled.py $(COMPILED_SRC)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/gridtwin run district --out $(OUT)

test: $(STAMP)
	$(BIN)/ruff check gridtwin tests benchmarks setup.py
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --durations=10

lint: $(STAMP)
	$(BIN)/ruff check gridtwin tests benchmarks setup.py
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_district.py

clean:
	rm -rf $(VENV) runs .pytest_cache .ruff_cache .hypothesis
