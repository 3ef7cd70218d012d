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

.PHONY: venv demo test test-py39 lint bench clean spine-models hip-models browser

venv: $(STAMP)

# torch is installed first and pinned to the CPU build that these machines carry on disk;
# any looser spec would pull a multi-GB CUDA build. monai comes after it.
$(STAMP): pyproject.toml Makefile
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[train,dev,mrml,cluster]'
	touch $(STAMP)

$(STAMP39): pyproject.toml Makefile
	$(PYTHON39) -m venv $(VENV39)
	$(VENV39)/bin/python -m pip install -q --upgrade pip
	$(VENV39)/bin/python -m pip install -q -e '.[dev]'
	touch $(STAMP39)

demo: $(STAMP)
	$(VENV)/bin/axspa demo --out $(OUT)
	@echo
	@echo "The axspa command is in $(VENV)/bin, not on your PATH: run it as $(VENV)/bin/axspa ..., or type"
	@echo "  source $(VENV)/bin/activate"
	@echo "once in this terminal, then axspa ... (deactivate undoes it). Open $(OUT)/report.html to see the results."

test: $(STAMP) browser
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

# The report's browser test (Testing/report/test_report_browser.py) needs Chromium: installed from the Debian
# packages when this runs as root; otherwise that test is skipped, saying how to install it.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "browser: installing Chromium (apt-get install -y chromium) for the report's browser test"; \
		apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null 2>&1 && \
		apt-get install -y -q chromium >/dev/null 2>&1; } || \
		echo "browser: Chromium could not be installed; the report's browser test will be skipped"; \
	else \
		echo "browser: no Chromium and not root; the report's browser test will be skipped"; \
	fi

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

# Reproduce the shipped hip bundle: 240 training cases (seed 101, full size) and a validation set from a
# held-out generator setting (seed 202, small matrix, 2.2-3 mm pixels). Rerunning resumes.
hip-models: $(STAMP)
	test -d $(SPINE_DATA)/hip-train || $(VENV)/bin/axspa phantom hip --n 240 --seed 101 --out $(SPINE_DATA)/hip-train
	test -d $(SPINE_DATA)/hip-val || $(VENV)/bin/axspa phantom hip --n 12 --seed 202 --size small --out $(SPINE_DATA)/hip-val
	$(VENV)/bin/axspa train hip-segmenter --data $(SPINE_DATA)/hip-train --val $(SPINE_DATA)/hip-val \
		--out $(MODELS_OUT)/hip-segmenter --seed 0

clean:
	rm -rf $(VENV) $(VENV39) out
