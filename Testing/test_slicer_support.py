"""axspa.slicer_support: sample-data manifest and package installation."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
from pathlib import Path
from types import SimpleNamespace
from urllib.request import url2pathname, urlopen

import pytest

from axspa import slicer_support as ss
from axspa.image import InputError
from axspa.jobs import DependencyError

# ------------------------------------------------------------------------------------------ sample data


def _write(folder: Path, name: str, data: bytes) -> str:
    (folder / name).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def test_missing_folder_or_manifest_means_no_samples(tmp_path):
    assert ss.read_sample_manifest(None) == []
    assert ss.read_sample_manifest(tmp_path) == []
    assert ss.read_sample_manifest(tmp_path / "absent") == []


def test_manifest_gives_file_uris_and_checksums(tmp_path):
    digest = _write(tmp_path, "cspine.dcm", b"DICM radiograph bytes")
    hip = _write(tmp_path, "hip.nrrd", b"NRRD0004 hip")
    (tmp_path / "cspine.png").write_bytes(b"png")
    (tmp_path / "manifest.json").write_text(json.dumps({"samples": [
        {"name": "Phantom cervical", "module": "AxSpAScoring", "file": "cspine.dcm", "sha256": digest,
         "node_name": "PhantomC", "thumbnail": "cspine.png", "properties": {"singleFile": True}},
        {"name": "Phantom hip", "module": "HipInflammation", "file": "hip.nrrd"},  # sha256 computed
        {"name": "Not shipped", "module": "AxSpAScoring", "file": "absent.dcm", "sha256": "0" * 64},
    ]}))
    [spine] = ss.read_sample_manifest(tmp_path, module="AxSpAScoring")
    kwargs = spine.register_kwargs()
    assert kwargs["sampleName"] == "Phantom cervical" and kwargs["category"] == "AxSpA"
    assert kwargs["checksums"] == f"SHA256:{digest}" and kwargs["nodeNames"] == "PhantomC"
    assert kwargs["fileNames"] == "cspine.dcm" and kwargs["loadFileType"] == "VolumeFile"
    assert kwargs["thumbnailFileName"] == str(tmp_path / "cspine.png")
    assert kwargs["loadFileProperties"] == {"singleFile": True}
    # The URI is what SampleData downloads from: it must lead back to the very bytes checksummed.
    assert kwargs["uris"].startswith("file://")
    with urlopen(kwargs["uris"]) as f:
        assert hashlib.sha256(f.read()).hexdigest() == digest
    assert Path(url2pathname(kwargs["uris"][len("file://"):])) == (tmp_path / "cspine.dcm").resolve()
    [hip_source] = ss.read_sample_manifest(tmp_path, module="HipInflammation")
    assert hip_source.checksum == f"SHA256:{hip}" and hip_source.node_name == "hip"
    assert len(ss.read_sample_manifest(tmp_path)) == 2  # the absent file is skipped


@pytest.mark.parametrize("text, problem", [
    ("{not json", "not a readable JSON"),
    ('{"files": []}', "'samples' list"),
    ('{"samples": [{"file": "a.dcm"}]}', "'name' and 'file'"),
])
def test_bad_manifest_names_the_file_and_problem(tmp_path, text, problem):
    (tmp_path / "manifest.json").write_text(text)
    with pytest.raises(InputError) as raised:
        ss.read_sample_manifest(tmp_path)
    assert str(tmp_path / "manifest.json") in str(raised.value) and problem in str(raised.value)


def test_bad_checksum_in_manifest_is_reported(tmp_path):
    _write(tmp_path, "a.dcm", b"x")
    (tmp_path / "manifest.json").write_text(json.dumps({"samples": [
        {"name": "A", "file": "a.dcm", "sha256": "abc"}]}))
    with pytest.raises(InputError, match="64 hex"):
        ss.read_sample_manifest(tmp_path)


def test_resources_found_installed_or_in_source_tree(tmp_path):
    installed = tmp_path / "qt-scripted-modules"
    (installed / "Resources" / "SampleData").mkdir(parents=True)
    assert ss.find_resources_dir(installed / "AxSpAScoring.py", "SampleData") == \
        (installed / "Resources" / "SampleData").resolve()
    source = tmp_path / "repo"
    (source / "AxSpAScoring").mkdir(parents=True)
    (source / "Resources" / "SampleData").mkdir(parents=True)
    assert ss.find_resources_dir(source / "AxSpAScoring" / "AxSpAScoring.py", "SampleData") == \
        (source / "Resources" / "SampleData").resolve()
    assert ss.find_resources_dir(source / "AxSpAScoring" / "AxSpAScoring.py", "Models") is None


# --------------------------------------------------------------------------------------------- packages

def _versions(**installed):
    def version_of(name):
        if name not in installed:
            raise importlib.metadata.PackageNotFoundError(name)
        return installed[name]
    return version_of


def test_missing_requirements_compares_versions():
    version_of = _versions(monai="1.3.2", numpy="1.26.4", pydicom="2.4.0+local")
    reqs = ["monai>=1.3", "numpy>=2.0", "pydicom>=2.4", "pylibjpeg-openjpeg>=2.0", "scipy"]
    assert ss.missing_requirements(reqs, version_of) == ["numpy>=2.0", "pylibjpeg-openjpeg>=2.0", "scipy"]
    with pytest.raises(ValueError):
        ss.missing_requirements(["??"], version_of)


def test_nothing_missing_asks_nothing():
    def fail(*args, **kwargs):
        raise AssertionError("must not be called")
    assert ss.ensure_packages(["monai>=1.3"], confirm=fail, install=fail,
                              version_of=_versions(monai="1.4.0")) == []


def test_declined_installation_installs_nothing():
    asked, installed = [], []
    with pytest.raises(DependencyError, match="declined"):
        ss.ensure_packages(["monai>=1.3"], confirm=lambda q: asked.append(q) or False,
                           install=installed.append, version_of=_versions())
    assert "monai>=1.3" in asked[0] and installed == []


def test_accepted_installation_installs_only_what_is_missing():
    installed = []
    have = {"numpy": "2.0"}

    def install(what):
        installed.append(what)
        have["monai"] = "1.4.0"

    done = ss.ensure_packages(["monai>=1.3", "numpy"], confirm=lambda q: True, install=install,
                              version_of=lambda name: _versions(**have)(name))
    assert done == ["monai>=1.3"] and installed == ["monai>=1.3"]


@pytest.mark.parametrize("through", ["pip_ensure", "pip_install"])
def test_an_installation_that_installed_nothing_is_not_reported_as_success(through):
    """Slicer 5.12's pip_ensure returns without installing in testing mode (issue 8, item 15)."""
    pytest.importorskip("packaging")
    quiet = {"pip_ensure": dict(confirm=None, install=None, pip_ensure=lambda requirements, requester=None: None),
             "pip_install": dict(confirm=lambda q: True, install=lambda what: None)}[through]
    with pytest.raises(DependencyError, match="still not installed"):
        ss.ensure_packages(["monai>=1.3"], version_of=_versions(), **quiet)


