"""Write DICOM Part-10 files for the synthetic phantoms: a projection radiograph (CR or DX) and an
MR series (one file per slice) whose geometry comes from an IJK-to-RAS matrix.

Everything is deterministic: UIDs are derived from ``seed_uid_from`` (or, when it is not given,
from a hash of the pixels and the arguments) and dates are fixed, so the same inputs give the
same bytes; the phantom command promises "same seed, same bytes".
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from axspa.io.dicom_compat import save_part10

CR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.1"
DX_PRESENTATION_STORAGE = "1.2.840.10008.5.1.4.1.1.1.1"
MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4"

# Fixed so that files do not change with the day they were written.
FIXED_DATE = "20240101"
FIXED_TIME = "120000"
MANUFACTURER = "SlicerAxSpA synthetic phantom"
IMPLEMENTATION_UID = generate_uid(entropy_srcs=["axspa", "implementation"])
IMPLEMENTATION_VERSION = "AXSPA_0_1"

_LPS_FROM_RAS = np.diag([-1.0, -1.0, 1.0])


def _uid(seed: str, role: str) -> str:
    return str(generate_uid(entropy_srcs=[seed, role]))


def _ds(value: float) -> str:
    """A DICOM Decimal String (at most 16 characters) that round-trips the value closely."""
    for digits in range(10, 0, -1):
        text = f"{value:.{digits}g}"
        if len(text) <= 16:
            return text
    return f"{value:.1e}"


def _file_meta(sop_class: str, sop_uid: str) -> FileMetaDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_uid
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = IMPLEMENTATION_UID
    meta.ImplementationVersionName = IMPLEMENTATION_VERSION
    return meta


def _patient_study(ds: Dataset, patient_id: str, study_uid: str) -> None:
    ds.PatientName = patient_id
    ds.PatientID = patient_id
    ds.PatientBirthDate = ""
    ds.PatientSex = "O"
    ds.StudyInstanceUID = study_uid
    ds.StudyDate = FIXED_DATE
    ds.StudyTime = FIXED_TIME
    ds.StudyID = "1"
    ds.AccessionNumber = ""
    ds.ReferringPhysicianName = ""
    ds.StudyDescription = "SlicerAxSpA phantom"
    ds.Manufacturer = MANUFACTURER
    ds.ManufacturerModelName = "axspa phantom"
    ds.SoftwareVersions = IMPLEMENTATION_VERSION
    ds.BurnedInAnnotation = "NO"


def _apply_extra(ds: Dataset, extra: Mapping[str, Any] | None) -> None:
    """Extra attributes by keyword (e.g. EstimatedRadiographicMagnificationFactor); None deletes."""
    for keyword, value in (extra or {}).items():
        if value is None:
            if keyword in ds:
                delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)


def _set_pixels(ds: Dataset, pixels: np.ndarray, bits_stored: int | None) -> None:
    if pixels.ndim != 2:
        raise ValueError(f"pixels must be 2D [rows, cols], got shape {pixels.shape}")
    if pixels.dtype not in (np.uint8, np.uint16, np.int16):
        raise ValueError(f"pixels must be uint8, uint16 or int16, got {pixels.dtype}")
    allocated = pixels.dtype.itemsize * 8
    signed = pixels.dtype == np.int16
    if bits_stored is None:
        bits_stored = _default_bits_stored(pixels)
    if not 1 <= bits_stored <= allocated:
        raise ValueError(f"bits_stored {bits_stored} does not fit {pixels.dtype}")
    lo, hi = (-(1 << (bits_stored - 1)), (1 << (bits_stored - 1)) - 1) if signed else (0, (1 << bits_stored) - 1)
    if pixels.size and (int(pixels.min()) < lo or int(pixels.max()) > hi):
        raise ValueError(f"pixel values {pixels.min()}..{pixels.max()} do not fit in {bits_stored} bits")
    ds.SamplesPerPixel = 1
    ds.Rows, ds.Columns = int(pixels.shape[0]), int(pixels.shape[1])
    ds.BitsAllocated = allocated
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.PixelData = np.ascontiguousarray(pixels).astype(pixels.dtype.newbyteorder("<"), copy=False).tobytes()


def _default_bits_stored(pixels: np.ndarray) -> int:
    if pixels.dtype == np.uint8:
        return 8
    top = int(np.abs(pixels.astype(np.int64)).max()) if pixels.size else 0
    # 12 bits is what most CR/DX/MR detectors store; use 16 only when the values need it.
    if pixels.dtype == np.int16:
        return 12 if top < 2048 else 16
    return 12 if top < 4096 else 16


def _default_seed(*parts: Any) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.tobytes() if isinstance(part, np.ndarray) else repr(part).encode())
    return h.hexdigest()


def write_radiograph_dicom(
    path: str | Path,
    pixels: np.ndarray,
    *,
    spacing_mm: tuple[float, float] | None,
    photometric: str = "MONOCHROME2",
    modality: str = "CR",
    bits_stored: int | None = None,
    body_part: str = "CSPINE",
    view_position: str = "LL",
    spacing_tag: str = "PixelSpacing",
    window: tuple[float, float] | None = None,
    rescale: tuple[float, float] | None = None,
    patient_id: str = "PHANTOM",
    study_uid: str | None = None,
    series_uid: str | None = None,
    sop_uid: str | None = None,
    extra: Mapping[str, Any] | None = None,
    seed_uid_from: str | None = None,
) -> None:
    """Write a single-frame projection radiograph as a Part-10 file.

    ``pixels`` are the stored values [rows, cols] (uint8/uint16; int16 allowed); ``spacing_mm`` is
    (row, column) spacing written to ``spacing_tag`` ("PixelSpacing", "ImagerPixelSpacing" or
    "both"). ``modality`` "CR" gives CR Image Storage, "DX" Digital X-Ray For Presentation.
    """
    modality = modality.upper()
    if modality not in ("CR", "DX"):
        raise ValueError(f"modality must be CR or DX, got {modality!r}")
    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise ValueError(f"photometric must be MONOCHROME1 or MONOCHROME2, got {photometric!r}")
    if spacing_tag not in ("PixelSpacing", "ImagerPixelSpacing", "both"):
        raise ValueError(f"spacing_tag must be PixelSpacing, ImagerPixelSpacing or both, got {spacing_tag!r}")
    pixels = np.asarray(pixels)
    seed = seed_uid_from or _default_seed(pixels, pixels.shape, str(pixels.dtype), spacing_mm, photometric,
                                          modality, body_part, view_position, patient_id)
    sop_class = CR_IMAGE_STORAGE if modality == "CR" else DX_PRESENTATION_STORAGE
    sop_uid = sop_uid or _uid(seed, "sop")

    ds = Dataset()
    ds.file_meta = _file_meta(sop_class, sop_uid)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["DERIVED", "PRIMARY"] if modality == "CR" else ["DERIVED", "PRIMARY", ""]
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = sop_uid
    _patient_study(ds, patient_id, study_uid or _uid(seed, "study"))
    ds.Modality = modality
    ds.SeriesInstanceUID = series_uid or _uid(seed, "series")
    ds.SeriesNumber = 1
    ds.SeriesDate, ds.SeriesTime = FIXED_DATE, FIXED_TIME
    ds.ContentDate, ds.ContentTime = FIXED_DATE, FIXED_TIME
    ds.InstanceNumber = 1
    ds.PatientOrientation = ""
    ds.BodyPartExamined = body_part
    ds.ViewPosition = view_position
    ds.PhotometricInterpretation = photometric
    _set_pixels(ds, pixels, bits_stored)
    if modality == "DX":
        # DX For Presentation: these are Type 1 there.
        ds.PresentationIntentType = "FOR PRESENTATION"
        ds.PixelIntensityRelationship = "LOG"
        ds.PixelIntensityRelationshipSign = 1
        ds.PresentationLUTShape = "INVERSE" if photometric == "MONOCHROME1" else "IDENTITY"
        ds.LossyImageCompression = "00"
        ds.ImageLaterality = "U"
        if rescale is None:
            rescale = (1.0, 0.0)
    if rescale is not None:
        ds.RescaleSlope = _ds(float(rescale[0]))
        ds.RescaleIntercept = _ds(float(rescale[1]))
        ds.RescaleType = "US"
    if window is not None:
        ds.WindowCenter = _ds(float(window[0]))
        ds.WindowWidth = _ds(float(window[1]))
    if spacing_mm is not None:
        values = [_ds(float(spacing_mm[0])), _ds(float(spacing_mm[1]))]
        if spacing_tag in ("PixelSpacing", "both"):
            ds.PixelSpacing = values
        if spacing_tag in ("ImagerPixelSpacing", "both"):
            ds.ImagerPixelSpacing = values
    _apply_extra(ds, extra)
    save_part10(ds, Path(path))


def _lps_geometry(ijk_to_ras: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(origin_lps, unit axes as columns in LPS, spacing (i, j, k)) from IJK-to-RAS."""
    m = np.asarray(ijk_to_ras, dtype=float)
    if m.shape != (4, 4):
        raise ValueError(f"ijk_to_ras must be 4x4, got {m.shape}")
    scaled = _LPS_FROM_RAS @ m[:3, :3]
    spacing = np.linalg.norm(scaled, axis=0)
    if np.any(spacing <= 0):
        raise ValueError("ijk_to_ras has a zero-length axis")
    axes = scaled / spacing
    if not np.allclose(axes.T @ axes, np.eye(3), atol=1e-4):
        raise ValueError("ijk_to_ras axes are not orthogonal; a DICOM series cannot hold a sheared grid")
    return _LPS_FROM_RAS @ m[:3, 3], axes, spacing


