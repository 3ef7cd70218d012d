"""Reading tables: the two formats, spreadsheet quirks, and one clear error per kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from axspa.image import InputError
from axspa.spine.readings import read_reading_table
from axspa.spine.sites import ALL_SITES, CERVICAL_SITES, FINDINGS


def write(tmp_path: Path, text: str, name: str = "reading.csv", encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_grade_column_with_empty_as_unscorable(tmp_path):
    p = write(tmp_path, "site,grade\nC2i,0\nC3s,2\nC3i,\nL5i,3\n")
    assert read_reading_table(p) == {"C2i": 0, "C3s": 2, "C3i": None, "L5i": 3}


def test_bom_semicolons_case_and_blank_lines(tmp_path):
    # What Excel writes as "CSV UTF-8" in a locale with decimal commas.
    p = write(tmp_path, "\ufeffSite;Grade\r\n\r\nc2i;1\r\nT1S;2.0\r\n", encoding="utf-8")
    assert read_reading_table(p) == {"C2i": 1, "T1s": 2}


def test_finding_columns_graded_with_the_rules(tmp_path):
    header = "site," + ",".join(FINDINGS)
    # C4i bridging, C5s osteophyte only: the level C4/5 makes both 3. C3s squaring only: 0 (C3 rule).
    rows = {
        "C3s": {"squaring": 1},
        "C4s": {"squaring": 1},
        "C4i": {"bridging": 1},
        "C5s": {"osteophyte": 1},
        "C5i": {"not_visible": 1},
        "C6s": {"syndesmophyte": 1, "erosion": 1},
    }
    lines = [header] + [s + "," + ",".join(str(r.get(f, 0)) for f in FINDINGS) for s, r in rows.items()]
    p = write(tmp_path, "\n".join(lines) + "\n")
    assert read_reading_table(p) == {"C3s": 0, "C4s": 1, "C4i": 3, "C5s": 3, "C5i": None, "C6s": 2}


@pytest.mark.parametrize("text, message", [
    ("site,grade\nC2i,1\nC9s,2\n", "line 3: unknown site 'C9s'"),
    ("site,grade\nC2i,1\nc2i,2\n", "line 3: site C2i appears twice (first on line 2)"),
    ("site,grade\nC2i,4\n", "line 2: grade '4' is not an integer from 0 to 3"),
    ("site,grade\nC2i,1.5\n", "line 2: grade '1.5' is not an integer"),
    ("site,grade\nC2i,x\n", "line 2: grade 'x' is not an integer"),
    ("site,grade\nC2i,-1\n", "grade '-1'"),
    ("grade\n1\n", "no 'site' column"),
    ("site,erosion,sclerosis\nC2i,0,0\n", "missing squaring, syndesmophyte, bridging, osteophyte, other"),
    ("", "empty file"),
    ("site,grade\n\n", "no site rows"),
    ("site,grade\nC2i,1,7\n", "line 2: 3 values for 2 columns"),
])
def test_bad_tables_name_file_and_problem(tmp_path, text, message):
    p = write(tmp_path, text)
    with pytest.raises(InputError) as exc:
        read_reading_table(p)
    assert str(p) in str(exc.value)
    assert message in str(exc.value)


def test_finding_not_zero_or_one(tmp_path):
    header = "site," + ",".join(FINDINGS)
    p = write(tmp_path, f"{header}\nC2i,0,0,0,0.7,0,0,0,0\n")
    with pytest.raises(InputError, match=r"line 2: finding syndesmophyte = '0.7' is not 0 or 1"):
        read_reading_table(p)
    p = write(tmp_path, f"{header}\nC2i,0,0,0,,0,0,0,0\n", name="blank.csv")
    with pytest.raises(InputError, match="finding syndesmophyte = '' is not 0 or 1"):
        read_reading_table(p)


def test_missing_file_and_non_utf8(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_reading_table(tmp_path / "nope.csv")
    p = write(tmp_path, "site,grade\nC2i,1\n# \xe9\n", encoding="latin-1")
    with pytest.raises(InputError, match="not UTF-8"):
        read_reading_table(p)
    with pytest.raises(InputError, match="is a folder"):
        read_reading_table(tmp_path)


def test_full_cervical_reading_round_trip(tmp_path):
    values = [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, ""]
    text = "site,grade\n" + "".join(f"{s},{v}\n" for s, v in zip(CERVICAL_SITES, values))
    grades = read_reading_table(write(tmp_path, text))
    assert list(grades) == list(CERVICAL_SITES)
    assert grades["T1s"] is None and sum(g for g in grades.values() if g is not None) == 15


def _reader_study_table(tmp_path):
    lines = ["study,site,grade"] + [f"S1,{s},1" for s in ALL_SITES] + [f"S2,{s},2" for s in ALL_SITES]
    path = tmp_path / "reader.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_reader_study_table_needs_a_study_and_scores_the_one_chosen(tmp_path):
    from axspa.spine.readings import list_studies
    from axspa.spine.rules import total_score

    path = _reader_study_table(tmp_path)
    assert list_studies(path) == ["S1", "S2"]
    with pytest.raises(InputError, match=r"reader\.csv: holds 2 studies \(S1, S2\); choose one"):
        read_reading_table(path)
    assert total_score(read_reading_table(path, study="S2")).total == 48
    with pytest.raises(InputError, match="no study 'S3'"):
        read_reading_table(path, study="S3")


def test_study_cannot_be_chosen_in_a_single_reading(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("site,grade\nC2i,1\n")
    with pytest.raises(InputError, match="no 'study' column"):
        read_reading_table(path, study="S1")
