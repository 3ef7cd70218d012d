"""Read a 3D volume: a DICOM series (folder or one of its files), NRRD, NIfTI or MetaImage.

Geometry is exactly what SimpleITK reads (for DICOM: ImageSeriesReader with GDCM's file order,
which is what Slicer's DICOM loader agrees with for plain series), converted to IJK-to-RAS.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from axspa.image import InputError, Volume, ijk_to_ras_matrix

_VOLUME_SUFFIXES = (".nrrd", ".nhdr", ".nii", ".nii.gz", ".mha", ".mhd")
_HEADER_TAGS = ["SeriesInstanceUID", "SeriesDescription", "SeriesNumber", "Modality", "Rows", "Columns",
                "SOPClassUID", "NumberOfFrames"]


@dataclass
class SeriesInfo:
    uid: str
    description: str
    modality: str
    n_files: int
    rows: int | None
    columns: int | None
    series_number: int | None = None
    files: list[Path] = field(default_factory=list, repr=False)

    def describe(self) -> str:
        size = f"{self.rows}x{self.columns}" if self.rows else "no image"
        return (f"{self.uid}  #{self.series_number if self.series_number is not None else '-'}  "
                f"{self.modality or '?'}  '{self.description}'  {self.n_files} files  {size}")


def _is_dicom(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(132)
    except OSError:
        return False
    return head[128:132] == b"DICM"


def list_series(folder: str | Path) -> list[SeriesInfo]:
    """DICOM series under ``folder`` (recursively), largest first; non-DICOM files are skipped."""
    import pydicom

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    by_uid: dict[str, SeriesInfo] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if not _is_dicom(path):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=_HEADER_TAGS)
        except Exception:  # a damaged file is not a series; it is reported if it is all there is
            continue
        uid = str(ds.get("SeriesInstanceUID", ""))
        if not uid or ds.get("Rows") is None:  # DICOMDIR, SR, presentation states...
            continue
        info = by_uid.get(uid)
        if info is None:
            info = by_uid[uid] = SeriesInfo(
                uid=uid, description=str(ds.get("SeriesDescription", "") or ""),
                modality=str(ds.get("Modality", "") or ""), n_files=0,
                rows=_int(ds.get("Rows")), columns=_int(ds.get("Columns")),
                series_number=_int(ds.get("SeriesNumber")))
        info.n_files += 1
        info.files.append(path)
    return sorted(by_uid.values(), key=lambda s: (-s.n_files, s.series_number or 0, s.uid))


def read_volume(path: str | Path, series_uid: str | None = None) -> Volume:
    """Read a volume; array [k, j, i] float32 (rescale applied), geometry as IJK-to-RAS."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file or folder not found")
    if path.is_dir():
        return _read_dicom_series(path, _choose_series(path, series_uid))
    name = path.name.lower()
    if name.endswith(_VOLUME_SUFFIXES):
        return _read_sitk_file(path)
    if _is_dicom(path):
        return _read_dicom_file_series(path, series_uid)
    raise InputError(f"{path}: not a volume axspa can read (expected a DICOM folder or file, NRRD, NIfTI "
                     f"or MetaImage)")


def _choose_series(folder: Path, series_uid: str | None) -> SeriesInfo:
    series = list_series(folder)
    if not series:
        raise InputError(f"{folder}: no DICOM image series found in this folder or below")
    if series_uid is not None:
        for s in series:
            if s.uid == series_uid:
                return s
        raise InputError(f"{folder}: no series with SeriesInstanceUID {series_uid}; found:\n"
                         + "\n".join("  " + s.describe() for s in series))
    if len(series) > 1:
        raise InputError(f"{folder}: holds {len(series)} DICOM series; choose one with series_uid "
                         f"(command line: --series UID):\n" + "\n".join("  " + s.describe() for s in series))
    return series[0]


def _read_dicom_file_series(path: Path, series_uid: str | None) -> Volume:
    """One file of a series: read the series it belongs to from the files beside it."""
    import pydicom

    try:
        ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=_HEADER_TAGS)
    except Exception as e:
        raise InputError(f"{path}: not a readable DICOM file ({e})") from e
    uid = str(ds.get("SeriesInstanceUID", ""))
    if series_uid is not None and uid != series_uid:
        raise InputError(f"{path}: belongs to series {uid}, not {series_uid}")
    if ds.get("Rows") is None:
        raise InputError(f"{path}: DICOM {ds.get('Modality', '')} object without image pixel data")
    return _read_dicom_series(path.parent, _choose_series(path.parent, uid))


