"""A folder scanned into a plan: DICOM radiographs one case each, DICOM MR grouped into series, volume files;
each assigned a job from what its tags (or dimensionality) say, with the reason recorded. What cannot be
assigned is listed, never guessed: a 2-D PNG says nothing of the body part, a T1 series is no STIR."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from axspa.batch.plan import Case, Plan, PlanLine, safe_id
from axspa.spine.header import (
    FRONTAL_VIEWS,
    LATERAL_VIEWS,
    PELVIS_WORDS,
    SPINE_ANY,
    header_text,
    named,
    says,
    spine_regions,
    view_of,
)

VOLUME_SUFFIXES = (".nrrd", ".nhdr", ".nii", ".nii.gz", ".mha", ".mhd")
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
DICOM_SUFFIXES = (".dcm", ".dicom", ".ima")
# Files that are outputs, notes or tables, not images: listed as ignored.
OUTPUT_SUFFIXES = (".seg.nrrd", ".heatmap.nrrd")
RADIOGRAPH_MODALITIES = {"CR", "DX", "RF", "XA", "DR", "PX", "RG", "OT", "SC"}
_TAGS = ["Modality", "BodyPartExamined", "ViewPosition", "SeriesDescription", "ProtocolName", "StudyDescription",
         "PatientID", "StudyDate", "SeriesInstanceUID", "SeriesNumber", "Rows", "Columns", "NumberOfFrames",
         "ImageOrientationPatient", "SequenceName", "ScanningSequence", "InversionTime", "SOPClassUID"]


@dataclass
class _Dicom:
    path: Path
    tags: dict


def scan_folder(folder: Path, skip: Optional[Path] = None) -> Plan:
    """The plan of every file under ``folder`` (hidden files and the folder ``skip``, the batch's own output,
    left out)."""
    plan = Plan(source=str(folder))
    radiographs: list[_Dicom] = []
    series: dict[str, list[_Dicom]] = {}
    for path in _files(folder, skip):
        dicom = _classify(path, plan)
        if dicom is None:
            continue
        modality = dicom.tags.get("Modality", "").upper()
        frames = _int(dicom.tags.get("NumberOfFrames")) or 1
        if modality in RADIOGRAPH_MODALITIES and frames == 1:
            radiographs.append(dicom)
        else:
            series.setdefault(dicom.tags.get("SeriesInstanceUID", "") or str(path), []).append(dicom)
    for dicom in radiographs:
        _radiograph_case(folder, dicom, plan)
    for uid, files in series.items():
        _series_case(folder, uid, files, plan)
    _unique_ids(plan)
    return plan


def _files(folder: Path, skip: Optional[Path]) -> list[Path]:
    skip = skip.resolve() if skip is not None else None
    found = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if skip is not None and (path.resolve() == skip or skip in path.resolve().parents):
            continue
        if path.is_file() or (path.is_symlink() and not path.exists()):
            found.append(path)
    return found


def _classify(path: Path, plan: Plan) -> Optional[_Dicom]:
    """A DICOM file's tags, or None when the file was placed in the plan (volume, picture, ignored, bad)."""
    name = path.name.lower()
    if name.endswith(OUTPUT_SUFFIXES):
        plan.lines.append(PlanLine(str(path), "ignored", "a segmentation or heat map, not an input image"))
        return None
    try:
        size = path.stat().st_size
    except OSError as exc:
        plan.lines.append(PlanLine(str(path), "failed", f"cannot read: {exc.strerror or exc}"))
        return None
    if name.endswith(VOLUME_SUFFIXES):
        _volume_case(path, plan)
        return None
    if name.endswith(PICTURE_SUFFIXES):
        plan.lines.append(PlanLine(str(path), "unassigned", "a picture file has no tags naming the body part or "
                                   "view: list it in a manifest with its job"))
        return None
    if size == 0:
        status = "failed" if name.endswith(DICOM_SUFFIXES) else "ignored"
        plan.lines.append(PlanLine(str(path), status, "zero-byte file"))
        return None
    tags, problem = _dicom_tags(path)
    if tags is None:
        if name.endswith(DICOM_SUFFIXES):
            plan.lines.append(PlanLine(str(path), "failed", f"not a readable DICOM file ({problem})"))
        else:
            plan.lines.append(PlanLine(str(path), "ignored", "not an image (no DICOM header, no image extension)"))
        return None
    if not tags.get("has_pixels"):
        if tags.get("Rows"):
            plan.lines.append(PlanLine(str(path), "failed", "DICOM image header without pixel data"))
        else:
            plan.lines.append(PlanLine(str(path), "ignored", "DICOM object holding no image (e.g. a report, "
                                       "a presentation state or a DICOMDIR)"))
        return None
    return _Dicom(path, tags)


