"""A reading done by hand (axspa.spine.manual): its empty sites, the reader table the command line reads, and a
reader's table of many studies built up one study at a time."""

from __future__ import annotations

import pytest

from axspa.cli import main
from axspa.image import InputError
from axspa.spine.manual import (
    add_to_reader_table,
    grades_without_findings,
    reading_file_name,
    reading_sites,
    write_reading_table,
)
from axspa.spine.sites import CERVICAL_SITES, FINDINGS, LUMBAR_SITES


def test_reading_sites_are_unlocated_ungraded_and_unticked():
    sites = reading_sites(["cervical", "lumbar"])
    assert [s["id"] for s in sites] == list(CERVICAL_SITES + LUMBAR_SITES)
    assert all(s["point"] is None and s["grade"] is None for s in sites)
    assert sites[0]["findings"] == dict.fromkeys(FINDINGS, 0.0)
    with pytest.raises(ValueError, match="cervical or lumbar"):
        reading_sites(["auto"])


def test_grades_the_findings_do_not_give():
    ticked = {f: 0.0 for f in FINDINGS}
    sites = [{"id": "C2i", "grade": 2, "findings": dict(ticked, syndesmophyte=1.0)},  # given by its finding
             {"id": "C3s", "grade": 1, "findings": ticked},  # chosen without a finding
             {"id": "C3i", "grade": 3, "findings": dict(ticked, bridging=1.0)},
             {"id": "C4s", "grade": 3, "findings": ticked},  # bridging at its disc partner C3i gives 3
             {"id": "C4i", "grade": None, "findings": ticked}]  # unscorable: not a grade
    assert grades_without_findings(sites) == ["C3s"]


def test_reading_table_is_scored_by_axspa_msasss(tmp_path, capsys):
    grades = {s: 1 for s in CERVICAL_SITES} | {"C3s": None}
    path = tmp_path / reading_file_name(" P01 / V1 ")
    assert path.name == "P01_V1.reading.csv"
    assert write_reading_table(path, "P01", "R1", grades) is None
    assert path.read_text().splitlines()[:3] == ["study,reader,site,grade", "P01,R1,C2i,1", "P01,R1,C3s,"]
    assert main(["msasss", str(path)]) == 0
    assert "raw 11, score 12 (imputed C3s)" in capsys.readouterr().out
    assert "differ" in write_reading_table(path, "P01", "R1", dict(grades, C2i=2))  # kept
    with pytest.raises(InputError, match="study id"):
        write_reading_table(path, " ", "R1", grades)


def test_reader_table_grows_study_by_study(tmp_path):
    path = tmp_path / "R1.csv"
    v1, v2 = {"C2i": 1, "C3s": None}, {"C2i": 2, "C3s": 0}
    assert add_to_reader_table(path, "V1", "R1", v1) is None
    assert add_to_reader_table(path, "V2", "R1", v2) is None
    assert add_to_reader_table(path, "V1", "R1", v1) is None  # the same reading again: nothing to keep
    assert path.read_text().splitlines() == ["study,reader,site,grade", "V1,R1,C2i,1", "V1,R1,C3s,",
                                             "V2,R1,C2i,2", "V2,R1,C3s,0"]
    message = add_to_reader_table(path, "V1", "R1", {"C2i": 3, "C3s": None})
    assert "already there with other grades" in message and "V1,R1,C2i,1" in path.read_text()
    add_to_reader_table(path, "V1", "R1", {"C2i": 3, "C3s": None}, overwrite=True)
    assert path.read_text().splitlines()[1:] == ["V1,R1,C2i,3", "V1,R1,C3s,", "V2,R1,C2i,2", "V2,R1,C3s,0"]


def test_reader_table_of_another_layout_keeps_its_columns(tmp_path):
    path = tmp_path / "R2.csv"
    path.write_text("site;grade;study;note\nC2i;1;V0;checked twice\n")
    add_to_reader_table(path, "V1", "R2", {"C2i": 2})
    assert path.read_text().splitlines() == ["site,grade,study,note", "C2i,1,V0,checked twice", "C2i,2,V1,"]
    (tmp_path / "bad.csv").write_text("patient,site\nP1,C2i\n")
    with pytest.raises(InputError, match="not a reader table"):
        add_to_reader_table(tmp_path / "bad.csv", "V1", "R2", {"C2i": 2})
