# Two commands set everything up on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint install bench serve

install: $(STAMP)

# The suite reads Sift's answers with Sift's own client: its generated protobuf modules, installed without
# the client's dependencies (pandas, grpcio, ...), which the tests never load; the `sift-client` extra pins
# the few those modules import.
SIFT_CLIENT := sift-stack-py==0.25.0

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,sift-client,postgres]"
	$(BIN)/python -m pip install --quiet --no-deps $(SIFT_CLIENT)
	touch $(STAMP)

# Progress per test file as tests pass, then the 15 slowest; PYTEST_ARGS adds pytest options,
# e.g. make test PYTEST_ARGS="tests/mock/test_cli.py -x" or PYTEST_ARGS="-k stateful -v".
test: lint
	$(BIN)/python -m pytest --durations=15 $(PYTEST_ARGS)

# Lint, format and type checks (configured in pyproject.toml), run by `make test` before the suite.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The mock of both Jobs APIs on http://127.0.0.1:4010; options go in ARGS, e.g. make serve ARGS="--token secret".
serve: $(STAMP)
	$(BIN)/jobs-mock serve $(ARGS)

# Side-by-side benchmark against Prism and Mockoon (bench/); never part of `make test`. BENCH_ARGS=--quick for a smoke run.
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)
