# The two commands of the README:
#   make demo   set up, then run the main job on the embedded procedural data
#   make test   set up, then run lint and the test suite
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup demo test lint bench clean

setup:
	bash scripts/setup.sh

demo: setup
	$(VENV)/bin/pointrecon demo

lint: setup
	$(VENV)/bin/ruff check pointrecon tests benchmarks
	$(VENV)/bin/ruff format --check pointrecon tests benchmarks

test: lint
	$(PY) -m pytest -q -m "not slow"

bench: setup
	$(VENV)/bin/pointrecon bench

clean:
	rm -rf $(VENV) outputs multirun .pytest_cache .ruff_cache
