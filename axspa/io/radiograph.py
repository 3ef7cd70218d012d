"""Read a projection radiograph (DICOM, PNG, JPEG, TIFF or NRRD) into an :class:`axspa.image.Radiograph`.

DICOM follows the standard's grayscale pipeline: stored values -> Modality LUT (rescale or LUT
sequence) -> VOI (LUT sequence, else window centre/width with its VOI LUT function) -> inversion of
MONOCHROME1 so that bone is bright -> float32 in [0, 1]. Every step taken is recorded in
``Radiograph.steps`` and everything doubtful (spacing, colour, several windows) in ``warnings``.
Coordinates stay those of the image as stored: nothing is flipped, rotated or resampled.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from axspa.image import InputError, Radiograph
from axspa.results import sha256_file
from axspa.texts import number

_DICOM_SUFFIXES = {".dcm", ".dicom", ".ima", ""}
_LUMA = np.array([0.299, 0.587, 0.114])  # ITU-R BT.601, what DICOM's YBR_FULL uses
_NON_IMAGE_SOP_PREFIXES = {
    "1.2.840.10008.5.1.4.1.1.88": "structured report",
    "1.2.840.10008.5.1.4.1.1.481": "radiotherapy object",
    "1.2.840.10008.5.1.4.1.1.9": "waveform",
    "1.2.840.10008.5.1.4.1.1.104": "encapsulated document",
    "1.2.840.10008.5.1.4.1.1.11": "presentation state",
    "1.2.840.10008.5.1.4.1.1.66": "spatial object (segmentation, registration or fiducials)",
}


def read_radiograph(path: str | Path) -> Radiograph:
    """Read one 2D radiograph; bone bright, float32 in [0, 1], spacing (row, col) mm or None."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give one radiograph file")
    try:
        with open(path, "rb") as f:
            head = f.read(132)
    except OSError as e:
        raise InputError(f"{path}: cannot be read ({e.strerror or e})") from e
    if not head:
        raise InputError(f"{path}: file is empty")
    if head.startswith(b"NRRD"):
        rad = _read_nrrd(path)
    elif head[128:132] == b"DICM":
        rad = _read_dicom(path)
    else:
        rad = _read_other(path, head)
    rad.path = str(path)
    rad.sha256 = sha256_file(path)
    return _mask_non_finite(rad)


def _mask_non_finite(rad: Radiograph) -> Radiograph:
    """Pixels stored as NaN or Inf (float NRRD or TIFF) are left out of the scaling (_minmax) and shown
    black, with a warning naming how many; an image with no finite pixel is refused."""
    bad = ~np.isfinite(rad.pixels)
    if not bad.any():
        return rad
    if bad.all():
        raise InputError(f"{rad.path}: no pixel holds a finite number (all NaN or Inf)")
    rad.pixels = np.where(bad, 0.0, rad.pixels).astype(np.float32)
    rad.steps.append(f"{int(bad.sum())} non-finite pixels set to 0 (black)")
    rad.warnings.append(f"{int(bad.sum())} pixels are not finite numbers (NaN or Inf) in the file; they were "
                        f"left out of the intensity scaling and shown black")
    return rad