def test_sample_registration_uses_load_file_types_where_slicer_takes_it(tmp_path):
    (tmp_path / "h.nrrd").write_bytes(b"h")
    (tmp_path / "manifest.json").write_text(json.dumps({"samples": [{"name": "H", "file": "h.nrrd"}]}))
    [source] = ss.read_sample_manifest(tmp_path)

    def newer(category="Custom", sampleName=None, uris=None, fileNames=None, nodeNames=None,  # noqa: N803
              customDownloader=None, thumbnailFileName=None, loadFileTypes=None, loadFiles=None,  # noqa: N803
              loadFileProperties=None, checksums=None, loadFileType=None):  # noqa: N803
        pass

    def older(category="Custom", sampleName=None, uris=None, fileNames=None, nodeNames=None,  # noqa: N803
              customDownloader=None, thumbnailFileName=None, loadFileType="VolumeFile", loadFiles=None,  # noqa: N803
              loadFileProperties=None, checksums=None):  # noqa: N803
        pass

    assert source.register_kwargs(newer)["loadFileTypes"] == "VolumeFile"
    assert "loadFileType" not in source.register_kwargs(newer)
    assert source.register_kwargs(older)["loadFileType"] == "VolumeFile"


def test_slicer_pip_ensure_is_preferred_and_its_refusal_reported():
    pytest.importorskip("packaging")
    calls = []

    have: dict = {}

    def pip_ensure(requirements, requester=None):
        calls.append(([str(r) for r in requirements], requester))
        have["monai"] = "1.4.0"

    ss.ensure_packages(["monai>=1.3"], confirm=None, install=None, pip_ensure=pip_ensure,
                       requester="Hip Inflammation", version_of=lambda name: _versions(**have)(name))
    assert calls == [(["monai>=1.3"], "Hip Inflammation")]

    def refuse(requirements, requester=None):
        raise RuntimeError("User declined")
    with pytest.raises(DependencyError, match="declined"):
        ss.ensure_packages(["monai>=1.3"], confirm=None, install=None, pip_ensure=refuse,
                           version_of=_versions())


def test_find_pip_ensure_looks_where_slicer_keeps_it():
    def pip_ensure(*a, **k):
        return None
    newer = SimpleNamespace(__name__="fake_slicer", packaging=SimpleNamespace(pip_ensure=pip_ensure))
    assert ss.find_pip_ensure(newer) is pip_ensure
    older = SimpleNamespace(__name__="fake_slicer", util=SimpleNamespace(pip_install=print))
    assert ss.find_pip_ensure(older) is None


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
    ss.ensure_torch(lambda: utils)
    assert _FakeTorchLogic.calls == []  # installed: nothing asked
    _FakeTorchLogic.installed, _FakeTorchLogic.answer = False, object()
    ss.ensure_torch(lambda: utils)
    assert _FakeTorchLogic.calls == [(True, ss.TORCH_REQUIREMENT)]
    _FakeTorchLogic.answer = None  # the user declined
    with pytest.raises(DependencyError, match="not installed"):
        ss.ensure_torch(lambda: utils)


