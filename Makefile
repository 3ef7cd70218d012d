# Two commands do all set-up on a fresh machine with Python 3.11:
#   make demo   - score the bundled sample data with the shipped models
#   make test   - run the test suite
# Both create or refresh the local virtual environment .venv first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
OUT ?= out/demo

.PHONY: venv demo test lint bench clean

venv: $(STAMP)

# torch is installed first and pinned to the CPU build that these machines carry on disk;
# any looser spec would pull a multi-GB CUDA build. monai comes after it.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[train,dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/axspa demo --out $(OUT)

test: $(STAMP)
	$(PY) -m pytest -q -m "not benchmark" Testing
	$(VENV)/bin/ruff check .

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) -m pytest -q -m benchmark Testing -s

clean:
	rm -rf $(VENV) out
