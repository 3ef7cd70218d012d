"""`make test-slicer-python` runs the module and engine tests in environments that hold only what 3D Slicer 5.8's
own Python bundles (at its pinned versions), plus pytest, this package and, for MRML, the slicer-core wheel. This
checks that such an environment really is that bare: were jsonschema, pynrrd, tqdm or matplotlib installed there,
the other tests could pass while the modules fail in a stock Slicer. The Makefile sets AXSPA_SLICER_PYTHON=1 there;
elsewhere (the development environment, which has them all) this is skipped."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import re
import sys

import pytest

pytestmark = pytest.mark.skipif(os.environ.get("AXSPA_SLICER_PYTHON") != "1",
                                reason="runs in the Slicer-like environments of make test-slicer-python only")

# Packages the modules must do without in a stock Slicer: the engine guards each (or the module installs it
# after asking, as for torch and MONAI).
NOT_IN_SLICER = ("jsonschema", "nrrd", "tqdm", "matplotlib", "torch", "monai", "nibabel", "slicerio", "dask",
                 "pylibjpeg")
# What Slicer 5.8 bundles (SuperBuild/External_python-*.cmake) and the Makefile pins, import name: version prefix.
SLICER_PINS = {"numpy": "1.26.", "scipy": "1.13.", "SimpleITK": "2.3.", "pydicom": "2.4.", "PIL": "10.",
               "requests": "2.32."}
# Every distribution allowed in the environment: Slicer's packages and their requirements, the test runner and
# its requirements, the installer, this package, and the MRML wheels (slicer-core and its VTK).
ALLOWED = {"numpy", "scipy", "simpleitk", "pydicom", "pillow", "requests", "certifi", "idna", "charset-normalizer",
           "urllib3", "packaging", "pytest", "pluggy", "iniconfig", "exceptiongroup", "tomli", "pygments",
           "typing-extensions", "pip", "setuptools", "wheel", "axspa", "slicer-core", "vtk"}


@pytest.mark.parametrize("name", NOT_IN_SLICER)
def test_a_package_slicer_lacks_is_not_importable(name):
    assert importlib.util.find_spec(name) is None, f"{name} is installed: this is not Slicer's Python as shipped"


@pytest.mark.parametrize("name, version", SLICER_PINS.items())
def test_slicers_packages_are_at_its_versions(name, version):
    module = importlib.import_module(name)
    assert module.__version__.startswith(version), (name, module.__version__)


def test_nothing_else_is_installed():
    installed = {re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower() for d in importlib.metadata.distributions()}
    assert installed - ALLOWED == set()
    if sys.version_info[:2] == (3, 9):  # the engine's environment: Slicer 5.8's Python version, no MRML wheel
        assert "slicer-core" not in installed
    else:  # the MRML environment: slicer-core exists for Python 3.10 and later only
        assert "slicer-core" in installed