def _read_other(path: Path, head: bytes) -> Radiograph:
    """Pillow formats, else a DICOM file without the Part-10 preamble."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            return _read_pillow(path, img)
    except UnidentifiedImageError:
        pass
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: image file is damaged or truncated ({e})") from e
    if path.suffix.lower() in _DICOM_SUFFIXES:
        return _read_dicom(path, force=True)
    raise InputError(f"{path}: not an image axspa can read (expected DICOM, PNG, JPEG, TIFF or NRRD)")


# ----------------------------------------------------------------------------------------- DICOM


def _read_dicom(path: Path, force: bool = False) -> Radiograph:
    import pydicom
    from pydicom.errors import InvalidDicomError

    # pydicom warns (on stderr) about invalid values when they are accessed; the checks below turn
    # the ones that matter into warnings that name the tag, so its own are silenced.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ds = pydicom.dcmread(path, force=force)
        except (InvalidDicomError, EOFError, OSError, ValueError, KeyError, TypeError) as e:
            raise InputError(f"{path}: not a readable DICOM file ({e})") from e
        if force and "PixelData" not in ds and "SOPClassUID" not in ds:
            raise InputError(f"{path}: not an image axspa can read (expected DICOM, PNG, JPEG, TIFF or NRRD)")
        _check_image_object(path, ds)
        return _dicom_to_radiograph(path, ds)


def _dicom_to_radiograph(path: Path, ds: Any) -> Radiograph:
    stored = _decode_frame(path, ds)
    steps: list[str] = []
    warn: list[str] = []
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip().upper()
    if stored.ndim == 3 or photometric == "PALETTE COLOR":
        grey = _dicom_colour_to_grey(ds, stored, photometric, steps, warn)
        pixels = _minmax(grey, steps)
    else:
        values = _modality_lut(ds, stored, steps, warn)
        pixels = _voi(ds, values, steps, warn)
        if photometric == "MONOCHROME1":
            pixels = 1.0 - pixels
            steps.append("inverted MONOCHROME1 (bone bright)")
        elif str(ds.get("PresentationLUTShape", "")).upper() == "INVERSE":
            pixels = 1.0 - pixels
            steps.append("inverted: Presentation LUT Shape INVERSE on MONOCHROME2")
    spacing = _dicom_spacing(ds, steps, warn)
    meta = _dicom_meta(ds, photometric)
    meta["spacing_source"] = next((s.split(" ")[2] for s in steps if s.startswith("spacing from ")), None)
    return Radiograph(pixels=np.clip(pixels, 0.0, 1.0).astype(np.float32), spacing_mm=spacing,
                      photometric=photometric, steps=steps, warnings=warn, meta=meta)


def _check_image_object(path: Path, ds: Any) -> None:
    sop = str(ds.get("SOPClassUID", ""))
    kind = next((name for prefix, name in _NON_IMAGE_SOP_PREFIXES.items()
                 if sop == prefix or sop.startswith(prefix + ".")), None)
    has_pixels = any(k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"))
    if not kind and not has_pixels and "Rows" in ds and "Columns" in ds:
        raise InputError(f"{path}: DICOM image header without its pixel data: the file ends early "
                         f"(truncated? {path.stat().st_size} bytes)")
    if kind or not has_pixels:
        what = kind or f"{ds.get('Modality', 'unknown modality')} object"
        raise InputError(f"{path}: DICOM {what} without image pixel data; not a radiograph")
    frames = _int(ds.get("NumberOfFrames", 1)) or 1
    if frames > 1:
        raise InputError(f"{path}: DICOM has {frames} frames; axspa reads single-frame radiographs "
                         f"(export the frame you want as its own file)")


def _decode_frame(path: Path, ds: Any) -> np.ndarray:
    try:
        arr = ds.pixel_array
    except Exception as e:  # decoders raise many types: missing plugin, corrupt stream, bad length
        ts = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
        ts_name = getattr(ts, "name", ts) or "unknown transfer syntax"
        raise InputError(f"{path}: pixel data cannot be decoded ({ts_name}): {e}") from e
    if arr.ndim == 4 or (arr.ndim == 3 and int(ds.get("SamplesPerPixel", 1)) == 1):
        arr = arr[0]  # NumberOfFrames = 1 written explicitly: that frame
    return arr


def _dicom_colour_to_grey(ds: Any, arr: np.ndarray, photometric: str, steps: list[str],
                          warn: list[str]) -> np.ndarray:
    if photometric == "PALETTE COLOR":
        from axspa.io.dicom_compat import apply_color_lut

        arr = apply_color_lut(arr, ds)
        steps.append("PALETTE COLOR mapped through its palette to RGB")
    elif photometric.startswith("YBR"):
        from axspa.io.dicom_compat import ybr_to_rgb

        arr = ybr_to_rgb(arr, photometric)
        steps.append(f"{photometric} converted to RGB")
    grey = arr[..., :3].astype(np.float64) @ _LUMA
    steps.append("colour converted to grey by luminance (0.299 R + 0.587 G + 0.114 B)")
    warn.append(f"colour image ({photometric}); converted to grey")
    return grey


def _modality_lut(ds: Any, arr: np.ndarray, steps: list[str], warn: list[str]) -> np.ndarray:
    if "ModalityLUTSequence" in ds and len(ds.ModalityLUTSequence):
        from axspa.io.dicom_compat import apply_modality_lut

        item = ds.ModalityLUTSequence[0]
        out = apply_modality_lut(arr, ds).astype(np.float64)
        steps.append(f"modality LUT sequence ({int(item.LUTDescriptor[0]) or 65536} entries, "
                     f"type {item.get('ModalityLUTType', 'unspecified')})")
        return out
    slope, intercept = ds.get("RescaleSlope"), ds.get("RescaleIntercept")
    if slope is None and intercept is None:
        return arr.astype(np.float64)
    s, i = _float(slope, 1.0), _float(intercept, 0.0)
    if s is None or s == 0 or i is None:
        warn.append(f"RescaleSlope {slope!r} / RescaleIntercept {intercept!r} are not usable numbers; "
                    f"rescale ignored")
        return arr.astype(np.float64)
    steps.append(f"rescale slope {number(s, '.6g')} intercept {number(i, '.6g')}")
    return arr.astype(np.float64) * s + i


def _voi(ds: Any, values: np.ndarray, steps: list[str], warn: list[str]) -> np.ndarray:
    """Values of interest to [0, 1]: VOI LUT sequence, else a window, else the image's own range."""
    if "VOILUTSequence" in ds and len(ds.VOILUTSequence):
        out = _voi_lut_sequence(ds.VOILUTSequence[0], values)
        if out is not None:
            explanation = ds.VOILUTSequence[0].get("LUTExplanation", "")
            steps.append("VOI LUT sequence" + (f" ({explanation})" if explanation else ""))
            if len(ds.VOILUTSequence) > 1:
                warn.append(f"{len(ds.VOILUTSequence)} VOI LUTs in the header; used the first")
            return out
        warn.append("VOI LUT sequence is malformed; ignored")
    window = _window(ds, warn)
    if window is not None:
        centre, width, function, label = window
        steps.append(f"VOI window c={number(centre, '.6g')}, w={number(width, '.6g')}"
                     + (f" ({function})" if function != "LINEAR" else "") + label)
        return _apply_window(values, centre, width, function)
    return _minmax(values, steps, reason="no VOI in the header: ")


