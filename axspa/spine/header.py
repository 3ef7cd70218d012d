"""What a radiograph's DICOM header says about the film: spine segment (cervical / lumbar), view, other body
parts. Shared by the batch folder scanner (which job a file gets) and the spine pipeline (a prior on the
region, and refusing films that are not lateral spine views), so that both judge a header the same way.

Words are matched whole ('CERVICAL SPINE' holds no 'L SPINE'), upper-cased, underscores read as spaces."""

from __future__ import annotations

import re
from typing import Any, Mapping, Optional

# The free-text fields read, in the order they are named in messages.
TEXT_TAGS = ("BodyPartExamined", "SeriesDescription", "ProtocolName", "StudyDescription")
# DICOM defined terms (CSPINE, LSPINE, LSSPINE, TLSPINE) and what departments type; German HWS/LWS
# (Hals-/Lendenwirbelsaeule). Not NECK: 'FEMORAL NECK' is a hip film. A thoracolumbar film holds T12-L1,
# the lumbar segment's top: lumbar is the better prior of the two; a cervicothoracic one is left to the image
# (it may miss C2).
SPINE_WORDS = {"cervical": ("CSPINE", "C-SPINE", "C SPINE", "CERVICAL", "HWS"),
               "lumbar": ("LSPINE", "L-SPINE", "L SPINE", "LUMBAR", "LWS", "LUMBOSACRAL", "LSSPINE", "LS SPINE",
                          "LS-SPINE", "TLSPINE", "THORACOLUMBAR")}
SPINE_ANY = ("SPINE", "WIRBELSAEULE", "COLUMN")
THORACIC_WORDS = ("TSPINE", "T-SPINE", "T SPINE", "THORACIC SPINE", "DORSAL SPINE", "BWS", "CTSPINE",
                  "CERVICOTHORACIC")
PELVIS_WORDS = ("PELVIS", "PELVIC", "SACROILIAC", "SIJ", "SIJS", "SI JOINT", "SI JOINTS", "BECKEN", "ISG")
# Body parts that are never an mSASSS film; only believed when no spine word is there too.
OTHER_PART_WORDS = ("CHEST", "THORAX", "LUNG", "LUNGS", "RIBS", "ABDOMEN", "HIP", "HIPS", "FEMUR", "KNEE", "KNEES",
                    "HAND", "HANDS", "WRIST", "FOOT", "FEET", "ANKLE", "SHOULDER", "ELBOW", "SKULL", "SINUS",
                    "BREAST", "HUEFTE", "KNIE")
LATERAL_VIEWS = {"LL", "RL", "LAT", "LATERAL", "LLD", "RLD"}
FRONTAL_VIEWS = {"AP", "PA", "APD", "PAD"}


def says(text: str, words: tuple[str, ...]) -> bool:
    """Whether ``text`` holds one of ``words`` as a whole word ('CERVICAL SPINE' holds no 'L SPINE')."""
    return any(re.search(rf"(?<![A-Z0-9]){re.escape(w)}(?![A-Z0-9])", text) for w in words)


def header_text(tags: Mapping[str, Any]) -> str:
    """The free-text fields together, upper-cased, for ``says``."""
    return " ".join(str(tags.get(k) or "") for k in TEXT_TAGS).upper().replace("_", " ")


def named(tags: Mapping[str, Any], with_view: bool = True) -> str:
    """The fields that say something, as messages quote them: "BodyPartExamined 'LSPINE', ViewPosition 'LL'"."""
    text = ", ".join(f"{k} '{tags[k]}'" for k in TEXT_TAGS if tags.get(k)) or "no body part or description"
    view = view_of(tags)
    return text + (f", ViewPosition '{view}'" if with_view and view else "")


def view_of(tags: Mapping[str, Any]) -> str:
    return str(tags.get("ViewPosition") or "").strip().upper()


def spine_regions(tags: Mapping[str, Any]) -> list[str]:
    """The segments the header names (none, one, or both)."""
    text = header_text(tags)
    return [r for r, words in SPINE_WORDS.items() if says(text, words)]


def header_region(tags: Mapping[str, Any]) -> tuple[Optional[str], str]:
    """(cervical | lumbar | None, reason). None with reason '' when the header says nothing of the segment;
    None with a reason when what it says does not settle it (both segments, the thoracic spine)."""
    regions = spine_regions(tags)
    if len(regions) == 1:
        return regions[0], _first_saying(tags, SPINE_WORDS[regions[0]])
    if len(regions) == 2:
        return None, f"the header names both cervical and lumbar spine ({named(tags, False)})"
    if says(header_text(tags), THORACIC_WORDS):
        return None, f"the header names the thoracic spine ({named(tags, False)}); mSASSS scores cervical and lumbar"
    return None, ""


def _first_saying(tags: Mapping[str, Any], words: tuple[str, ...]) -> str:
    """The first field that says one of ``words``, as quoted in warnings: "SeriesDescription 'L-SPINE LAT'"."""
    for key in TEXT_TAGS:
        if tags.get(key) and says(str(tags[key]).upper().replace("_", " "), words):
            return f"{key} '{tags[key]}'"
    return named(tags, False)


def not_lateral_spine(tags: Mapping[str, Any]) -> Optional[str]:
    """Why the header says this is not a lateral spine film (None when it says it is, or says nothing that
    rules it out). Only what the header states refuses a film: a silent header never does."""
    text, view = header_text(tags), view_of(tags)
    spine = bool(spine_regions(tags)) or says(text, SPINE_ANY) or says(text, THORACIC_WORDS)
    if view in FRONTAL_VIEWS:
        return f"ViewPosition '{view}': a frontal view; mSASSS is scored on lateral views"
    other = PELVIS_WORDS + OTHER_PART_WORDS
    if not spine and says(text, other):
        return f"{_first_saying(tags, other)} and no spine named: not a lateral spine film"
    return None


def radiograph_tags(meta: Mapping[str, Any]) -> dict:
    """The header fields above from a Radiograph's ``meta`` (axspa.io.radiograph keeps them for DICOM; other
    formats have none, and so say nothing)."""
    keys = {"BodyPartExamined": "body_part", "SeriesDescription": "series_description",
            "ProtocolName": "protocol", "StudyDescription": "study_description", "ViewPosition": "view_position"}
    return {tag: str(meta.get(key) or "").strip() for tag, key in keys.items()}
