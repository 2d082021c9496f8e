# The two commands: `make up` and `make test`. Everything else is what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: up test install dev lint typecheck pytest test-deps bench clean

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

test-deps:
	bash scripts/test-deps.sh
	bash scripts/tool-deps.sh

# The tools tier (tests/tools, marker `tools`: SAM CLI, CDK, the Serverless Framework) runs in
# a process of its own beside the rest, its output shown after; either failing fails the run.

# LAMBDAPORT_AWS_CLI_V2: the system's AWS CLI v2 (the venv's `aws` is v1, from PyPI).
pytest: dev test-deps
	@export LAMBDAPORT_AWS_CLI_V2=$${LAMBDAPORT_AWS_CLI_V2:-/usr/bin/aws}; \
	tier_log=$$(mktemp); \
	$(BIN)/python -m pytest -q -m tools tests/tools >"$$tier_log" 2>&1 & tier=$$!; \
	$(BIN)/python -m pytest -q -m "not tools"; suite=$$?; \
	wait $$tier; tier_status=$$?; \
	echo "--- the tools tier (tests/tools)"; cat "$$tier_log"; rm -f "$$tier_log"; \
	[ $$suite -eq 0 ] && [ $$tier_status -eq 0 ]

test: lint typecheck pytest

bench: dev
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	$(BIN)/python bench/invoke.py

clean:
	rm -rf $(VENV) .lambdaport .mypy_cache .ruff_cache .pytest_cache
