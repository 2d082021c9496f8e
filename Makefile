# The two commands: `make up` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: up test install dev lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

dev: $(VENV)/.installed-dev

up: install
	$(BIN)/lambdaport up

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: dev
	$(BIN)/mypy

pytest: dev
	$(BIN)/python -m pytest -q

test: lint typecheck pytest

bench: dev
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	$(BIN)/python bench/invoke.py

clean:
	rm -rf $(VENV) .lambdaport .mypy_cache .ruff_cache .pytest_cache
