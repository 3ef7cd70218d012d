"""AxSpAScoring "Compare with reader": the module's Logic run headless on a real slicer-core scene.

The result table and the reader's CSV below are worked by hand:

ours    cervical every site 1 except C6i 2 -> 13; lumbar every site 1 except L1s unscorable -> 11 + 1 = 12;
        total 25
reader  cervical every site 1 except C4s 3 -> 14; lumbar every site 1 except L1s 2 -> 13; total 27
disagreements (anatomical order): C4s 1 vs 3 (-2), C6i 2 vs 1 (+1), L1s unscorable vs 2; 21 of 24 agree.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from slicer_app_stubs import imported_module

REPO = Path(__file__).resolve().parents[2]
slicer = pytest.importorskip("slicer")
if not hasattr(slicer, "vtkMRMLScene"):
    pytest.skip("slicer-core (MRML) is not installed", allow_module_level=True)

from axspa.image import InputError  # noqa: E402
from axspa.slicer.tables import sites_to_table  # noqa: E402
from axspa.spine.sites import ALL_SITES, CERVICAL_SITES, FINDINGS, LUMBAR_SITES  # noqa: E402

OURS = {**{s: 1 for s in CERVICAL_SITES}, "C6i": 2, **{s: 1 for s in LUMBAR_SITES}, "L1s": None}
READER = {**{s: 1 for s in CERVICAL_SITES}, "C4s": 3, **{s: 1 for s in LUMBAR_SITES}, "L1s": 2}


@pytest.fixture
def scoring(monkeypatch):
    """The AxSpAScoring module file imported against a fresh scene (application parts stubbed)."""
    yield from imported_module(monkeypatch, REPO / "AxSpAScoring", "AxSpAScoring")


def result_table(grades: dict, name: str = "mSASSS sites"):
    sites = [{"id": s, "point": None, "grade": g} for s, g in grades.items()]
    return sites_to_table(slicer.mrmlScene, sites, name=name, findings=FINDINGS)


def write_csv(path: Path, grades: dict) -> Path:
    path.write_text("site,grade\n" + "".join(f"{s},{'' if g is None else g}\n" for s, g in grades.items()))
    return path


def rows(table) -> list[list[str]]:
    return [[table.GetCellText(r, c) for c in range(table.GetNumberOfColumns())]
            for r in range(table.GetNumberOfRows())]


def test_disagreements_and_counts_worked_by_hand(scoring, tmp_path):
    from AxSpAScoringLib.compare import summaryText

    sh = slicer.vtkMRMLSubjectHierarchyNode.GetSubjectHierarchyNode(slicer.mrmlScene)
    study = sh.CreateStudyItem(sh.CreateSubjectItem(sh.GetSceneItemID(), "patient"), "visit 1")
    table = result_table(OURS)
    sh.CreateItem(study, table)
    path = write_csv(tmp_path / "reader1.csv", READER)

    result = scoring.AxSpAScoringLogic().compareWithReader(table, path)

    assert (result["n_compared"], result["n_agree"]) == (24, 21)
    assert result["exact_agreement"] == pytest.approx(21 / 24)
    assert result["disagreeing_sites"] == ["C4s", "C6i", "L1s"]
    assert (result["our_total"], result["reader_total"]) == (25.0, 27.0)
    out = result["table"]
    assert out.GetName() == "mSASSS disagreements"
    assert [out.GetColumnName(c) for c in range(out.GetNumberOfColumns())] == \
        ["site", "ours", "reader", "difference", "agree"]
    got = rows(out)
    # Disagreements first; the unscorable side is an empty cell, and so is its difference.
    assert got[:4] == [["C4s", "1", "3", "-2", "no"], ["C6i", "2", "1", "+1", "no"], ["L1s", "", "2", "", "no"],
                       ["C2i", "1", "1", "0", "yes"]]
    assert len(got) == 24 and {r[0] for r in got} == set(ALL_SITES)
    assert [r[4] for r in got] == ["no"] * 3 + ["yes"] * 21
    # The comparison sits beside the result it compares, under the same study.
    assert sh.GetItemParent(sh.GetItemByDataNode(out)) == study
    assert out.GetAttribute("AxSpA.ReaderSource") == str(path)
    assert summaryText(result) == "21 of 24 sites agree (88%); reader total 27.0 vs ours 25.0"
    # The result table itself is left as it was.
    assert rows(table) == rows(result_table(OURS, "again"))


def test_both_unscorable_agree_and_only_common_sites_are_compared(scoring, tmp_path):
    """A cervical result against a reader who read both segments: lumbar sites are not charged as
    disagreements; a site both call unscorable agrees; the summary compares the cervical scores."""
    from AxSpAScoringLib.compare import summaryText

    ours = {**{s: 0 for s in CERVICAL_SITES}, "C7i": None}  # 11 scored zeros -> cervical 0
    reader = {**{s: 0 for s in ALL_SITES}, "C7i": None, "C2i": 1}  # 1 + 1/11 imputed -> 1.1 (rounded)
    result = scoring.AxSpAScoringLogic().compareWithReader(result_table(ours), write_csv(tmp_path / "r.csv", reader))
    assert (result["n_compared"], result["n_agree"], result["disagreeing_sites"]) == (12, 11, ["C2i"])
    assert result["only_reader"] == list(LUMBAR_SITES) and result["only_ours"] == []
    assert ["C7i", "", "", "", "yes"] in rows(result["table"])
    assert summaryText(result) == ("11 of 12 sites agree (92%); reader cervical 1.1 vs ours 0.0; "
                                   "12 site(s) listed on one side only not compared")


def test_reader_csv_with_a_bad_site_names_the_file(scoring, tmp_path):
    path = tmp_path / "reader2.csv"
    path.write_text("site,grade\nC2i,1\nC9s,2\n")
    with pytest.raises(InputError) as raised:
        scoring.AxSpAScoringLogic().compareWithReader(result_table(OURS), path)
    assert str(path) in str(raised.value) and "C9s" in str(raised.value) and "line 3" in str(raised.value)
    assert slicer.mrmlScene.GetFirstNodeByName("mSASSS disagreements") is None


def test_reader_sharing_no_site_is_an_input_error(scoring, tmp_path):
    path = write_csv(tmp_path / "lumbar-only.csv", {s: 0 for s in LUMBAR_SITES})
    with pytest.raises(InputError, match="lumbar-only.csv: no site in common"):
        scoring.AxSpAScoringLogic().compareWithReader(result_table({s: 0 for s in CERVICAL_SITES}), path)


def test_reusing_the_output_table_replaces_its_rows(scoring, tmp_path):
    logic = scoring.AxSpAScoringLogic()
    table = result_table(OURS)
    first = logic.compareWithReader(table, write_csv(tmp_path / "a.csv", READER))["table"]
    # Second reader: cervical only, agreeing everywhere but C6i.
    second = logic.compareWithReader(table, write_csv(tmp_path / "b.csv", {s: 1 for s in CERVICAL_SITES}),
                                     outputTable=first)
    assert second["table"] is first
    assert slicer.mrmlScene.GetNumberOfNodesByClass("vtkMRMLTableNode") == 2  # result + disagreements
    got = rows(first)
    assert len(got) == 12 and got[0] == ["C6i", "2", "1", "+1", "no"]
    assert ["C4s", "1", "1", "0", "yes"] in got and not any(r[0] in LUMBAR_SITES for r in got)
    assert first.GetAttribute("AxSpA.ReaderSource").endswith("b.csv")
    with pytest.raises(ValueError):
        logic.compareWithReader(table, tmp_path / "b.csv", outputTable=table)
    assert rows(table) == rows(result_table(OURS, "again"))


def test_reader_table_node_with_site_and_grade_columns(scoring):
    logic = scoring.AxSpAScoringLogic()
    # As a reader types it: lower-case site ids, one unscorable cell.
    reader = result_table({s.lower(): g for s, g in READER.items()}, name="reader R1")
    result = logic.compareWithReaderTable(result_table(OURS), reader)
    assert result["disagreeing_sites"] == ["C4s", "C6i", "L1s"] and result["n_agree"] == 21
    assert result["reader_source"] == "table 'reader R1'"

    bad = result_table({"C2i": 1, "C2x": 0}, name="reader R2")
    with pytest.raises(InputError, match="table 'reader R2': unknown site 'C2x'"):
        logic.compareWithReaderTable(result_table(OURS), bad)


def test_disagreeing_points_are_marked_not_moved_or_unlocked(scoring, tmp_path):
    import vtk

    markups = slicer.mrmlScene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode", "sites")
    for n, site in enumerate(("C4s", "C5s", "L1s", "L2s")):
        index = markups.AddControlPoint(vtk.vtkVector3d(n, 2.0 * n, 0.0), site)
        markups.SetNthControlPointDescription(index, "grade 1, confidence 0.90")
    markups.SetNthControlPointLocked(0, True)  # the user locked C4s
    markups.SetNthControlPointPositionMissing(3)  # L2s not placed
    before = [(list(markups.GetNthControlPointPosition(i)), markups.GetNthControlPointPositionStatus(i),
               markups.GetNthControlPointLocked(i)) for i in range(4)]
    logic = scoring.AxSpAScoringLogic()
    table = result_table(OURS)
    reader = write_csv(tmp_path / "r.csv", READER)
    for _ in range(2):  # comparing again must not stack the reader's note
        result = logic.compareWithReader(table, reader, markups=[markups])
    assert result["marked"] == ["C4s", "L1s"]
    descriptions = [markups.GetNthControlPointDescription(i) for i in range(4)]
    assert descriptions == ["grade 1, confidence 0.90; reader: 3", "grade 1, confidence 0.90",
                            "grade 1, confidence 0.90; reader: 2", "grade 1, confidence 0.90"]
    assert [markups.GetNthControlPointSelected(i) for i in range(4)] == [True, False, True, False]
    after = [(list(markups.GetNthControlPointPosition(i)), markups.GetNthControlPointPositionStatus(i),
              markups.GetNthControlPointLocked(i)) for i in range(4)]
    assert after == before and not markups.GetLocked()

    # The reader now agrees with us: the notes go and the points are no longer selected.
    logic.compareWithReader(table, write_csv(tmp_path / "same.csv", OURS), markups=[markups])
    assert [markups.GetNthControlPointDescription(i) for i in (0, 2)] == ["grade 1, confidence 0.90"] * 2
    assert not any(markups.GetNthControlPointSelected(i) for i in range(4))


def test_in_slicer_test_compare_with_reader(scoring):
    test = scoring.AxSpAScoringTest("test_CompareWithReader")
    test.setUp()
    test.test_CompareWithReader()


def test_one_study_of_a_reader_study_table_is_compared(scoring, tmp_path):
    result = result_table(dict.fromkeys(ALL_SITES, 1))
    reader = tmp_path / "reader.csv"
    reader.write_text("study,site,grade\n" + "".join(f"A,{s},1\n" for s in ALL_SITES)
                      + "".join(f"B,{s},2\n" for s in ALL_SITES))
    logic = scoring.AxSpAScoringLogic()
    with pytest.raises(InputError, match="holds 2 studies"):
        logic.compareWithReader(result, str(reader))
    assert logic.compareWithReader(result, str(reader), study="A")["n_agree"] == 24
    assert logic.compareWithReader(result, str(reader), study="B")["n_agree"] == 0
