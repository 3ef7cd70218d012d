"""Read a 3D volume: a DICOM series (folder or one of its files), NRRD, NIfTI or MetaImage.

Geometry is exactly what SimpleITK reads (for DICOM: ImageSeriesReader with GDCM's file order,
which is what Slicer's DICOM loader agrees with for plain series), converted to IJK-to-RAS.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from axspa.image import InputError, Volume, ijk_to_ras_matrix, zero_non_finite

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
    # DICOM files beside the series' files that cannot be read (a slice cut short): (path, reason)
    damaged: list[tuple[Path, str]] = field(default_factory=list, repr=False)

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
    """DICOM series under ``folder`` (recursively), largest first; non-DICOM files are skipped. DICOM files
    that cannot be read are listed in the ``damaged`` of each series with files in the same folder."""
    import pydicom

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    by_uid: dict[str, SeriesInfo] = {}
    damaged: list[tuple[Path, str]] = []
    incomplete: list[tuple[Path, str]] = []
    sop_classes: dict[str, set] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if not _is_dicom(path):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = pydicom.dcmread(path, stop_before_pixels=True, specific_tags=_HEADER_TAGS)
        except Exception as e:  # a damaged file is not a series; the series beside it must not pass silently
            damaged.append((path, " ".join(str(e).split()) or type(e).__name__))
            continue
        uid = str(ds.get("SeriesInstanceUID", ""))
        if not uid or ds.get("Rows") is None:  # DICOMDIR, SR, presentation states... or a slice cut short
            media_sop = str(getattr(getattr(ds, "file_meta", None), "MediaStorageSOPClassUID", "") or "")
            if media_sop and "SOPClassUID" not in ds:  # its file meta names a class, its header stops early
                incomplete.append((path, media_sop))
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
        sop_classes.setdefault(uid, set()).add(str(ds.get("SOPClassUID", "")))
    for info in by_uid.values():
        folders = {p.parent for p in info.files}
        info.damaged = [(p, why) for p, why in damaged if p.parent in folders]
        info.damaged += [(p, "its header stops before the image attributes: file cut short?")
                         for p, sop in incomplete if p.parent in folders and sop in sop_classes.get(info.uid, ())]
    return sorted(by_uid.values(), key=lambda s: (-s.n_files, s.series_number or 0, s.uid))


def read_volume(path: str | Path, series_uid: str | None = None) -> Volume:
    """Read a volume; array [k, j, i] float32 (rescale applied), geometry as IJK-to-RAS."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file or folder not found")
    if path.is_dir():
        return checked_volume(_read_dicom_series(path, _choose_series(path, series_uid)))
    name = path.name.lower()
    if name.endswith(_VOLUME_SUFFIXES):
        return checked_volume(_read_sitk_file(path))
    if _is_dicom(path):
        return checked_volume(_read_dicom_file_series(path, series_uid))
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
                         f"(command line: --series-uid UID):\n" + "\n".join("  " + s.describe() for s in series))
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
    try:
        volume = _read_dicom_series(path.parent, _choose_series(path.parent, uid))
    except InputError as e:  # the user gave this file: name it, then what went wrong in its folder
        raise InputError(f"{path}: the series of this file cannot be read: {e}") from e
    volume.path = str(path)
    return volume


def _read_dicom_series(folder: Path, info: SeriesInfo) -> Volume:
    import SimpleITK as sitk  # noqa: N813 (the name SimpleITK documents)

    if info.damaged:
        path, why = info.damaged[0]
        more = f" (and {len(info.damaged) - 1} more)" if len(info.damaged) > 1 else ""
        raise InputError(f"{folder}: slice file {path}{more} is a damaged DICOM file ({why}); the series would "
                         f"be read without it: restore or remove it")

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
        bad = _first_unreadable_slice(files)
        where = f"; slice file {bad[0]}: {bad[1]}" if bad else ""
        raise InputError(f"{folder}: series {info.uid} cannot be read: {_first_line(e)}{where}") from e
    volume = _volume_from_image(image, folder)
    meta, warn = _series_meta(files)
    meta.update(series_uid=info.uid, n_files=len(files), format="DICOM")
    volume.meta.update(meta)
    if _lacks_pixel_spacing(files[0]):
        volume.meta["spacing_unknown_why"] = "DICOM without PixelSpacing"
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


