"""axspa.hip.inputs: what the model assumes of a volume (3-D, coronal, >= 2 slices), the size limit and the
plane of a DICOM orientation."""

from __future__ import annotations

import numpy as np
import pytest

from axspa.hip.inputs import MAX_VOXELS, check_hip_volume, check_size, plane_of_orientation, volume_plane
from axspa.image import InputError, Volume, ijk_to_ras_matrix

# LPS directions (columns i, j, k) as ITK and DICOM state them.
CORONAL = np.array([[1, 0, 0], [0, 0, 1], [0, -1, 0]], float)  # i to L, j down (inferior), k to P
AXIAL = np.eye(3)
SAGITTAL = np.array([[0, 0, 1], [1, 0, 0], [0, -1, 0]], float)


def _volume(direction, shape=(20, 64, 64), path="v.nrrd") -> Volume:
    return Volume(np.zeros(shape, np.float32), ijk_to_ras_matrix((0.8, 0.8, 4.0), (0, 0, 0), direction), path=path)


def test_planes_of_volumes_and_orientations():
    assert volume_plane(_volume(CORONAL)) == "coronal"
    assert volume_plane(_volume(AXIAL)) == "axial"
    assert volume_plane(_volume(SAGITTAL)) == "sagittal"
    assert plane_of_orientation([1, 0, 0, 0, 0, -1]) == "coronal"
    assert plane_of_orientation([1, 0, 0, 0, 1, 0]) == "axial"
    assert plane_of_orientation([0, 1, 0, 0, 0, -1]) == "sagittal"
    assert plane_of_orientation(None) is None and plane_of_orientation([1, 0, 0]) is None


def test_oblique_coronal_passes():
    angle = np.deg2rad(25)
    tilt = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]])
    assert check_hip_volume(_volume(tilt @ CORONAL)) == []


@pytest.mark.parametrize("direction, words", [(AXIAL, "is an axial series (slices stacked superior-inferior)"),
                                              (SAGITTAL, "is a sagittal series (slices stacked right-left)")])
def test_another_plane_is_refused_for_the_model_and_a_warning_for_a_reader_segmentation(direction, words):
    with pytest.raises(InputError, match=r"v.nrrd: " + words.replace("(", r"\(").replace(")", r"\)")):
        check_hip_volume(_volume(direction))
    (warning,) = check_hip_volume(_volume(direction), refuse=False)
    assert words in warning and "coronal" in warning


def test_a_single_slice_is_refused_for_the_model():
    with pytest.raises(InputError, match="v.nrrd: holds a single slice"):
        check_hip_volume(_volume(CORONAL, shape=(1, 64, 64)))
    assert "single slice" in check_hip_volume(_volume(CORONAL, shape=(1, 64, 64)), refuse=False)[0]


@pytest.mark.parametrize("shape", [(64, 64), (20, 1, 64), (20, 64, 1)])
def test_a_2d_image_is_always_refused(shape):
    volume = _volume(CORONAL)
    volume.array = np.zeros(shape, np.float32)
    with pytest.raises(InputError, match="is a 2-D image"):
        check_hip_volume(volume, refuse=False)


def test_size_limit_names_the_limit(tmp_path):
    check_size(tmp_path, MAX_VOXELS)
    with pytest.raises(InputError, match=r"537 million voxels .*at most 134 million voxels, 512 MB"):
        check_size(tmp_path / "big.nrrd", 1024 * 1024 * 512)