def _voi_lut_sequence(item: Any, values: np.ndarray) -> np.ndarray | None:
    try:
        n, first, bits = (int(v) for v in item.LUTDescriptor)
        data = np.asarray(item.LUTData, dtype=np.float64).ravel()
    except (AttributeError, TypeError, ValueError):
        return None
    n = n or 65536
    if data.size < n or bits <= 0:
        return None
    index = np.clip(np.rint(values - first), 0, n - 1).astype(np.int64)
    out = data[:n][index]
    lo, hi = float(data[:n].min()), float(data[:n].max())
    return (out - lo) / (hi - lo) if hi > lo else np.zeros_like(out)


def _window(ds: Any, warn: list[str]) -> tuple[float, float, str, str] | None:
    centres, widths = _multi(ds.get("WindowCenter")), _multi(ds.get("WindowWidth"))
    if not centres and not widths:
        return None
    if not centres or not widths or centres[0] is None or widths[0] is None or widths[0] <= 0:
        warn.append(f"WindowCenter {ds.get('WindowCenter')!r} / WindowWidth {ds.get('WindowWidth')!r} "
                    f"are not a usable window; ignored")
        return None
    label = ""
    if len(centres) > 1 or len(widths) > 1:
        names = _multi_str(ds.get("WindowCenterWidthExplanation"))
        label = f", first of {max(len(centres), len(widths))} windows"
        if names:
            label += f" ({names[0]})"
    function = str(ds.get("VOILUTFunction", "LINEAR") or "LINEAR").strip().upper()
    if function not in ("LINEAR", "LINEAR_EXACT", "SIGMOID"):
        warn.append(f"VOILUTFunction {function!r} is not defined by DICOM; used LINEAR")
        function = "LINEAR"
    width = widths[0]
    if function == "LINEAR" and width < 1:
        warn.append(f"WindowWidth {width} < 1 is not allowed for LINEAR; used 1")
        width = 1.0
    return centres[0], width, function, label


