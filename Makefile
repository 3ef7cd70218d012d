# Two commands do all set-up on a fresh machine with Python 3.11:
#   make demo   - score the bundled sample data with the shipped models
#   make test   - run the test suite
# Both create or refresh the local virtual environment .venv first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Slicer 5.8 runs Python 3.9 (with pydicom 2.4): the engine's tests also run there when a 3.9 is found.
PYTHON39 ?= $(firstword $(shell command -v python3.9 >/dev/null 2>&1 && PYENV_VERSION=3.9 python3.9 -c \
	'import sys; print(sys.executable)' 2>/dev/null) $(wildcard $(shell pyenv root 2>/dev/null)/versions/3.9*/bin/python3.9))
VENV39 := .venv39
STAMP39 := $(VENV39)/.installed
OUT ?= out/demo

.PHONY: venv demo test test-py39 lint bench clean spine-models

venv: $(STAMP)

# torch is installed first and pinned to the CPU build that these machines carry on disk;
# any looser spec would pull a multi-GB CUDA build. monai comes after it.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[train,dev,mrml]'
	touch $(STAMP)

$(STAMP39): pyproject.toml Makefile
	$(PYTHON39) -m venv $(VENV39)
	$(VENV39)/bin/python -m pip install -q --upgrade pip
	$(VENV39)/bin/python -m pip install -q -e '.[dev]'
	touch $(STAMP39)

demo: $(STAMP)
	$(VENV)/bin/axspa demo --out $(OUT)

test: $(STAMP)
	$(PY) -m pytest -q -m "not benchmark" Testing
	$(VENV)/bin/ruff check .
	$(MAKE) test-py39

# The engine, I/O, CLI and phantoms under Python 3.9 + pydicom 2 (no slicer-core wheel exists for 3.9,
# so the MRML and module tests skip there; they ran above).
test-py39:
ifeq ($(PYTHON39),)
	@echo "test-py39: no Python 3.9 found; skipped"
else
	$(MAKE) $(STAMP39)
	$(VENV39)/bin/python -m pytest -q -m "not benchmark" -p no:cacheprovider Testing
endif

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) -m pytest -q -m benchmark Testing -s

# Reproduce the shipped spine bundles from generated phantoms, on CPU (times in their model cards):
# training films (seed 101) and a validation set from a held-out generator setting (seed 202, small
# films, more bridges and syndesmophytes). Rerunning resumes from the last checkpoints.
MODELS_OUT ?= out/models
SPINE_DATA := $(MODELS_OUT)/data
spine-models: $(STAMP)
	test -d $(SPINE_DATA)/spine-train || $(VENV)/bin/axspa phantom spine --n 600 --seed 101 --out $(SPINE_DATA)/spine-train
	test -d $(SPINE_DATA)/spine-val || $(VENV)/bin/axspa phantom spine --n 60 --seed 202 --size small \
		--prevalence bridging=0.25 --prevalence syndesmophyte=0.2 --out $(SPINE_DATA)/spine-val
	$(VENV)/bin/axspa train spine-landmarks --data $(SPINE_DATA)/spine-train --val $(SPINE_DATA)/spine-val \
		--out $(MODELS_OUT)/spine-landmarks --steps 1800 --seed 0
	$(VENV)/bin/axspa train spine-corners --data $(SPINE_DATA)/spine-train --val $(SPINE_DATA)/spine-val \
		--out $(MODELS_OUT)/spine-corners --steps 2500 --seed 0

clean:
	rm -rf $(VENV) $(VENV39) out
