"""Non-finite pixels and voxels, zero or missing spacing (issue 8, classes 2 and 3): never silent. A
radiograph's NaN/Inf pixels are left out of the scaling and shown black with a warning; a STIR volume's
are set to 0 with a warning in the result; a mask with NaN is refused; a volume whose file states no
spacing (NIfTI pixdim 0) is marked unknown, and hip scores and mask volumes, which need mm, refuse it."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from axspa.cli import main
from axspa.image import InputError
from axspa.io import nrrd_format
from axspa.io.radiograph import read_radiograph
from axspa.io.volume import read_volume

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "Resources" / "SampleData"


def _nrrd_radiograph(path: Path, data: np.ndarray) -> Path:
    nrrd_format.write(path, data, {"space dimension": 2, "space directions": [[0.2, 0], [0, 0.2]]})
    return path


def test_one_nan_pixel_does_not_blank_the_radiograph_and_is_reported(tmp_path):
    data = np.linspace(0, 1000, 60 * 40, dtype=np.float32).reshape(60, 40)
    data[10, 10] = np.nan
    data[20, 5] = np.inf
    rad = read_radiograph(_nrrd_radiograph(tmp_path / "x.nrrd", data))
    assert np.isfinite(rad.pixels).all()
    assert rad.pixels.max() == pytest.approx(1.0) and rad.pixels[10, 10] == 0 and rad.pixels[20, 5] == 0
    assert any("2 pixels are not finite" in w for w in rad.warnings)
    with pytest.raises(InputError, match="no pixel holds a finite number"):
        read_radiograph(_nrrd_radiograph(tmp_path / "nan.nrrd", np.full((8, 8), np.nan, np.float32)))


def _volume(path: Path, array: np.ndarray, spacing=(0.8, 0.8, 4.0), pixdim_zero: bool = False) -> Path:
    """A volume file (NRRD keeps NaN; ITK's NIfTI reader already turns NaN into 0); ``pixdim_zero`` for a
    ``.nii`` path sets the NIfTI header's i spacing to 0."""
    import SimpleITK as sitk  # noqa: N813

    image = sitk.GetImageFromArray(array)
    image.SetSpacing(spacing)
    sitk.WriteImage(image, str(path))
    if pixdim_zero:
        raw = bytearray(path.read_bytes())
        raw[76 + 4:76 + 8] = struct.pack("<f", 0.0)  # pixdim[1]: the i spacing
        path.write_bytes(bytes(raw))
    return path


def test_nan_voxels_in_a_stir_volume_are_set_to_zero_with_a_warning(tmp_path):
    array = np.ones((4, 10, 12), np.float32)
    array[2, 3, 3] = np.nan
    volume = read_volume(_volume(tmp_path / "v.nrrd", array))
    assert np.isfinite(volume.array).all() and volume.array[2, 3, 3] == 0
    assert any("1 voxels are not finite" in w and "slice(s) 2" in w for w in volume.warnings)
    assert volume.meta["spacing_known"] is True


def test_pixdim_zero_is_unknown_spacing_and_hip_scores_refuse_it(tmp_path, capsys):
    import SimpleITK as sitk  # noqa: N813

    stir = sitk.ReadImage(str(SAMPLE / "AxSpA-HipSTIR.nrrd"))
    path = tmp_path / "stir.nii"
    sitk.WriteImage(stir, str(path))
    raw = bytearray(path.read_bytes())
    raw[76 + 4:76 + 8] = struct.pack("<f", 0.0)
    path.write_bytes(bytes(raw))
    volume = read_volume(path)
    assert volume.meta["spacing_known"] is False
    assert any("spacing unknown" in w and "pixdim 0" in w for w in volume.warnings)
    assert main(["hip", str(path), "--seg", str(SAMPLE / "AxSpA-HipSTIR.seg.nrrd"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "spacing unknown" in err and str(path) in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("problem, message", [("nan", "NaN or Inf"), ("pixdim", "spacing unknown")])
def test_a_mask_with_nan_or_no_spacing_is_refused_by_agree_masks(problem, message, tmp_path, capsys):
    array = np.zeros((4, 10, 12), np.float32)
    array[1:3, 2:6, 2:6] = 1
    good = _volume(tmp_path / "a.nrrd", array)
    bad_array = array.copy()
    if problem == "nan":
        bad_array[0, 0, 0] = np.nan
    bad = _volume(tmp_path / ("b.nrrd" if problem == "nan" else "b.nii"), bad_array, pixdim_zero=problem == "pixdim")
    assert main(["agree", "masks", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(bad) in err
