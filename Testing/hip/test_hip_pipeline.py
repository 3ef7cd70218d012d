"""axspa.hip.pipeline: a segmentation placed on the image's grid, or refused with the file's name."""

from __future__ import annotations

import numpy as np
import pytest

from axspa.hip.pipeline import masks_on_grid
from axspa.image import InputError, Volume


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