def _apply_window(x: np.ndarray, c: float, w: float, function: str) -> np.ndarray:
    """DICOM PS3.3 C.11.2.1.2 with output range [0, 1]."""
    if function == "SIGMOID":
        return 1.0 / (1.0 + np.exp(-4.0 * (x - c) / w))
    if function == "LINEAR_EXACT":
        return np.clip((x - c) / w + 0.5, 0.0, 1.0)
    if w == 1:
        return (x > c - 0.5).astype(np.float64)
    return np.clip((x - (c - 0.5)) / (w - 1) + 0.5, 0.0, 1.0)


def _dicom_spacing(ds: Any, steps: list[str], warn: list[str]) -> tuple[float, float] | None:
    pixel = _spacing_pair(ds, "PixelSpacing", warn)
    imager = _spacing_pair(ds, "ImagerPixelSpacing", warn)
    if pixel is not None:
        note = ""
        if imager is not None and np.allclose(pixel, imager):
            note = " (equals ImagerPixelSpacing: probably the detector plane, not corrected for magnification)"
        calibration = ds.get("PixelSpacingCalibrationType")
        if calibration:
            note += f" (calibration {calibration})"
        steps.append(f"spacing from PixelSpacing {number(pixel[0], '.6g')} x {number(pixel[1], '.6g')} mm" + note)
        return pixel
    if imager is not None:
        factor = _float(ds.get("EstimatedRadiographicMagnificationFactor"), None)
        if factor is not None and factor > 0:
            spacing = (imager[0] / factor, imager[1] / factor)
            steps.append(f"spacing from ImagerPixelSpacing {number(imager[0], '.6g')} x "
                         f"{number(imager[1], '.6g')} mm divided by "
                         f"EstimatedRadiographicMagnificationFactor {number(factor, '.6g')}")
            return spacing
        steps.append(f"spacing from ImagerPixelSpacing {number(imager[0], '.6g')} x {number(imager[1], '.6g')} mm")
        warn.append("pixel spacing is ImagerPixelSpacing, measured at the detector: it includes the geometric "
                    "magnification of the patient (often 10-20%), so mm values are overestimated")
        return imager
    if not any("Spacing" in w for w in warn):
        warn.append("no pixel spacing in the header (PixelSpacing, ImagerPixelSpacing); mm values unavailable")
    return None


def _spacing_pair(ds: Any, keyword: str, warn: list[str]) -> tuple[float, float] | None:
    """(row, column) mm from a 2-valued DS, or None with a warning naming the tag and value."""
    if keyword not in ds:
        return None
    try:
        raw = ds[keyword].value
    except Exception:  # a value pydicom cannot even convert
        raw = ds.get_item(keyword).value if hasattr(ds, "get_item") else "?"
    if raw is None or raw == "" or raw == b"":
        return None  # present but empty (Type 2): the same as absent
    values = _multi(raw)
    if len(values) == 2 and all(v is not None and math.isfinite(v) and v > 0 for v in values):
        return float(values[0]), float(values[1])
    if isinstance(raw, bytes):
        shown = raw.decode(errors="replace")
    elif isinstance(raw, str) or not hasattr(raw, "__iter__"):
        shown = str(raw)
    else:
        shown = "\\".join(str(v) for v in raw)
    warn.append(f"{keyword} '{shown}' is not a valid spacing (need two positive numbers); "
                f"spacing treated as unknown")
    return None


def _dicom_meta(ds: Any, photometric: str) -> dict:
    ts = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)

    def text(keyword: str) -> str | None:
        value = ds.get(keyword)
        return None if value in (None, "") else str(value)

    return {
        "format": "DICOM",
        "modality": text("Modality"),
        "sop_class": getattr(ds.get("SOPClassUID"), "name", text("SOPClassUID")),
        "body_part": text("BodyPartExamined"),
        "view_position": text("ViewPosition"),
        "patient_orientation": text("PatientOrientation"),
        "laterality": text("ImageLaterality") or text("Laterality"),
        "transfer_syntax": getattr(ts, "name", None) or (str(ts) if ts else None),
        "transfer_syntax_uid": str(ts) if ts else None,
        "bits_allocated": _int(ds.get("BitsAllocated")),
        "bits_stored": _int(ds.get("BitsStored")),
        "pixel_representation": _int(ds.get("PixelRepresentation")),
        "photometric": photometric,
        "manufacturer": text("Manufacturer"),
        "manufacturer_model": text("ManufacturerModelName"),
        "series_description": text("SeriesDescription"),
        # With body_part and view_position, what axspa.spine.header reads the film's region and view from.
        "protocol": text("ProtocolName"),
        "study_description": text("StudyDescription"),
    }