def test_missing_pytorch_extension_says_where_to_get_it():
    def no_extension():
        raise ModuleNotFoundError("No module named 'PyTorchUtils'")
    with pytest.raises(DependencyError, match="Extensions Manager"):
        ss.ensure_torch(no_extension)


def test_model_dependencies_checked_bundle_first_then_asked_for(tmp_path, monkeypatch, no_shipped_models):
    from axspa.bundles import ModelMissingError

    monkeypatch.setenv("AXSPA_MODELS", str(tmp_path))
    asked = []
    slicer = SimpleNamespace(__name__="slicer", util=SimpleNamespace(
        confirmOkCancelDisplay=lambda q: asked.append(q) or False, pip_install=lambda r: asked.append(r)))
    # No bundle: nothing is asked and nothing installed (no point installing torch for a missing model).
    with pytest.raises(ModelMissingError, match="hip-segmenter"):
        ss.ensure_model_dependencies(slicer, ("hip-segmenter",), "Hip Inflammation")
    assert asked == []


def test_model_dependencies_look_in_the_chosen_model_folder(tmp_path, monkeypatch, no_shipped_models):
    from axspa.bundles import ModelMissingError

    monkeypatch.setenv("AXSPA_MODELS", str(tmp_path / "installed"))
    (tmp_path / "mine" / "spine-corners").mkdir(parents=True)
    (tmp_path / "mine" / "spine-corners" / "bundle.json").write_text("{}")
    slicer = SimpleNamespace(__name__="slicer", util=SimpleNamespace())
    with pytest.raises(ModelMissingError, match="installed"):
        ss.ensure_model_dependencies(slicer, ("spine-corners",), "AxSpA Scoring")
    # Found in the chosen folder: the check goes on to torch (no PyTorch extension here).
    with pytest.raises(DependencyError, match="PyTorch"):
        ss.ensure_model_dependencies(slicer, ("spine-corners",), "AxSpA Scoring", tmp_path / "mine")


# ------------------------------------------------------------------------------------------ bundle code

def test_bundle_code_is_loaded_only_after_the_user_agrees():
    from axspa.bundles import BundleCodeError

    loads, questions = [], []

    def load(trust):
        loads.append(trust)
        if not trust:
            raise BundleCodeError("model bundle 'x' in /m: predictor lab:Net is not part of axspa; loading it "
                                  "would run the bundle's code (pass --trust-bundle-code to allow)")
        return "model"

    trusted = set()
    with pytest.raises(BundleCodeError, match="chose not to run its code"):
        ss.load_trusting(load, lambda reason: questions.append(reason) or False, trusted, "/m")
    assert loads == [False] and trusted == set()
    assert questions == ["model bundle 'x' in /m: predictor lab:Net is not part of axspa; loading it would "
                         "run the bundle's code"]
    assert ss.load_trusting(load, lambda reason: True, trusted, "/m") == "model"
    assert loads == [False, False, True] and trusted == {"/m"}
    # Trusted once: not asked again for the same folder.
    assert ss.load_trusting(load, lambda reason: pytest.fail("asked twice"), trusted, "/m") == "model"
    # A bundle that runs no foreign code loads without a question.
    assert ss.load_trusting(lambda trust: "safe", lambda reason: pytest.fail("asked"), set()) == "safe"


def test_gui_binding_returns_the_tag_disconnect_needs():
    from types import SimpleNamespace

    from axspa.slicer_support import connect_parameters_to_gui

    class Widget:
        def __init__(self, name):
            self.name = name

        def property(self, key):
            return self.name if key == "SlicerParameterName" else None

    class Node:
        def connectParametersToGui(self, mapping):
            self.mapping = mapping
            return 7

    node = Node()
    ui = SimpleNamespace(a=Widget("inputVolume"), b=Widget(None), label="not a widget")
    assert connect_parameters_to_gui(node, ui) == 7
    assert list(node.mapping) == ["inputVolume"]


def test_forget_modules_removes_the_packages_and_their_submodules_only():
    modules = {"AxSpAScoringLib": 1, "AxSpAScoringLib.panel": 2, "AxSpAScoringLibrary": 3, "axspa": 4,
               "axspa.jobs": 5, "axspa_other": 6, "HipInflammationLib.panel": 7}
    removed = ss.forget_modules(("AxSpAScoringLib", "axspa"), modules)
    assert sorted(removed) == ["AxSpAScoringLib", "AxSpAScoringLib.panel", "axspa", "axspa.jobs"]
    assert modules == {"AxSpAScoringLibrary": 3, "axspa_other": 6, "HipInflammationLib.panel": 7}
