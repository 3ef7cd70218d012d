"""What ``axspa hip`` checks of its input before and right after reading it, so that bad input ends in one
line naming the problem (InputError) or a warning in the result, never in a traceback or a model run on
an image it was not made for:

- before reading: the size (refused above MAX_VOXELS, from the headers alone), the slice orientation
  stated by the DICOM files (refused when absent), and, in a folder holding several series, the choice of
  the one coronal STIR-like series (or a listing that says which to choose);
- after reading (``check_hip_volume``): a 3-D volume of at least 2 coronal slices, which the model
  assumes; scoring a reader's segmentation (``--seg``) accepts the others with a warning.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any, Optional

import numpy as np

from axspa.hip.sequence import looks_like_stir
from axspa.image import InputError, Volume

# 128 Mi voxels: 512 MB as the 32-bit floats the engine reads; a 1024 x 1024 x 128 volume. Clinical hip STIR
# series hold 256-512 x 256-512 x 15-40 voxels (under 11 Mi).
MAX_VOXELS = 128 * 1024 * 1024
_TAGS = ["SeriesDescription", "ProtocolName", "SequenceName", "ScanningSequence", "InversionTime",
         "MagneticFieldStrength", "ImageOrientationPatient", "SeriesInstanceUID"]
_PLANES = ("sagittal", "coronal", "axial")  # by the patient axis (x, y, z) the slice normal is closest to
_STACKED = {"sagittal": "right-left", "coronal": "anterior-posterior", "axial": "superior-inferior"}


def hip_series(series: str, series_uid: Optional[str] = None) -> tuple[Optional[str], list[str]]:
    """Checks before reading ``series`` (a DICOM folder or file, or a volume file): the SeriesInstanceUID to
    read (the one given; the coronal STIR-like series of a folder holding several; else None) and notes for
    the result. InputError when it is too large, states no orientation, or several series leave the choice
    open."""
    path = Path(series)
    if path.is_dir():
        return _folder_series(path, series_uid)
    if path.is_file() and not path.name.lower().endswith((".nrrd", ".nhdr", ".nii", ".nii.gz", ".mha", ".mhd")):
        return series_uid, []  # a DICOM file: read_volume reads its series and names the file in errors
    if path.is_file():
        check_size(path, _file_size(path))
    return series_uid, []


def _folder_series(folder: Path, series_uid: Optional[str]) -> tuple[Optional[str], list[str]]:
    from axspa.io.volume import list_series

    found = list_series(folder)
    if series_uid is not None:
        found = [s for s in found if s.uid == series_uid]  # none: read_volume names the UIDs there are
    if len(found) <= 1:
        for info in found:
            _check_dicom_series(folder, info, _first_tags(info))
        return series_uid, []
    tags = {s.uid: _first_tags(s) for s in found}
    chosen = [s for s in found if _is_coronal_stir(tags[s.uid])]
    listing = "; ".join(_describe(s, tags[s.uid]) for s in found)
    if len(chosen) != 1:
        which = "none of them is a" if not chosen else f"{len(chosen)} of them are"
        raise InputError(f"{folder}: holds {len(found)} DICOM series and {which} coronal STIR series; "
                         f"choose one with series_uid (command line: --series-uid UID):\n"
                         + "\n".join("  " + _describe(s, tags[s.uid]) for s in found))
    pick = chosen[0]
    _check_dicom_series(folder, pick, tags[pick.uid])
    return pick.uid, [f"{folder} holds {len(found)} series; scored the coronal STIR series "
                      f"'{pick.description}' ({pick.uid}); another with --series-uid UID. Series: {listing}"]


def _check_dicom_series(folder: Path, info: Any, tags: dict) -> None:
    check_size(folder, (info.rows or 0) * (info.columns or 0) * info.n_files,
               f"{info.n_files} slices of {info.rows} x {info.columns}")
    if tags.get("orientation") is None:
        raise InputError(f"{folder}: series {info.uid} states no ImageOrientationPatient: its slice orientation "
                         f"is unknown (geometry missing), so patient sides and coronal slices cannot be told")


def check_size(path: Path, voxels: int, what: str = "") -> None:
    """InputError naming the limit when ``voxels`` exceeds MAX_VOXELS (checked before any reading)."""
    if voxels > MAX_VOXELS:
        what = f" ({what})" if what else ""
        raise InputError(f"{path}: {voxels / 1e6:.0f} million voxels{what} is more than axspa hip reads "
                         f"(at most {MAX_VOXELS / 1e6:.0f} million voxels, {MAX_VOXELS * 4 // 2**20} MB as 32-bit "
                         f"floats); crop or resample it first (e.g. Crop Volume in Slicer)")


def _file_size(path: Path) -> int:
    """Voxels (times components) a volume file's header states; 0 when the header cannot be read (the
    reader then says why)."""
    import SimpleITK as sitk  # noqa: N813 (the name SimpleITK documents)

    reader = sitk.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
    except RuntimeError:
        return 0
    return int(np.prod(reader.GetSize(), dtype=np.int64)) * int(reader.GetNumberOfComponents())


def _first_tags(info: Any) -> dict:
    """Tags of the first file of a series (SeriesInfo): names, sequence, and the plane of its slices."""
    import pydicom

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(info.files[0], stop_before_pixels=True, specific_tags=_TAGS)

    def text(keyword: str) -> Optional[str]:
        value = ds.get(keyword)
        return None if value in (None, "") else "\\".join(str(v) for v in np.atleast_1d(value))

    return {"series_description": text("SeriesDescription"), "protocol": text("ProtocolName"),
            "sequence": text("SequenceName"), "scanning_sequence": text("ScanningSequence"),
            "inversion_time": text("InversionTime"), "magnetic_field_strength": text("MagneticFieldStrength"),
            "orientation": plane_of_orientation(ds.get("ImageOrientationPatient"))}


def plane_of_orientation(iop: Any) -> Optional[str]:
    """'sagittal', 'coronal' or 'axial' for a DICOM ImageOrientationPatient (row and column cosines), by
    the patient axis its slice normal is closest to; None when absent or not 6 numbers."""
    try:
        values = np.asarray([float(v) for v in iop], dtype=float)
    except (TypeError, ValueError):
        return None
    if values.shape != (6,) or not np.all(np.isfinite(values)):
        return None
    normal = np.cross(values[:3], values[3:])
    return _PLANES[int(np.argmax(np.abs(normal)))] if np.any(normal) else None


def _is_coronal_stir(tags: dict) -> bool:
    return tags.get("orientation") == "coronal" and looks_like_stir(tags)


def _describe(info: Any, tags: dict) -> str:
    stir = "STIR-like" if looks_like_stir(tags) else "not STIR-like"
    return (f"{info.uid} '{info.description}' {tags.get('orientation') or 'orientation unknown'}, "
            f"{info.n_files} slices, {stir}")


def volume_plane(volume: Volume) -> str:
    """The plane of a volume's slices (array axis 0, k) by its normal: 'sagittal', 'coronal' or 'axial'."""
    normal = np.asarray(volume.directions_ras[:, 2], dtype=float)
    return _PLANES[int(np.argmax(np.abs(normal)))]


def check_hip_volume(volume: Volume, refuse: bool = True) -> list[str]:
    """A 3-D coronal volume of at least 2 slices, as the model assumes. A 2-D image is always refused
    (InputError); a single slice or another plane is refused too unless ``refuse`` is False (a reader's
    segmentation is scored on any plane), when the problems are returned as warnings."""
    where = volume.path or "volume"
    shape = tuple(np.shape(volume.array))
    if len(shape) != 3 or min(shape[1:]) < 2:
        raise InputError(f"{where}: is a 2-D image (shape {shape}); axspa hip needs a 3-D coronal STIR series")
    problems = []
    if shape[0] < 2:
        problems.append(f"{where}: holds a single slice; axspa hip needs a coronal series of several slices "
                        f"across the hips (typically 15-40)")
    plane = volume_plane(volume)
    if plane != "coronal":
        article = "an" if plane == "axial" else "a"
        problems.append(f"{where}: is {article} {plane} series (slices stacked {_STACKED[plane]}); axspa hip needs "
                        f"a coronal series (slices stacked anterior-posterior): choose the coronal STIR series")
    if problems and refuse:
        raise InputError(problems[0])
    return problems
