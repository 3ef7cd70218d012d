"""axspa.io.table: the one reader of tables users give the commands (manifests, visits)."""

from __future__ import annotations

import pytest

from axspa.image import InputError
from axspa.io.table import read_table


def test_semicolons_bom_case_blank_rows_and_line_numbers(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes("\ufeff Patient ;Visit_Date\nP1; 2020-01-01 \n;\nP2;2021-01-01\n".encode("utf-8"))
    assert read_table(path, "manifest", ("patient", "visit_date")) == [
        (2, {"patient": "P1", "visit_date": "2020-01-01"}), (4, {"patient": "P2", "visit_date": "2021-01-01"})]


@pytest.mark.parametrize(("content", "message"), [
    (b"", "t.csv: empty manifest; expected columns patient, result"),
    (b"patient,visit\nP1,x\n", r"t.csv: missing column\(s\) result; expected columns patient, result"),
    (b"\xff\xfe\x00\x00bad", "t.csv: not a text \\(CSV\\) manifest"),
])
def test_bad_tables_are_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "t.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_table(path, "manifest", ("patient", "result"))
    with pytest.raises(InputError, match="cannot read the manifest"):
        read_table(tmp_path / "nothing.csv", "manifest")