def checked_volume(volume: Volume) -> Volume:
    """What every volume reader returns goes through here, so that nothing doubtful passes silently:

    - voxels that are not finite numbers (NaN, Inf) are set to 0 with a warning naming how many and
      on which slices; a volume with no finite voxel is refused;
    - a spacing the file does not state (NIfTI pixdim 0, NRRD without spacing, DICOM without
      PixelSpacing), which ITK reads as 1 mm, is recorded as unknown: ``meta["spacing_known"]`` False,
      ``meta["spacing_unknown_why"]`` and a warning. Measures in mm, mm² or mL refuse such a volume
      (axspa.hip.pipeline.score_hip) or are left out (axspa.evaluation.overlap)."""
    zero_non_finite(volume)
    why = volume.meta.get("spacing_unknown_why") or _unknown_spacing(Path(volume.path))
    volume.meta["spacing_known"] = why is None
    if why is not None:
        volume.meta["spacing_unknown_why"] = why
        volume.warnings.append(f"voxel spacing unknown ({why}); mm, mm² and mL values cannot be computed")
    return volume


def _unknown_spacing(path: Path) -> str | None:
    """Why the file states no usable voxel spacing, or None when it does (or the format is not checked)."""
    name = path.name.lower()
    try:
        if name.endswith((".nii", ".nii.gz")):
            return _nifti_spacing_problem(path)
        if name.endswith((".nrrd", ".nhdr")):
            return _nrrd_spacing_problem(path)
        if path.is_dir() or _is_dicom(path):
            return None  # DICOM: checked per file by _dicom_spacing_problem when the series is read
    except (OSError, ValueError) as e:
        return f"header cannot be read: {e}"
    return None


def _lacks_pixel_spacing(file: str) -> bool:
    import pydicom

    try:
        ds = pydicom.dcmread(file, stop_before_pixels=True, specific_tags=["PixelSpacing"])
        values = [float(v) for v in ds.PixelSpacing]
    except Exception:  # noqa: BLE001 (absent, empty or not numbers: the same for us)
        return True
    return not (len(values) == 2 and all(np.isfinite(v) and v > 0 for v in values))


def _nifti_spacing_problem(path: Path) -> str | None:
    import gzip
    import struct

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rb") as f:
        head = f.read(348)
    if len(head) < 348:
        return None
    for order in ("<", ">"):
        if struct.unpack(order + "i", head[:4])[0] == 348:  # NIfTI-1
            pixdim = struct.unpack(order + "8f", head[76:108])
            ndim = struct.unpack(order + "h", head[40:42])[0]
            used = pixdim[1:1 + max(1, min(3, ndim))]
            if not all(np.isfinite(v) and v > 0 for v in used):
                return "NIfTI pixdim " + " ".join(f"{v:g}" for v in used)
            return None
    return None


def _nrrd_spacing_problem(path: Path) -> str | None:
    from axspa.io import nrrd_format

    header = nrrd_format.read_header(path)
    dirs = header.get("space directions")
    if dirs is not None:
        lengths = []
        for row in np.asarray(dirs, dtype=object):
            try:
                lengths.append(float(np.linalg.norm(np.asarray(row, dtype=float))))
            except (TypeError, ValueError):
                continue  # a non-spatial axis ("none")
        if lengths and all(np.isfinite(v) and v > 0 for v in lengths):
            return None
        return "NRRD space directions without a length"
    spacings = header.get("spacings")
    if spacings is not None and all(np.isfinite(float(v)) and float(v) > 0 for v in spacings):
        return None
    return "NRRD header has no space directions or spacings"


def _first_unreadable_slice(files: list[str]) -> tuple[str, str] | None:
    """The first file of a series that cannot be read on its own, and why (only asked after a failure)."""
    import SimpleITK as sitk  # noqa: N813 (the name SimpleITK documents)

    for f in files:
        try:
            sitk.ReadImage(f)
        except RuntimeError as e:
            return f, _first_line(e)
    return None


def _first_line(e: Exception) -> str:
    """The reason of an ITK error in one line: its ERROR line without the source location and object
    address, plus the innermost cause ITK's readers print below it (e.g. NRRD's header check)."""
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip() and not ln.startswith("Exception thrown")]
    if not lines:
        return type(e).__name__
    index = next((i for i, ln in enumerate(lines) if "Description" in ln or "ERROR" in ln.upper()), None)
    if index is None:
        return lines[-1]
    head = re.sub(r"^(itk|sitk)::ERROR:\s*(\w+\(0x[0-9a-f]+\):\s*)?", "", lines[index]).strip()
    head = re.sub(r"^Description:\s*", "", head)
    cause = re.sub(r"^\[\w+\]\s*\w+:\s*", "", lines[-1]).strip() if index < len(lines) - 1 else ""
    return f"{head} {cause}".strip() if cause and cause not in head else head


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
