"""axspa.slicer.samples: sample-data manifest and its registration with Sample Data."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.request import url2pathname, urlopen

import pytest

from axspa.image import InputError
from axspa.slicer import samples


def _write(folder: Path, name: str, data: bytes) -> str:
    (folder / name).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def test_missing_folder_or_manifest_means_no_samples(tmp_path):
    assert samples.read_sample_manifest(None) == []
    assert samples.read_sample_manifest(tmp_path) == []
    assert samples.read_sample_manifest(tmp_path / "absent") == []


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
    [spine] = samples.read_sample_manifest(tmp_path, module="AxSpAScoring")
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
    [hip_source] = samples.read_sample_manifest(tmp_path, module="HipInflammation")
    assert hip_source.checksum == f"SHA256:{hip}" and hip_source.node_name == "hip"
    assert len(samples.read_sample_manifest(tmp_path)) == 2  # the absent file is skipped


@pytest.mark.parametrize("text, problem", [
    ("{not json", "not a readable JSON"),
    ('{"files": []}', "'samples' list"),
    ('{"samples": [{"file": "a.dcm"}]}', "'name' and 'file'"),
])
def test_bad_manifest_names_the_file_and_problem(tmp_path, text, problem):
    (tmp_path / "manifest.json").write_text(text)
    with pytest.raises(InputError) as raised:
        samples.read_sample_manifest(tmp_path)
    assert str(tmp_path / "manifest.json") in str(raised.value) and problem in str(raised.value)


def test_bad_checksum_in_manifest_is_reported(tmp_path):
    _write(tmp_path, "a.dcm", b"x")
    (tmp_path / "manifest.json").write_text(json.dumps({"samples": [
        {"name": "A", "file": "a.dcm", "sha256": "abc"}]}))
    with pytest.raises(InputError, match="64 hex"):
        samples.read_sample_manifest(tmp_path)


def test_resources_found_installed_or_in_source_tree(tmp_path):
    installed = tmp_path / "qt-scripted-modules"
    (installed / "Resources" / "SampleData").mkdir(parents=True)
    assert samples.find_resources_dir(installed / "AxSpAScoring.py", "SampleData") == \
        (installed / "Resources" / "SampleData").resolve()
    source = tmp_path / "repo"
    (source / "AxSpAScoring").mkdir(parents=True)
    (source / "Resources" / "SampleData").mkdir(parents=True)
    assert samples.find_resources_dir(source / "AxSpAScoring" / "AxSpAScoring.py", "SampleData") == \
        (source / "Resources" / "SampleData").resolve()
    assert samples.find_resources_dir(source / "AxSpAScoring" / "AxSpAScoring.py", "Models") is None


def test_sample_registration_uses_load_file_types_where_slicer_takes_it(tmp_path):
    (tmp_path / "h.nrrd").write_bytes(b"h")
    (tmp_path / "manifest.json").write_text(json.dumps({"samples": [{"name": "H", "file": "h.nrrd"}]}))
    [source] = samples.read_sample_manifest(tmp_path)

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