def write_series_dicom(
    folder: str | Path,
    array: np.ndarray,
    ijk_to_ras: np.ndarray,
    *,
    modality: str = "MR",
    series_description: str = "STIR_COR",
    sequence: str = "STIR",
    patient_id: str = "PHANTOM",
    seed_uid_from: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write ``array`` [k, j, i] (int16/uint16) as an MR series, one file per slice k.

    Geometry comes from ``ijk_to_ras``; the k axis must follow the slice normal (i x j), the order
    in which DICOM readers (GDCM, SimpleITK, Slicer) stack the slices back.
    """
    array = np.asarray(array)
    if array.ndim != 3:
        raise ValueError(f"array must be 3D [k, j, i], got shape {array.shape}")
    if array.dtype not in (np.int16, np.uint16):
        raise ValueError(f"array must be int16 or uint16, got {array.dtype}")
    origin, axes, spacing = _lps_geometry(ijk_to_ras)
    normal = np.cross(axes[:, 0], axes[:, 1])
    if float(np.dot(normal, axes[:, 2])) < 0:
        raise ValueError("the k axis points against the slice normal (i x j); flip the array along k "
                         "and move the origin to the last slice, or readers will stack it reversed")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    seed = seed_uid_from or _default_seed(array, array.shape, str(array.dtype), np.asarray(ijk_to_ras),
                                          series_description, sequence, patient_id)
    study_uid, series_uid, frame_uid = _uid(seed, "study"), _uid(seed, "series"), _uid(seed, "frame")
    lo, hi = (float(array.min()), float(array.max())) if array.size else (0.0, 1.0)
    paths = []
    for k in range(array.shape[0]):
        sop_uid = _uid(seed, f"sop{k}")
        ds = Dataset()
        ds.file_meta = _file_meta(MR_IMAGE_STORAGE, sop_uid)
        ds.SpecificCharacterSet = "ISO_IR 100"
        ds.ImageType = ["DERIVED", "PRIMARY", "M", "ND"]
        ds.SOPClassUID = MR_IMAGE_STORAGE
        ds.SOPInstanceUID = sop_uid
        _patient_study(ds, patient_id, study_uid)
        ds.Modality = modality
        ds.SeriesInstanceUID = series_uid
        ds.SeriesNumber = 1
        ds.SeriesDescription = series_description
        ds.ProtocolName = series_description
        ds.SeriesDate, ds.SeriesTime = FIXED_DATE, FIXED_TIME
        ds.ContentDate, ds.ContentTime = FIXED_DATE, FIXED_TIME
        ds.BodyPartExamined = "HIP"
        ds.PatientPosition = "HFS"
        ds.FrameOfReferenceUID = frame_uid
        ds.PositionReferenceIndicator = ""
        _mr_acquisition(ds, sequence)
        ds.InstanceNumber = k + 1
        position = origin + k * spacing[2] * axes[:, 2]
        ds.ImagePositionPatient = [_ds(float(v)) for v in position]
        ds.ImageOrientationPatient = [_ds(float(v)) for v in np.concatenate([axes[:, 0], axes[:, 1]])]
        ds.SliceLocation = _ds(float(np.dot(position, normal)))
        ds.PixelSpacing = [_ds(float(spacing[1])), _ds(float(spacing[0]))]  # row spacing, column spacing
        ds.SliceThickness = _ds(float(spacing[2]))
        ds.SpacingBetweenSlices = _ds(float(spacing[2]))
        ds.PhotometricInterpretation = "MONOCHROME2"
        _set_pixels(ds, array[k], 16)
        ds.WindowCenter = _ds((lo + hi) / 2.0)
        ds.WindowWidth = _ds(max(hi - lo, 1.0))
        _apply_extra(ds, extra)
        path = folder / f"IM{k + 1:04d}.dcm"
        save_part10(ds, path)
        paths.append(path)
    return paths


def _mr_acquisition(ds: Dataset, sequence: str) -> None:
    """Plausible 1.5 T acquisition attributes; STIR is an inversion-recovery sequence."""
    stir = sequence.upper() in ("STIR", "TIRM")
    ds.ScanningSequence = "IR" if stir else "SE"
    ds.SequenceVariant = "SK"
    ds.ScanOptions = ""
    ds.MRAcquisitionType = "2D"
    ds.SequenceName = sequence
    ds.MagneticFieldStrength = "1.5"
    ds.RepetitionTime = "4000" if stir else "600"
    ds.EchoTime = "40" if stir else "12"
    if stir:
        ds.InversionTime = "150"
    ds.EchoTrainLength = 7
    ds.ImagedNucleus = "1H"


__all__: Sequence[str] = ["write_radiograph_dicom", "write_series_dicom"]
