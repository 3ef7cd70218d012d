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

.PHONY: venv demo test test-py39 test-slicer-python lint bench clean spine-models hip-models sij-models browser \
	evaluate-models

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
	$(MAKE) test-slicer-python

# The engine, I/O, CLI and phantoms under Python 3.9 + pydicom 2 (no slicer-core wheel exists for 3.9,
# so the MRML and module tests skip there; they ran above).
test-py39:
ifeq ($(PYTHON39),)
	@echo "test-py39: no Python 3.9 found; skipped"
else
	$(MAKE) $(STAMP39)
	$(VENV39)/bin/python -m pytest -q -m "not benchmark" -p no:cacheprovider Testing
endif

# 3D Slicer's own Python as shipped (issue 17): the modules must run with only what it bundles. Slicer 5.8 bundles
# numpy, scipy, SimpleITK, pydicom, Pillow, requests, packaging (and dicomweb-client, GitPython, PyGithub, which
# nothing here uses) and little else: no jsonschema, pynrrd, tqdm, matplotlib. The pins are Slicer 5.8's, for its
# Python 3.9, from its SuperBuild: numpy 1.26.4 (External_python-numpy.cmake), scipy 1.13.1 (External_python-
# scipy.cmake), pydicom 2.4.4 and Pillow 10.3.0 (External_python-dicom-requirements.cmake), requests 2.32.3 with
# certifi 2024.2.2, idna 3.7, charset-normalizer 3.3.2, urllib3 2.2.1 (External_python-requests-requirements.cmake);
# SimpleITK 2.3.1 (Slicer builds its fork's slicer-v2.3.1 tag; the PyPI wheel of that release stands in);
# packaging 24.1 (a 5.8-era release; pytest needs it too).
# Two environments hold those, pytest and this package (pip install --no-deps -e .), nothing else:
# - .venv-slicerpy, on Python 3.9 (Slicer 5.8's), runs the engine tests the modules reach;
# - .venv-slicermrml, on $(PYTHON), adds the slicer-core wheel (the real MRML; it exists for Python >= 3.10 only)
#   and the VTK it names, both --no-deps (VTK's wheel would pull in matplotlib), and runs both modules' Logic and
#   self-tests against a real scene (Testing/slicer_static, Testing/slicer_roof: the roof axspa/slicer; not named Testing/slicer, which
#   would shadow the slicer module on sys.path where slicer-core is absent).
# A module action that reaches a package Slicer lacks fails there with ModuleNotFoundError; under
# AXSPA_SLICER_PYTHON=1, Testing/slicer_static/test_slicer_python_env.py checks that nothing else was installed.
# Each environment is made anew when this file or pyproject.toml changes, so nothing stale stays in it.
SLICER_PINS := numpy==1.26.4 scipy==1.13.1 SimpleITK==2.3.1 pydicom==2.4.4 pillow==10.3.0 requests==2.32.3 \
	certifi==2024.2.2 idna==3.7 charset-normalizer==3.3.2 urllib3==2.2.1 packaging==24.1
VENV_SLICERPY := .venv-slicerpy
VENV_SLICERMRML := .venv-slicermrml
SLICERPY_TESTS := Testing/io Testing/hip Testing/spine Testing/sij Testing/evaluation Testing/batch \
	Testing/test_results.py Testing/test_schema_check.py Testing/test_without_optional_packages.py \
	Testing/test_docs.py Testing/test_jobs.py Testing/test_clinical.py Testing/test_texts.py Testing/slicer_static \
	Testing/slicer_roof/test_samples.py Testing/slicer_roof/test_packages.py Testing/slicer_roof/test_trust.py \
	Testing/slicer_roof/test_parameters.py Testing/slicer_roof/test_reload.py Testing/slicer_roof/test_panel_job.py
SLICERMRML_TESTS := Testing/slicer_static Testing/slicer_roof

$(VENV_SLICERPY)/.installed: pyproject.toml Makefile
	rm -rf $(VENV_SLICERPY)
	$(PYTHON39) -m venv $(VENV_SLICERPY)
	$(VENV_SLICERPY)/bin/python -m pip install -q $(SLICER_PINS) pytest
	$(VENV_SLICERPY)/bin/python -m pip install -q --no-deps -e .
	touch $@

