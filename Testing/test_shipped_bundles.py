"""Shipped bundles are verified: a bundle that is absent is skipped by the tests that use it, one that is there
but corrupt (a file differing from its sha256 in bundle.json) raises ModelCorruptError and fails them."""

from __future__ import annotations

import shutil

import pytest

from axspa.bundles import ModelCorruptError, ModelMissingError, read_bundle, shipped_models_dir

SHIPPED = ("spine-landmarks", "spine-corners", "hip-segmenter")


@pytest.mark.parametrize("name", SHIPPED)
def test_a_shipped_bundle_is_intact_or_absent(name):
    if not (shipped_models_dir() / name / "bundle.json").is_file():
        pytest.skip(f"{name} is not shipped in this checkout")
    info = read_bundle(name, shipped_models_dir())  # ModelCorruptError (a failure) when a file was changed
    assert info["name"] == name


def test_a_flipped_byte_in_the_weights_is_a_corrupt_bundle_not_a_missing_one(tmp_path):
    source = next((shipped_models_dir() / n for n in ("spine-corners", "spine-landmarks", "hip-segmenter")
                   if (shipped_models_dir() / n / "bundle.json").is_file()), None)
    if source is None:
        pytest.skip("no shipped bundle in this checkout")
    copy = tmp_path / source.name
    shutil.copytree(source, copy)
    assert read_bundle(source.name, tmp_path)["name"] == source.name  # the intact copy reads
    weights = copy / "models" / "model.pt"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(ModelCorruptError, match=r"models/model\.pt has sha256 .*corrupt or modified") as err:
        read_bundle(source.name, tmp_path)
    assert isinstance(err.value, ModelMissingError)  # callers catching the old error keep working
    assert err.value.path == weights


def test_a_listed_file_that_is_gone_is_corrupt_and_a_bundle_that_is_gone_is_missing(tmp_path):
    source = shipped_models_dir() / "spine-corners"
    if not (source / "bundle.json").is_file():
        pytest.skip("spine-corners is not shipped in this checkout")
    shutil.copytree(source, tmp_path / "spine-corners")
    (tmp_path / "spine-corners" / "configs" / "metadata.json").unlink()
    with pytest.raises(ModelCorruptError, match="lacks configs/metadata.json"):
        read_bundle("spine-corners", tmp_path)
    with pytest.raises(ModelMissingError) as err:
        read_bundle("spine-landmarks", tmp_path)
    assert not isinstance(err.value, ModelCorruptError)