# ---------------------------------------------------------------------------------- Pillow, NRRD


def _read_pillow(path: Path, img: Any) -> Radiograph:
    steps: list[str] = []
    warn: list[str] = []
    if getattr(img, "n_frames", 1) > 1:
        raise InputError(f"{path}: {img.format} has {img.n_frames} frames/pages; give a single image")
    fmt = img.format or path.suffix.lstrip(".").upper()
    orientation = img.getexif().get(0x0112, 1) if hasattr(img, "getexif") else 1
    if orientation not in (1, None):
        warn.append(f"EXIF Orientation {orientation}: viewers show this image rotated/flipped; "
                    f"axspa uses the pixels as stored")
    mode = img.mode
    if mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        steps.append("palette image expanded to RGB")
    elif mode == "CMYK":
        img = img.convert("RGB")
        steps.append("CMYK converted to RGB")
    arr = np.asarray(img)
    source_dtype = arr.dtype  # before any colour conversion turns it into float
    if arr.ndim == 3:
        if arr.shape[2] >= 3:
            arr = arr[..., :3].astype(np.float64) @ _LUMA
            steps.append("colour converted to grey by luminance (0.299 R + 0.587 G + 0.114 B)")
            warn.append(f"colour image ({mode}); converted to grey")
        else:
            arr = arr[..., 0]  # grey + alpha: the alpha channel is not image content
            steps.append("alpha channel dropped")
    if source_dtype in (np.dtype(np.uint8), np.dtype(bool)):
        pixels = arr.astype(np.float64) / (1.0 if source_dtype == np.dtype(bool) else 255.0)
        steps.append("8-bit values scaled 0..255 to 0..1")
    elif mode.startswith("I;16") or arr.dtype == np.uint16:
        pixels = _minmax(arr, steps, reason="16-bit kept at full depth, ")
    else:
        pixels = _minmax(arr, steps)
    spacing = _tiff_spacing(img, steps, warn) if fmt == "TIFF" else None
    if spacing is None and not any("spacing" in w for w in warn):
        warn.append(f"{fmt} files carry no pixel spacing; mm values unavailable")
    meta = {"format": fmt, "mode": mode, "modality": None, "bits_stored": _pillow_bits(mode, arr)}
    return Radiograph(pixels=pixels.astype(np.float32), spacing_mm=spacing, photometric="MONOCHROME2",
                      steps=steps, warnings=warn, meta=meta)


def _pillow_bits(mode: str, arr: np.ndarray) -> int:
    return {"1": 1, "L": 8, "LA": 8, "RGB": 8, "RGBA": 8, "P": 8}.get(mode, arr.dtype.itemsize * 8)


def _tiff_spacing(img: Any, steps: list[str], warn: list[str]) -> tuple[float, float] | None:
    """TIFF XResolution/YResolution are pixels per unit; unit 2 = inch, 3 = cm, 1 = none."""
    tags = getattr(img, "tag_v2", {})
    unit = tags.get(296, 2)
    xres, yres = _float(tags.get(282), None), _float(tags.get(283), None)
    if unit not in (2, 3) or not xres or not yres or xres <= 0 or yres <= 0:
        return None
    mm_per_unit = 25.4 if unit == 2 else 10.0
    spacing = (mm_per_unit / yres, mm_per_unit / xres)
    steps.append(f"spacing from TIFF resolution {number(xres, '.6g')} x {number(yres, '.6g')} per "
                 f"{'inch' if unit == 2 else 'cm'}: {number(spacing[0], '.6g')} x {number(spacing[1], '.6g')} mm")
    warn.append("pixel spacing taken from the TIFF resolution tags; check it is the patient scale, "
                "not a scanner or print resolution")
    return spacing


