"""axspa.spine.site_table: the mSASSS site table's rules on plain rows (no MRML; the node is axspa.slicer.tables)."""

from __future__ import annotations

import math

import pytest

from axspa.image import InputError
from axspa.spine.site_table import (
    SOURCE_MODEL,
    SOURCE_READER,
    grade_key,
    grade_source,
    keep_user_grades,
    parse_grade,
    row_of_site,
    user_rows,
)


def test_grade_cells_compare_by_value_and_every_unscorable_is_empty():
    assert grade_key(" 2 ") == grade_key("2.0") == "2"
    assert grade_key("unscorable") == grade_key("NaN") == grade_key("") == ""
    assert grade_source("C4i", "2.0", {"C4i": "2"}) == SOURCE_MODEL
    assert grade_source("C4i", "3", {"C4i": "2"}) == SOURCE_READER
    assert grade_source("C5s", "1", {}) == SOURCE_READER  # a row the engine never wrote


def test_a_site_becomes_a_row_of_cells():
    row = row_of_site({"id": "C4i", "grade": 2, "confidence": 0.4, "review": True,
                       "findings": {"erosion": 0.1}}, ("erosion", "bridging"))
    assert (row["site"], row["grade"], row["review"]) == ("C4i", "2", "yes")
    assert (row["confidence"], row["erosion"]) == (0.4, 0.1)
    assert math.isnan(row["bridging"])
    assert row_of_site({"id": "C5s", "grade": None}, ())["grade"] == ""


def test_rescoring_keeps_a_readers_grades_and_rows():
    rows = [{"site": "C4i", "grade": "1"}, {"site": "C5s", "grade": "0"}]
    current = [{"site": "C4i", "grade": "3"}, {"site": "C5s", "grade": "0"}, {"site": "T1s", "grade": "2"}]
    assert keep_user_grades(rows, current, {"C4i": "1", "C5s": "0"}) == ["C4i"]
    assert rows[0]["grade"] == "3" and rows[1]["grade"] == "0"
    [extra] = user_rows(current, rows, ("erosion",))
    assert extra["site"] == "T1s" and extra["grade"] == "2" and math.isnan(extra["erosion"])


def test_a_bad_grade_names_the_table_and_the_site():
    assert parse_grade("t", "C4i", "2.0") == 2 and parse_grade("t", "C4i", "-") is None
    with pytest.raises(InputError, match="table 'reading', site C4i: grade '4'"):
        parse_grade("reading", "C4i", "4")
