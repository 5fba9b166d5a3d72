# Two entry points for a fresh machine with only python3 and make:
#   make run   - install into .venv if needed, then start the bot
#   make test  - install into .venv if needed, then ruff, mypy and pytest
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck pytest bench demo lock lock-bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Exact versions come from requirements.lock; the project itself is installed without resolving again.
$(STAMP): $(BIN)/python requirements.lock pyproject.toml testing/pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e . -e testing
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/sopbot run

demo: $(STAMP)
	$(BIN)/sopbot demo

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q

# Benchmarks need the bench-only extra (the peer engine), pinned in requirements-bench.lock and
# installed here only. `make bench` runs them all; `make bench ONLY=press` runs one.
BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP) requirements-bench.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.lock
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench $(ONLY)

# Re-pin every dependency (needs pip-tools); commit the result.
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --allow-unsafe --strip-extras --extra dev --no-header --no-emit-index-url --no-emit-find-links \
		--output-file requirements.lock pyproject.toml

# Re-pin the bench extra on top of requirements.lock (same versions for what both need).
lock-bench: $(BIN)/python
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --allow-unsafe --strip-extras --extra bench --no-header --no-emit-index-url --no-emit-find-links \
		--constraint requirements.lock --output-file requirements-bench.lock pyproject.toml

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
