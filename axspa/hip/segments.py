"""Hip STIR segments: names (docs/scoring.md), label values, fixed colours, Slicer terminology, and
matching the names a user typed to them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping


@dataclass(frozen=True)
class SegmentDef:
    name: str
    label: int
    color: tuple[float, float, float]  # RGB 0-1, fixed so every case looks the same
    side: str  # 'right' or 'left' (patient side)
    region: str  # 'femoral_head', 'acetabulum', 'femoral_bme', 'acetabular_bme', 'effusion'
    parent: str | None  # bone a BME segment lies inside

    @property
    def terminology(self) -> str:
        """Slicer TerminologyEntry of this segment (written into .seg.nrrd tags)."""
        return terminology_entry(self.region, self.side)


# Terminology entry: context~category~type~typeModifier~anatomicContext~region~regionModifier,
# each coded item "scheme^code^meaning" (Slicer's TerminologyEntry tag). Codes are SNOMED CT as in
# Slicer's terminology files and DICOM context groups; femoral head has no own code in Slicer's
# lists, so it is coded as the femur with its laterality.
_CONTEXT = "Segmentation category and type - 3D Slicer General Anatomy list"
_ANATOMY_CONTEXT = "Anatomic codes - DICOM master list"
_ANATOMICAL_STRUCTURE = "SCT^123037004^Anatomical Structure"
_TISSUE = "SCT^85756007^Tissue"
_ALTERED = "SCT^49755003^Morphologically Altered Structure"
_FEMUR = "SCT^71341001^Femur"
_BONE = "SCT^272673000^Bone"
_EDEMA = "SCT^79654002^Edema"
_INFLAMMATION = "SCT^23583003^Inflammation"
_SIDE = {"right": "SCT^24028007^Right", "left": "SCT^7771000^Left"}
_EMPTY = "^^"


def terminology_entry(region: str, side: str) -> str:
    """Slicer TerminologyEntry string for a hip segment region and patient side."""
    s = _SIDE[side]
    # (category, type, type modifier, anatomic region, region modifier)
    items = {
        "femoral_head": (_ANATOMICAL_STRUCTURE, _FEMUR, s, _EMPTY, _EMPTY),
        "acetabulum": (_TISSUE, _BONE, _EMPTY, _EMPTY, _EMPTY),
        "femoral_bme": (_ALTERED, _EDEMA, _EMPTY, _FEMUR, s),
        "acetabular_bme": (_ALTERED, _EDEMA, _EMPTY, _EMPTY, _EMPTY),
        "effusion": (_ALTERED, _INFLAMMATION, _EMPTY, _EMPTY, _EMPTY),
    }[region]
    category, type_, type_mod, anat, anat_mod = items
    return "~".join([_CONTEXT, category, type_, type_mod, _ANATOMY_CONTEXT, anat, anat_mod])


def _rgb(r: int, g: int, b: int) -> tuple[float, float, float]:
    return (r / 255.0, g / 255.0, b / 255.0)


HIP_SEGMENTS: tuple[SegmentDef, ...] = (
    SegmentDef("Right femoral head", 1, _rgb(241, 214, 145), "right", "femoral_head", None),
    SegmentDef("Left femoral head", 2, _rgb(230, 190, 110), "left", "femoral_head", None),
    SegmentDef("Right acetabulum", 3, _rgb(177, 122, 101), "right", "acetabulum", None),
    SegmentDef("Left acetabulum", 4, _rgb(150, 98, 83), "left", "acetabulum", None),
    SegmentDef("Right femoral BME", 5, _rgb(216, 101, 79), "right", "femoral_bme", "Right femoral head"),
    SegmentDef("Left femoral BME", 6, _rgb(200, 60, 60), "left", "femoral_bme", "Left femoral head"),
    SegmentDef("Right acetabular BME", 7, _rgb(230, 130, 40), "right", "acetabular_bme", "Right acetabulum"),
    SegmentDef("Left acetabular BME", 8, _rgb(210, 110, 20), "left", "acetabular_bme", "Left acetabulum"),
    SegmentDef("Right effusion-synovitis", 9, _rgb(111, 184, 210), "right", "effusion", None),
    SegmentDef("Left effusion-synovitis", 10, _rgb(70, 140, 200), "left", "effusion", None),
)
SEGMENT_BY_NAME: dict[str, SegmentDef] = {s.name: s for s in HIP_SEGMENTS}
LESION_REGIONS: tuple[str, ...] = ("femoral_bme", "acetabular_bme", "effusion")


def segment(side: str, region: str) -> SegmentDef:
    """The segment for a patient side ('right'/'left') and region name."""
    for s in HIP_SEGMENTS:
        if s.side == side and s.region == region:
            return s
    raise KeyError((side, region))


def match_hip_segments(masks: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Masks keyed by the canonical hip segment names, matched case- and space-insensitively (a user
    may type 'right femoral head'), and the names that match none (ignored, reported to the user)."""
    canonical = {" ".join(s.name.lower().split()): s.name for s in HIP_SEGMENTS}
    matched: dict[str, Any] = {}
    ignored: list[str] = []
    for name, mask in masks.items():
        key = canonical.get(" ".join(str(name).lower().split()))
        if key is None or key in matched:
            ignored.append(name)
        else:
            matched[key] = mask
    return matched, ignored