$(VENV_SLICERMRML)/.installed: pyproject.toml Makefile
	rm -rf $(VENV_SLICERMRML)
	$(PYTHON) -m venv $(VENV_SLICERMRML)
	$(VENV_SLICERMRML)/bin/python -m pip install -q $(SLICER_PINS) pytest
	$(VENV_SLICERMRML)/bin/python -m pip install -q --no-deps slicer-core
	$(VENV_SLICERMRML)/bin/python -m pip install -q --no-deps "$$($(VENV_SLICERMRML)/bin/python -c \
		'import importlib.metadata as m; print(next(r for r in m.requires("slicer-core") if r.startswith("vtk")))')"
	$(VENV_SLICERMRML)/bin/python -m pip install -q --no-deps -e .
	touch $@

test-slicer-python: $(VENV_SLICERMRML)/.installed
ifeq ($(PYTHON39),)
	@echo "test-slicer-python: no Python 3.9 found; the engine tests under Slicer's Python version skipped"
else
	$(MAKE) $(VENV_SLICERPY)/.installed
	AXSPA_SLICER_PYTHON=1 $(VENV_SLICERPY)/bin/python -m pytest -q -m "not benchmark" -p no:cacheprovider \
		$(SLICERPY_TESTS)
endif
	AXSPA_SLICER_PYTHON=1 $(VENV_SLICERMRML)/bin/python -m pytest -q -m "not benchmark" -p no:cacheprovider \
		$(SLICERMRML_TESTS)

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

# Reproduce the shipped hip bundle: 240 training cases of the hip phantom generator 3 (seed 101, full size, with the
# confounders real hips have), a validation set from a held-out setting (seed 202, small matrix, 2.2-3 mm pixels)
# and a calibration set (seed 404) on which the lesion decision is fitted after training. Rerunning resumes, and
# says it is done once the bundle is there.
hip-models: $(STAMP)
	test -d $(SPINE_DATA)/hip3-train || $(VENV)/bin/axspa phantom hip --n 240 --seed 101 --out $(SPINE_DATA)/hip3-train
	test -d $(SPINE_DATA)/hip3-val || $(VENV)/bin/axspa phantom hip --n 12 --seed 202 --size small --out $(SPINE_DATA)/hip3-val
	test -d $(SPINE_DATA)/hip3-calibration || $(VENV)/bin/axspa phantom hip --n 30 --seed 404 \
		--out $(SPINE_DATA)/hip3-calibration
	$(VENV)/bin/axspa train hip-segmenter --data $(SPINE_DATA)/hip3-train --val $(SPINE_DATA)/hip3-val \
		--calibration $(SPINE_DATA)/hip3-calibration --out $(MODELS_OUT)/hip-segmenter --seed 0

# Reproduce the shipped sacroiliitis bundle: 1000 AP pelvis phantoms of generator 2 (3-D anatomy projected by a cone
# beam; seed 101, 0.4 mm pixels, no photos: the joints must be marked) and a validation set (seed 202) on which the
# operating points are chosen. The 2-D painter (generator 1) is never trained on: it is the other simulator.
sij-models: $(STAMP)
	test -d $(SPINE_DATA)/sij2-train || $(VENV)/bin/axspa phantom pelvis --n 1000 --seed 101 --size small \
		--photo-fraction 0 --out $(SPINE_DATA)/sij2-train
	test -d $(SPINE_DATA)/sij2-val || $(VENV)/bin/axspa phantom pelvis --n 200 --seed 202 --size small \
		--photo-fraction 0 --out $(SPINE_DATA)/sij2-val
	$(VENV)/bin/axspa train sij-grader --data $(SPINE_DATA)/sij2-train --val $(SPINE_DATA)/sij2-val \
		--out $(MODELS_OUT)/sij-grader --seed 0

# Every figure of the shipped model cards regenerated from nothing (phantoms of the held-out seed, predictions,
# axspa evaluate) and checked against each bundle's docs/evaluation.json: exit 1 on a figure off beyond its
# tolerance or missing. Phantoms are kept in out/evaluate and reused. `--write` (run by hand) rewrites
# evaluation.json and the cards; `--quick` is a smoke test on a few cases.
evaluate-models: $(STAMP)
	$(PY) Utilities/evaluate_models.py

clean:
	rm -rf $(VENV) $(VENV39) $(VENV_SLICERPY) $(VENV_SLICERMRML) out