def _dicom_tags(path: Path) -> tuple[Optional[dict], str]:
    import pydicom

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = pydicom.dcmread(path, defer_size=256, force=path.name.lower().endswith(DICOM_SUFFIXES))
            tags = {k: _text(ds.get(k)) for k in _TAGS}
            tags["ImageOrientationPatient"] = ds.get("ImageOrientationPatient")
            tags["has_pixels"] = any(k in ds for k in ("PixelData", "FloatPixelData", "DoubleFloatPixelData"))
    except Exception as exc:  # noqa: BLE001 (any damage: the file is listed with why)
        return None, " ".join(str(exc).split()) or type(exc).__name__
    if not tags.get("SOPClassUID") and not tags.get("Modality") and not tags["has_pixels"]:
        return None, "no DICOM data elements"
    return tags, ""


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue":
        return "\\".join(str(v) for v in value)
    return str(value).strip()


def _volume_case(path: Path, plan: Plan) -> None:
    import SimpleITK

    reader = SimpleITK.ImageFileReader()
    reader.SetFileName(str(path))
    try:
        reader.ReadImageInformation()
        size = reader.GetSize()
    except RuntimeError as exc:
        plan.lines.append(PlanLine(str(path), "failed", f"not a readable volume file ({_first_line(exc)})"))
        return
    if len(size) >= 3 and size[2] >= 2:
        plan.cases.append(Case(case_id="", job="hip", path=str(path), files=[str(path)],
                               reason=f"3-D volume file ({'x'.join(map(str, size))}): hip is the job for volumes"))
    else:
        plan.lines.append(PlanLine(str(path), "unassigned", f"{len(size)}-D image file "
                                   f"({'x'.join(map(str, size))}) without tags naming the body part: list it in a "
                                   "manifest with its job"))


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


def _radiograph_case(folder: Path, dicom: _Dicom, plan: Plan) -> None:
    job, region, reason = radiograph_job(dicom.tags)
    if job is None:
        plan.lines.append(PlanLine(str(dicom.path), "unassigned", reason))
        return
    plan.cases.append(Case(case_id=_id_of(folder, dicom.path), job=job, path=str(dicom.path),
                           patient_id=dicom.tags.get("PatientID", ""), visit_date=_date(dicom.tags.get("StudyDate")),
                           region=region, reason=reason, files=[str(dicom.path)]))


def radiograph_job(tags: dict) -> tuple[Optional[str], str, str]:
    """(job, region, reason) of a 2-D radiograph from its tags; job None when they do not say (the reason
    says what they said). The words are axspa.spine.header's, which the spine pipeline judges films by too."""
    text, view, what = header_text(tags), view_of(tags), named(tags)
    regions = spine_regions(tags)
    spine = bool(regions) or says(text, SPINE_ANY)
    pelvis = says(text, PELVIS_WORDS)
    if spine and pelvis:
        return None, "auto", f"{what}: names both spine and pelvis; list it in a manifest with its job"
    if spine:
        if view in FRONTAL_VIEWS:
            return None, "auto", f"{what}: a frontal spine film; mSASSS is scored on lateral views"
        region = regions[0] if len(regions) == 1 else "auto"
        return "spine", region, f"{what}: lateral spine" + (f" ({region})" if region != "auto" else "")
    if pelvis:
        if view in LATERAL_VIEWS:
            return None, "auto", f"{what}: a lateral pelvis film; sacroiliitis is graded on AP views"
        return "sij", "auto", f"{what}: pelvis"
    return None, "auto", f"{what}: neither spine nor pelvis; list it in a manifest if it should be scored"


