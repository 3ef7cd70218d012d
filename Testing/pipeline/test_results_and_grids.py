"""Result documents and the safety rules around writing them; segmentation grids."""

from __future__ import annotations

import numpy as np
import pytest

from axspa.image import InputError, Volume
from axspa.pipeline.hip import masks_on_grid
from axspa.results import InvalidDocumentError, stem_of, validate, write_text_safely


@pytest.mark.parametrize("path, stem", [("a/scan.nii.gz", "scan"), ("x.dcm", "x"), ("IM0001", "IM0001"),
                                        ("case.seg.nrrd", "case"), ("lat.c.spine.png", "lat.c.spine")])
def test_stem_drops_only_the_format_extension(path, stem):
    assert stem_of(path) == stem


def test_a_different_existing_file_is_kept_unless_overwrite(tmp_path):
    path = tmp_path / "r.csv"
    assert write_text_safely(path, "a\n")
    assert write_text_safely(path, "a\n")  # same content: fine
    path.write_text("edited by hand\n")
    assert not write_text_safely(path, "a\n")
    assert path.read_text() == "edited by hand\n"
    assert write_text_safely(path, "a\n", overwrite=True) and path.read_text() == "a\n"
    assert not list(tmp_path.glob("*.part"))


def test_invalid_spine_document_lists_the_problem():
    with pytest.raises(InvalidDocumentError, match="region"):
        validate({"schema": "axspa.spine/1", "region": "thoracic"}, "spine")


def _volume(shape=(10, 20, 30)) -> Volume:
    m = np.diag([0.8, 0.8, 4.0, 1.0])
    m[:3, 3] = [-100, -50, 20]
    return Volume(np.zeros(shape, np.float32), m)


def test_cropped_segmentation_is_placed_back_on_the_image_grid():
    vol = _volume()
    crop = np.zeros((3, 4, 5), bool)
    crop[1, 2, 3] = True
    m = vol.ijk_to_ras.copy()
    m[:3, 3] = vol.ijk_to_ras[:3, :3] @ np.array([6, 7, 2]) + vol.ijk_to_ras[:3, 3]  # offset i=6, j=7, k=2
    placed = masks_on_grid({"Right femoral head": crop}, m, vol)["Right femoral head"]
    assert placed.shape == vol.array.shape
    assert list(zip(*np.nonzero(placed))) == [(3, 9, 9)]


def test_segmentation_on_another_grid_is_refused_with_the_file_name():
    vol = _volume()
    m = vol.ijk_to_ras.copy()
    m[0, 0] = 1.0
    with pytest.raises(InputError, match="reader.seg.nrrd.*resample"):
        masks_on_grid({"Right femoral head": np.zeros((10, 20, 30), bool)}, m, vol, "reader.seg.nrrd")


def test_unknown_segment_name_is_refused():
    vol = _volume()
    with pytest.raises(InputError, match="Femur"):
        masks_on_grid({"Femur": np.zeros((10, 20, 30), bool)}, vol.ijk_to_ras, vol, "x.seg.nrrd")