def _read_nrrd(path: Path) -> Radiograph:
    from axspa.io import nrrd_format

    try:
        data, header = nrrd_format.read(path)
    except Exception as e:  # NrrdFormatError (a ValueError) for bad headers or data, OSError
        raise InputError(f"{path}: not a readable NRRD file ({e})") from e
    ndim = data.ndim
    directions = _nrrd_axis_lengths(header, ndim)
    if ndim == 3 and data.shape[0] == 1:
        data = data[0]
        directions = directions[:2]  # file axis order i, j, k; C-order drops the leading k
    elif ndim != 2:
        raise InputError(f"{path}: NRRD has shape {tuple(data.shape)}; expected a 2D image or a 3D one "
                         f"with a single slice")
    steps: list[str] = []
    warn: list[str] = []
    spacing = None
    if directions and all(d is not None and d > 0 for d in directions[:2]):
        spacing = (float(directions[1]), float(directions[0]))  # (row = j, column = i)
        steps.append(f"spacing from NRRD header {number(spacing[0], '.6g')} x {number(spacing[1], '.6g')} mm")
    else:
        warn.append("NRRD header has no usable spacing; mm values unavailable")
    pixels = _minmax(data.astype(np.float64), steps)
    meta = {"format": "NRRD", "modality": None, "nrrd_type": header.get("type")}
    return Radiograph(pixels=pixels.astype(np.float32), spacing_mm=spacing, photometric="MONOCHROME2",
                      steps=steps, warnings=warn, meta=meta)


def _nrrd_axis_lengths(header: dict, ndim: int) -> list[float | None]:
    """Per file axis (i first) length of the space direction, else the 'spacings' field."""
    dirs = header.get("space directions")
    if dirs is not None:
        out = []
        for row in np.asarray(dirs, dtype=object):
            try:
                v = np.asarray(row, dtype=float)
                out.append(float(np.linalg.norm(v)) if np.all(np.isfinite(v)) else None)
            except (TypeError, ValueError):
                out.append(None)
        return out
    spacings = header.get("spacings")
    if spacings is not None:
        return [float(s) if np.isfinite(s) else None for s in np.asarray(spacings, dtype=float)]
    return [None] * ndim


# ------------------------------------------------------------------------------------- helpers


def _minmax(values: np.ndarray, steps: list[str], reason: str = "") -> np.ndarray:
    """Scale the finite values' min..max to 0..1; non-finite values stay NaN (read_radiograph masks them)."""
    values = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    lo, hi = (float(values[finite].min()), float(values[finite].max())) if finite.any() else (0.0, 0.0)
    steps.append(f"{reason}scaled min..max ({number(lo, '.6g')}..{number(hi, '.6g')}) to 0..1")
    with np.errstate(invalid="ignore"):
        out = (values - lo) / (hi - lo) if hi > lo else np.zeros_like(values)
    out[~finite] = np.nan
    return out


def _float(value: Any, default: float | None) -> float | None:
    if value is None or value == "":
        return default
    try:
        if isinstance(value, (list, tuple)) or (hasattr(value, "__len__") and not isinstance(value, (str, bytes))):
            value = list(value)[0]
        if isinstance(value, bytes):
            value = value.decode(errors="replace")
        out = float(str(value).strip()) if not isinstance(value, (int, float)) else float(value)
        return out if math.isfinite(out) else None
    except (TypeError, ValueError, IndexError):
        return None


def _multi(value: Any) -> list[float | None]:
    """A DS/IS that may be multi-valued, a raw backslash string or bytes -> list of floats (None if bad)."""
    if value is None:
        return []
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    if isinstance(value, str):
        items: list[Any] = [v for v in value.split("\\")] if value.strip() else []
    elif isinstance(value, (int, float)):
        items = [value]
    else:
        try:
            items = list(value)
        except TypeError:
            items = [value]
    return [_float(v, None) for v in items]


def _multi_str(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _int(value: Any) -> int | None:
    f = _float(value, None)
    return int(f) if f is not None else None