def _series_case(folder: Path, uid: str, files: list[_Dicom], plan: Plan) -> None:
    from axspa.hip.inputs import plane_of_orientation
    from axspa.hip.sequence import looks_like_stir

    first = files[0].tags
    paths = [str(f.path) for f in files]
    differ = _conflicts(files)
    if differ:
        plan.lines.append(PlanLine(str(files[0].path.parent), "failed",
                                   f"{len(files)} files share SeriesInstanceUID {uid} but differ in {differ}: "
                                   "two series under one UID cannot be told apart; give them their own UIDs or "
                                   "list each folder in a manifest"))
        return
    description = first.get("SeriesDescription") or first.get("ProtocolName") or "no description"
    plane = plane_of_orientation(first.get("ImageOrientationPatient"))
    stir = looks_like_stir({"series_description": first.get("SeriesDescription"),
                            "protocol": first.get("ProtocolName"), "sequence": first.get("SequenceName"),
                            "scanning_sequence": first.get("ScanningSequence"),
                            "inversion_time": first.get("InversionTime")})
    what = (f"{first.get('Modality') or '?'} series '{description}', {plane or 'orientation unknown'}, "
            f"{len(files)} files")
    where = str(_common_parent(files))
    if first.get("Modality", "").upper() != "MR" or len(files) < 2 or plane != "coronal" or not stir:
        why = ("not MR" if first.get("Modality", "").upper() != "MR" else "a single slice" if len(files) < 2
               else "not coronal" if plane != "coronal" else "not STIR-like")
        plan.lines.append(PlanLine(where, "unassigned", f"{what}: {why}; hip scoring takes coronal STIR series"))
        return
    plan.cases.append(Case(case_id=_id_of(folder, Path(where), first.get("SeriesNumber")), job="hip", path=where,
                           patient_id=first.get("PatientID", ""), visit_date=_date(first.get("StudyDate")),
                           series_uid=uid, reason=f"{what}: coronal STIR", files=sorted(paths)))


def _conflicts(files: list[_Dicom]) -> str:
    """Which header values that one series shares differ between its files ('' when none)."""
    keys = ("Rows", "Columns", "SeriesDescription", "Modality", "PatientID")
    differ = [k for k in keys if len({f.tags.get(k, "") for f in files}) > 1]
    return ", ".join(differ)


def _common_parent(files: list[_Dicom]) -> Path:
    parents = [f.path.parent for f in files]
    common = parents[0]
    while not all(common == p or common in p.parents for p in parents):
        common = common.parent
    return common


def _id_of(folder: Path, path: Path, series_number: Any = None) -> str:
    try:
        rel = path.relative_to(folder)
    except ValueError:
        rel = Path(path.name)
    parts = list(rel.parts)
    if parts and path.is_file():
        parts[-1] = parts[-1].split(".")[0] or parts[-1]
    text = "_".join(parts) or folder.name
    if series_number:
        text += f"_S{series_number}"
    return safe_id(text)


def _date(text: Optional[str]) -> str:
    text = (text or "").strip()
    if len(text) == 8 and text.isdigit():
        return f"{text[:4]}-{text[4:6]}-{text[6:]}"
    return ""


def _int(value: Any) -> Optional[int]:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _unique_ids(plan: Plan) -> None:
    """Case ids unique ignoring case (they name folders), in the order of the scan; volume files get theirs
    from their names."""
    taken: set[str] = set()
    for case in plan.cases:
        base = case.case_id or safe_id(Path(case.path).name.split(".")[0])
        case_id, n = base, 2
        while case_id.lower() in taken:
            case_id, n = f"{base}-{n}", n + 1
        taken.add(case_id.lower())
        case.case_id = case_id
