"""axspa.slicer.packages: package installs (asked first; torch only through the PyTorch extension)."""

from __future__ import annotations

import importlib.metadata
from types import SimpleNamespace

import pytest

from axspa.jobs import DependencyError
from axspa.slicer import packages


def _versions(**installed):
    def version_of(name):
        if name not in installed:
            raise importlib.metadata.PackageNotFoundError(name)
        return installed[name]
    return version_of


def test_missing_requirements_compares_versions():
    version_of = _versions(monai="1.3.2", numpy="1.26.4", pydicom="2.4.0+local")
    reqs = ["monai>=1.3", "numpy>=2.0", "pydicom>=2.4", "pylibjpeg-openjpeg>=2.0", "scipy"]
    assert packages.missing_requirements(reqs, version_of) == ["numpy>=2.0", "pylibjpeg-openjpeg>=2.0", "scipy"]
    with pytest.raises(ValueError):
        packages.missing_requirements(["??"], version_of)


def test_nothing_missing_asks_nothing():
    def fail(*args, **kwargs):
        raise AssertionError("must not be called")
    assert packages.ensure_packages(["monai>=1.3"], confirm=fail, install=fail,
                              version_of=_versions(monai="1.4.0")) == []


def test_declined_installation_installs_nothing():
    asked, installed = [], []
    with pytest.raises(DependencyError, match="declined"):
        packages.ensure_packages(["monai>=1.3"], confirm=lambda q: asked.append(q) or False,
                           install=installed.append, version_of=_versions())
    assert "monai>=1.3" in asked[0] and installed == []


def test_accepted_installation_installs_only_what_is_missing():
    installed = []
    have = {"numpy": "2.0"}

    def install(what):
        installed.append(what)
        have["monai"] = "1.4.0"

    done = packages.ensure_packages(["monai>=1.3", "numpy"], confirm=lambda q: True, install=install,
                              version_of=lambda name: _versions(**have)(name))
    assert done == ["monai>=1.3"] and installed == ["monai>=1.3"]


@pytest.mark.parametrize("through", ["pip_ensure", "pip_install"])
def test_an_installation_that_installed_nothing_is_not_reported_as_success(through):
    """Slicer 5.12's pip_ensure returns without installing in testing mode (issue 8, item 15)."""
    pytest.importorskip("packaging")
    quiet = {"pip_ensure": dict(confirm=None, install=None, pip_ensure=lambda requirements, requester=None: None),
             "pip_install": dict(confirm=lambda q: True, install=lambda what: None)}[through]
    with pytest.raises(DependencyError, match="still not installed"):
        packages.ensure_packages(["monai>=1.3"], version_of=_versions(), **quiet)


def test_slicer_pip_ensure_is_preferred_and_its_refusal_reported():
    pytest.importorskip("packaging")
    calls = []

    have: dict = {}

    def pip_ensure(requirements, requester=None):
        calls.append(([str(r) for r in requirements], requester))
        have["monai"] = "1.4.0"

    packages.ensure_packages(["monai>=1.3"], confirm=None, install=None, pip_ensure=pip_ensure,
                       requester="Hip Inflammation", version_of=lambda name: _versions(**have)(name))
    assert calls == [(["monai>=1.3"], "Hip Inflammation")]

    def refuse(requirements, requester=None):
        raise RuntimeError("User declined")
    with pytest.raises(DependencyError, match="declined"):
        packages.ensure_packages(["monai>=1.3"], confirm=None, install=None, pip_ensure=refuse,
                           version_of=_versions())


def test_find_pip_ensure_looks_where_slicer_keeps_it():
    def pip_ensure(*a, **k):
        return None
    newer = SimpleNamespace(__name__="fake_slicer", packaging=SimpleNamespace(pip_ensure=pip_ensure))
    assert packages.find_pip_ensure(newer) is pip_ensure
    older = SimpleNamespace(__name__="fake_slicer", util=SimpleNamespace(pip_install=print))
    assert packages.find_pip_ensure(older) is None


class _FakeTorchLogic:
    installed = False
    answer = None
    calls: list = []

    @staticmethod
    def torchInstalled():
        return _FakeTorchLogic.installed

    def installTorch(self, askConfirmation=False, torchVersionRequirement=None):
        _FakeTorchLogic.calls.append((askConfirmation, torchVersionRequirement))
        return _FakeTorchLogic.answer


def test_torch_comes_from_the_pytorch_extension_after_asking():
    utils = SimpleNamespace(PyTorchUtilsLogic=_FakeTorchLogic)
    _FakeTorchLogic.calls = []
    _FakeTorchLogic.installed, _FakeTorchLogic.answer = True, None
    packages.ensure_torch(lambda: utils)
    assert _FakeTorchLogic.calls == []  # installed: nothing asked
    _FakeTorchLogic.installed, _FakeTorchLogic.answer = False, object()
    packages.ensure_torch(lambda: utils)
    assert _FakeTorchLogic.calls == [(True, packages.TORCH_REQUIREMENT)]
    _FakeTorchLogic.answer = None  # the user declined
    with pytest.raises(DependencyError, match="not installed"):
        packages.ensure_torch(lambda: utils)


def test_missing_pytorch_extension_says_where_to_get_it():
    def no_extension():
        raise ModuleNotFoundError("No module named 'PyTorchUtils'")
    with pytest.raises(DependencyError, match="Extensions Manager"):
        packages.ensure_torch(no_extension)


def test_model_dependencies_checked_bundle_first_then_asked_for(tmp_path, monkeypatch, no_shipped_models):
    from axspa.bundles import ModelMissingError

    monkeypatch.setenv("AXSPA_MODELS", str(tmp_path))
    asked = []
    slicer = SimpleNamespace(__name__="slicer", util=SimpleNamespace(
        confirmOkCancelDisplay=lambda q: asked.append(q) or False, pip_install=lambda r: asked.append(r)))
    # No bundle: nothing is asked and nothing installed (no point installing torch for a missing model).
    with pytest.raises(ModelMissingError, match="hip-segmenter"):
        packages.ensure_model_dependencies(slicer, ("hip-segmenter",), "Hip Inflammation")
    assert asked == []


def test_model_dependencies_look_in_the_chosen_model_folder(tmp_path, monkeypatch, no_shipped_models):
    from axspa.bundles import ModelMissingError

    monkeypatch.setenv("AXSPA_MODELS", str(tmp_path / "installed"))
    (tmp_path / "mine" / "spine-corners").mkdir(parents=True)
    (tmp_path / "mine" / "spine-corners" / "bundle.json").write_text("{}")
    slicer = SimpleNamespace(__name__="slicer", util=SimpleNamespace())
    with pytest.raises(ModelMissingError, match="installed"):
        packages.ensure_model_dependencies(slicer, ("spine-corners",), "AxSpA Scoring")
    # Found in the chosen folder: the check goes on to torch (no PyTorch extension here).
    with pytest.raises(DependencyError, match="PyTorch"):
        packages.ensure_model_dependencies(slicer, ("spine-corners",), "AxSpA Scoring", tmp_path / "mine")
