# The whole workflow: `make run` and `make test` set up everything on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ARGS ?=

.PHONY: run build test lint format golden bench bench-compare bench-serve clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

venv: $(BIN)/.installed

run: $(BIN)/.installed  ## serve the feeds of seeds/ at http://127.0.0.1:8080/
	$(BIN)/osce-feeds serve $(ARGS)

build: $(BIN)/.installed  ## one build of public/ from seeds/
	$(BIN)/osce-feeds build $(ARGS)

test: $(BIN)/.installed lint  ## lint, type-check and run every test
	$(BIN)/pytest $(ARGS)

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(BIN)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

golden: $(BIN)/.installed  ## regenerate tests/golden/ after a reviewed change of output
	$(BIN)/python -m tests.golden

bench: $(BIN)/.installed  ## the benchmark table of benchmarks/
	$(BIN)/python -m benchmarks.run $(ARGS)

bench-compare: $(BIN)/.installed  ## this tree against a revision, in turn: ARGS="REV [--dir /dev/shm]"
	$(BIN)/python -m benchmarks.compare $(ARGS)

bench-serve: $(BIN)/.installed  ## requests/s and latency of all.atom while pages land (needs wrk)
	$(BIN)/python -m benchmarks.serve $(ARGS)

clean:
	rm -rf $(VENV) public .pytest_cache .mypy_cache .ruff_cache .hypothesis
