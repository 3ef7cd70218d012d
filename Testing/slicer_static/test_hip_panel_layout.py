"""The Hip Inflammation panel as the .ui lays it out (issue 11, part 4): the scoring parameters start collapsed,
the panel lists the segment names a segmentation needs, and says why "Score existing segmentation" is off."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from axspa.hip.segments import HIP_SEGMENTS

REPO = Path(__file__).resolve().parents[2]
UI = ET.parse(REPO / "HipInflammation" / "Resources" / "UI" / "HipInflammation.ui").getroot()


def _widget(name: str) -> ET.Element:
    [widget] = [w for w in UI.iter("widget") if w.get("name") == name]
    return widget


def _property(widget: ET.Element, name: str) -> str:
    [prop] = [p for p in widget.findall("property") if p.get("name") == name]
    return "".join(prop.itertext()).strip()


def test_scoring_parameters_start_collapsed():
    assert _property(_widget("parametersCollapsibleButton"), "collapsed") == "true"
    for section in ("inputsCollapsibleButton", "outputsCollapsibleButton", "actionsCollapsibleButton"):
        assert not [p for p in _widget(section).findall("property") if p.get("name") == "collapsed"]


def test_the_panel_lists_every_segment_name_a_segmentation_needs():
    text = _property(_widget("segmentNamesLabel"), "text")
    assert all(segment.name in text for segment in HIP_SEGMENTS)
    assert _property(_widget("segmentNamesLabel"), "wordWrap") == "true"


def test_the_panel_says_why_score_existing_segmentation_is_off_before_anything_is_selected():
    assert _property(_widget("scoreButton"), "enabled") == "false"
    hint = _property(_widget("scoreHintLabel"), "text")
    assert "Score existing segmentation" in hint and "needs a STIR volume" in hint and "segmentation (Outputs)" in hint