def _read_dicom_series(folder: Path, info: SeriesInfo) -> Volume:
    import SimpleITK as sitk  # noqa: N813 (the name SimpleITK documents)

    # GDCM sorts the files along the slice normal by ImagePositionPatient: the order Slicer uses too.
    files = list(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder), info.uid, False, True))
    if len(files) != info.n_files:
        files = [str(p) for p in info.files]  # GDCM could not sort them; let ITK sort these
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(files)
    reader.SetImageIO("GDCMImageIO")
    try:
        image = reader.Execute()
    except RuntimeError as e:
        raise InputError(f"{folder}: series {info.uid} cannot be read: {_first_line(e)}") from e
    volume = _volume_from_image(image, folder)
    meta, warn = _series_meta(files)
    meta.update(series_uid=info.uid, n_files=len(files), format="DICOM")
    volume.meta.update(meta)
    volume.warnings.extend(warn + _spacing_warnings(files, volume))
    return volume


def _read_sitk_file(path: Path) -> Volume:
    import SimpleITK as sitk  # noqa: N813 (the name SimpleITK documents)

    try:
        image = sitk.ReadImage(str(path))
    except RuntimeError as e:
        raise InputError(f"{path}: cannot be read as an image: {_first_line(e)}") from e
    volume = _volume_from_image(image, path)
    volume.meta["format"] = image.GetMetaData("ITK_InputFilterName") if image.HasMetaDataKey(
        "ITK_InputFilterName") else path.suffix.lstrip(".").upper()
    return volume


def _volume_from_image(image: Any, path: Path) -> Volume:
    import SimpleITK as sitk  # noqa: N813 (the name SimpleITK documents)

    if image.GetNumberOfComponentsPerPixel() != 1:
        raise InputError(f"{path}: has {image.GetNumberOfComponentsPerPixel()} components per voxel; "
                         f"expected a scalar volume")
    if image.GetDimension() != 3:
        raise InputError(f"{path}: is a {image.GetDimension()}D image; expected a 3D volume")
    array = sitk.GetArrayFromImage(image).astype(np.float32, copy=False)
    m = ijk_to_ras_matrix(image.GetSpacing(), image.GetOrigin(), image.GetDirection())
    return Volume(array=array, ijk_to_ras=m, path=str(path), meta={"shape_kji": list(array.shape)})


def _series_meta(files: list[str]) -> tuple[dict, list[str]]:
    import pydicom

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(files[0], stop_before_pixels=True)

    def text(keyword: str) -> str | None:
        value = ds.get(keyword)
        if value in (None, ""):
            return None
        return "\\".join(str(v) for v in value) if isinstance(value, (list, pydicom.multival.MultiValue)) \
            else str(value)

    meta = {k: text(kw) for k, kw in [
        ("modality", "Modality"), ("series_description", "SeriesDescription"),
        ("protocol", "ProtocolName"), ("sequence", "SequenceName"),
        ("scanning_sequence", "ScanningSequence"), ("sequence_variant", "SequenceVariant"),
        ("patient_position", "PatientPosition"), ("body_part", "BodyPartExamined"),
        ("manufacturer", "Manufacturer"), ("manufacturer_model", "ManufacturerModelName"),
        ("magnetic_field_strength", "MagneticFieldStrength"), ("repetition_time", "RepetitionTime"),
        ("echo_time", "EchoTime"), ("inversion_time", "InversionTime"),
        ("slice_thickness", "SliceThickness"), ("spacing_between_slices", "SpacingBetweenSlices"),
        ("image_type", "ImageType"), ("study_uid", "StudyInstanceUID"), ("frame_of_reference_uid",
                                                                         "FrameOfReferenceUID")]}
    warn = []
    frames = _int(ds.get("NumberOfFrames"))
    if frames and frames > 1 and len(files) == 1:
        warn.append("multi-frame DICOM: geometry as ITK reads it; check it against the scanner's")
    return meta, warn


def _spacing_warnings(files: list[str], volume: Volume) -> list[str]:
    """Gaps or uneven steps between slices (ITK reads them as if even)."""
    import pydicom

    if len(files) < 3:
        return []
    normal = volume.directions_ras[:, 2] * np.array([-1.0, -1.0, 1.0])  # k axis in LPS
    positions = []
    for f in files:
        try:
            ipp = pydicom.dcmread(f, stop_before_pixels=True, specific_tags=["ImagePositionPatient"])
            positions.append(float(np.dot(np.asarray(ipp.ImagePositionPatient, dtype=float), normal)))
        except Exception:  # a slice without a position: nothing to compare
            return ["a slice has no ImagePositionPatient; slice positions could not be checked"]
    steps = np.diff(positions)
    expected = volume.spacing[2]
    if np.any(np.abs(np.abs(steps) - expected) > 0.1 * expected + 1e-3):
        return [f"slices are not evenly spaced (steps {np.round(steps.min(), 3)}..{np.round(steps.max(), 3)} "
                f"mm, read as {expected:.3g} mm): missing or duplicated slices?"]
    return []


def _first_line(e: Exception) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip()]
    return next((ln for ln in lines if "Description" in ln or "ERROR" in ln.upper()), lines[-1] if lines else "")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
