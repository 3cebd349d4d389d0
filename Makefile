# Two commands for a newcomer: `make run` and `make test`. Each sets up .venv first if needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test check bench mutate clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "abm-tui needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/abm-tui

test: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

check: $(STAMP)
	$(BIN)/ruff format --check abm_tui tests
	$(BIN)/ruff check abm_tui tests
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

mutate: $(STAMP)
	$(BIN)/python tests/mutate.py

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
