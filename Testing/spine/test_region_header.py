"""The spine region from the DICOM header (issue 15): the header is the prior, the image's disagreement is a
warning and a review flag, an unsure image-only call is flagged, the user's region wins, and films the header
says are no lateral spine (frontal views, chest, pelvis) are refused, never scored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import numpy as np
import pytest
from fake_predictors import install_bundle

from axspa.cli import main
from axspa.image import InputError
from axspa.io.dicom_write import write_radiograph_dicom
from axspa.io.radiograph import read_radiograph
from axspa.results import validate
from axspa.spine.header import header_region, not_lateral_spine
from axspa.spine.pipeline import SpineModels, score_radiograph


def _models(tmp_path: Path, monkeypatch, confidence: Optional[float] = 0.93) -> SpineModels:
    """The fake landmark model sees every film as cervical, sure to ``confidence``."""
    models = tmp_path / "models"
    config = {} if confidence is None else {"region_confidence": confidence}
    install_bundle(models, "spine-landmarks", "FixedLandmarks", config)
    install_bundle(models, "spine-corners", "FixedCorners", {"findings": {}})
    monkeypatch.setenv("AXSPA_MODELS", str(models))
    return SpineModels()


def _film(tmp_path: Path, name: str = "film.dcm", **header) -> Path:
    """A DICOM film; ``header`` sets body_part/view_position, other tags by keyword (None removes one)."""
    path = tmp_path / name
    pixels = (np.arange(120 * 90) % 4096).reshape(120, 90).astype(np.uint16)
    body_part = header.pop("body_part", "")
    view = header.pop("view_position", "LL")
    write_radiograph_dicom(path, pixels, spacing_mm=(0.2, 0.2), body_part=body_part, view_position=view,
                           extra=header, seed_uid_from=name)
    return path


@pytest.mark.parametrize(("tags", "region"), [
    ({"BodyPartExamined": "LSPINE"}, "lumbar"),
    ({"SeriesDescription": "L-SPINE LAT"}, "lumbar"),
    ({"SeriesDescription": "LWS seitlich"}, "lumbar"),
    ({"ProtocolName": "Lumbosacral_lat"}, "lumbar"),
    ({"StudyDescription": "THORACOLUMBAR SPINE"}, "lumbar"),
    ({"BodyPartExamined": "CSPINE"}, "cervical"),
    ({"SeriesDescription": "HWS seitlich"}, "cervical"),
    ({"SeriesDescription": "CERVICAL SPINE LAT"}, "cervical"),
    ({"SeriesDescription": "C-SPINE + L-SPINE"}, None),  # both: the header does not settle it
    ({"BodyPartExamined": "TSPINE"}, None),
    ({"BodyPartExamined": "SPINE"}, None),
    ({}, None),
])
def test_header_region_from_words(tags, region):
    assert header_region(tags)[0] == region


def test_header_silent_says_nothing_both_says_why():
    assert header_region({"BodyPartExamined": "SPINE"}) == (None, "")
    assert "both" in header_region({"SeriesDescription": "C-SPINE + L-SPINE"})[1]


@pytest.mark.parametrize(("tags", "refused"), [
    ({"BodyPartExamined": "LSPINE", "ViewPosition": "AP"}, True),
    ({"BodyPartExamined": "CHEST", "ViewPosition": "LL"}, True),
    ({"BodyPartExamined": "PELVIS"}, True),
    ({"SeriesDescription": "Hand PA"}, True),
    ({"SeriesDescription": "XR 2 views", "ViewPosition": ""}, False),  # says nothing that rules it out
    ({"BodyPartExamined": "LSPINE", "ViewPosition": "LAT"}, False),
    ({"BodyPartExamined": "CHEST", "SeriesDescription": "C-SPINE LAT"}, False),  # names a spine: scored
    ({}, False),
])
def test_not_lateral_spine_only_on_what_the_header_states(tags, refused):
    assert (not_lateral_spine(tags) is not None) == refused


def test_header_lumbar_image_cervical_scored_lumbar_warned_and_flagged(tmp_path, monkeypatch):
    models = _models(tmp_path, monkeypatch, 0.93)
    film = read_radiograph(_film(tmp_path, SeriesDescription="L-SPINE LAT"))
    doc = score_radiograph(film, "auto", models=models)
    validate(doc, "spine")
    assert doc["region"] == "lumbar" and doc["region_source"] == "header" and doc["region_review"] is True
    assert doc["sites"][0]["id"] == "T12i"
    assert ("header says lumbar (SeriesDescription 'L-SPINE LAT'), the image looks cervical (0.93): scored as "
            "lumbar; check the region") in doc["warnings"]


def test_header_and_image_agreeing_is_quiet(tmp_path, monkeypatch):
    models = _models(tmp_path, monkeypatch, 0.95)
    doc = score_radiograph(read_radiograph(_film(tmp_path, body_part="CSPINE")), "auto", models=models)
    assert doc["region"] == "cervical" and doc["region_source"] == "header" and doc["region_review"] is False
    assert not any("region" in w for w in doc["warnings"])


def test_no_header_and_unsure_image_is_warned_and_flagged(tmp_path, monkeypatch):
    models = _models(tmp_path, monkeypatch, 0.7)
    doc = score_radiograph(read_radiograph(_film(tmp_path)), "auto", models=models)
    validate(doc, "spine")
    assert doc["region"] == "cervical" and doc["region_source"] == "image" and doc["region_review"] is True
    assert any(w.startswith("region unsure: the image looks cervical (0.70)") for w in doc["warnings"])


def test_no_header_and_sure_image_is_not_flagged(tmp_path, monkeypatch):
    models = _models(tmp_path, monkeypatch, 0.97)
    doc = score_radiograph(read_radiograph(_film(tmp_path)), "auto", models=models)
    assert doc["region_source"] == "image" and doc["region_review"] is False


def test_the_user_region_wins_with_a_warning_when_the_header_says_the_other(tmp_path, monkeypatch):
    models = _models(tmp_path, monkeypatch, 0.93)
    film = read_radiograph(_film(tmp_path, body_part="LSPINE"))
    doc = score_radiograph(film, "cervical", models=models)
    assert doc["region"] == "cervical" and doc["region_source"] == "user" and doc["region_review"] is False
    assert "the header says lumbar (BodyPartExamined 'LSPINE'), the region given is cervical: scored as " \
           "cervical" in doc["warnings"]


@pytest.mark.parametrize(("header", "words"), [
    ({"body_part": "LSPINE", "view_position": "AP"}, "ViewPosition 'AP': a frontal view"),
    ({"body_part": "CHEST", "view_position": "LL"}, "BodyPartExamined 'CHEST' and no spine named"),
])
def test_a_film_the_header_says_is_no_lateral_spine_is_refused(tmp_path, monkeypatch, capsys, header, words):
    _models(tmp_path, monkeypatch)
    path = _film(tmp_path, **header)
    with pytest.raises(InputError, match=words):
        score_radiograph(read_radiograph(path), "lumbar", models=SpineModels())
    out = tmp_path / "out"
    assert main(["spine", str(path), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and words in err and not list(out.glob("*.spine.json"))


def test_the_command_line_says_the_region_is_flagged(tmp_path, monkeypatch, capsys):
    _models(tmp_path, monkeypatch, 0.93)
    path = _film(tmp_path, "back.dcm", body_part="LSPINE")
    out = tmp_path / "out"
    assert main(["spine", str(path), "--out", str(out)]) == 0
    assert "lumbar" in capsys.readouterr().out.split("region flagged for review")[0]
    doc = json.loads((out / "back.spine.json").read_text())
    assert doc["region"] == "lumbar" and doc["region_review"] is True
