"""mSASSS sites <-> table node, on a real MRML scene, and the table written by Slicer's storage node."""

from __future__ import annotations

import csv
import math

import pytest

from axspa.image import InputError
from axspa.slicer.hierarchy import save_node
from axspa.slicer.tables import (
    kept_grades,
    mark_grade_sources,
    sites_to_table,
    table_site_rows,
    table_to_grades,
    update_site_rows,
)
from axspa.spine.sites import FINDINGS, LUMBAR_SITES

slicer = pytest.importorskip("slicer")


def _sites() -> list[dict]:
    sites = []
    for n, site in enumerate(LUMBAR_SITES):
        findings = {f: 0.0 for f in FINDINGS}
        findings["syndesmophyte"] = 0.1 * (n % 5)
        sites.append({"id": site, "point": [10.0, 20.0 * n], "grade": n % 4, "confidence": 0.5 + 0.01 * n,
                      "findings": findings})
    sites[3]["grade"] = None  # L2s unscorable (osteophyte)
    sites[3]["findings"]["osteophyte"] = 0.93
    sites[4].update(point=None, grade=None, confidence=None, findings={})  # L2i not located
    return sites


def _cell(node, row, column):
    table = node.GetTable()
    return table.GetValue(row, [table.GetColumnName(c) for c in range(table.GetNumberOfColumns())]
                          .index(column)).ToString()


def test_table_round_trip_with_unscorable_sites(scene):
    sites = _sites()
    node = sites_to_table(scene, sites, findings=FINDINGS)
    assert node.GetClassName() == "vtkMRMLTableNode" and node.GetName() == "mSASSS sites"
    table = node.GetTable()
    names = [table.GetColumnName(c) for c in range(table.GetNumberOfColumns())]
    assert names == ["site", "grade", "source", "review", "confidence", *FINDINGS]
    assert node.GetNumberOfRows() == 12
    assert table.GetColumnByName("grade").GetClassName() == "vtkStringArray"
    assert table.GetColumnByName("osteophyte").GetClassName() == "vtkDoubleArray"
    assert _cell(node, 3, "grade") == ""  # unscorable reads as a blank cell
    assert _cell(node, 1, "grade") == "1"
    assert float(_cell(node, 3, "osteophyte")) == pytest.approx(0.93)
    assert math.isnan(float(_cell(node, 4, "confidence")))

    grades = table_to_grades(node)
    assert grades == {s["id"]: s["grade"] for s in sites}
    assert grades["L2s"] is None and grades["L2i"] is None


def test_user_edited_grade_is_read_back_and_kept_on_rescore(scene):
    node = sites_to_table(scene, _sites(), findings=FINDINGS)
    grade_column = node.GetTable().GetColumnByName("grade")
    grade_column.SetValue(0, "3")  # user: T12i is bridged
    grade_column.SetValue(3, "1")  # user: L2s is scorable after all
    grade_column.SetValue(5, "")   # user: L3s unscorable
    node.GetTable().Modified()

    grades = table_to_grades(node)
    assert grades["T12i"] == 3 and grades["L2s"] == 1 and grades["L3s"] is None
    assert grades["L1s"] == 1  # untouched

    rescored = _sites()
    for site in rescored:
        site["grade"] = 0
    same = sites_to_table(scene, rescored, node=node, findings=FINDINGS)
    assert same is node and scene.GetNumberOfNodesByClass("vtkMRMLTableNode") == 1
    assert sorted(kept_grades(node)) == ["L2s", "L3s", "T12i"]
    grades = table_to_grades(node)
    assert grades["T12i"] == 3 and grades["L2s"] == 1 and grades["L3s"] is None
    assert grades["L1s"] == 0 and grades["L2i"] == 0  # the engine's new grades where the user did not edit


def test_rows_the_user_added_are_kept(scene):
    node = sites_to_table(scene, _sites()[:2], findings=FINDINGS)
    node.AddEmptyRow()
    node.GetTable().GetColumnByName("site").SetValue(2, "S1s")
    node.GetTable().GetColumnByName("grade").SetValue(2, "2")
    sites_to_table(scene, _sites()[:2], node=node, findings=FINDINGS)
    assert table_to_grades(node) == {"T12i": 0, "L1s": 1, "S1s": 2}


def test_bad_grade_or_table_is_input_error(scene):
    node = sites_to_table(scene, _sites(), findings=FINDINGS)
    node.GetTable().GetColumnByName("grade").SetValue(2, "4")
    with pytest.raises(InputError, match="mSASSS sites.*L1i.*'4'"):
        table_to_grades(node)
    node.GetTable().GetColumnByName("grade").SetValue(2, "two")
    with pytest.raises(InputError, match="L1i"):
        table_to_grades(node)
    empty = scene.AddNewNodeByClass("vtkMRMLTableNode", "other")
    with pytest.raises(InputError, match="other.*no 'site' column"):
        table_to_grades(empty)


def test_table_saved_as_csv_by_slicer(scene, tmp_path):
    node = sites_to_table(scene, _sites(), findings=FINDINGS)
    path = tmp_path / "sites.csv"
    save_node(node, path)
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["site"] for r in rows] == list(LUMBAR_SITES)
    assert rows[3]["grade"] == "" and rows[0]["grade"] == "0"
    assert float(rows[3]["osteophyte"]) == pytest.approx(0.93)

    # Read back the way Slicer loads a table, then the grades the user would re-score with.
    other = slicer.vtkMRMLScene()
    loaded = other.AddNewNodeByClass("vtkMRMLTableNode", "loaded")
    storage = other.AddNewNodeByClass("vtkMRMLTableStorageNode")
    storage.SetFileName(str(path))
    assert storage.ReadData(loaded) == 1
    assert table_to_grades(loaded) == table_to_grades(node)


def _grades(node) -> dict:
    return {r["site"]: (r["grade"], r["source"]) for r in _rows(node)}


def _rows(node) -> list[dict]:
    table = node.GetTable()
    names = [table.GetColumnName(c) for c in range(table.GetNumberOfColumns())]
    return [{n: table.GetValue(r, c).ToString() for c, n in enumerate(names)} for r in range(table.GetNumberOfRows())]


def test_source_and_review_columns_follow_the_grades(scene):
    sites = _sites()
    sites[0]["review"] = True
    sites[1]["review"] = False
    node = sites_to_table(scene, sites, findings=FINDINGS)
    rows = _rows(node)
    assert [r["review"] for r in rows[:2]] == ["yes", "no"] and rows[4]["review"] == ""  # L2i: no confidence
    assert {r["source"] for r in rows} == {"model"}
    grade = node.GetTable().GetColumnByName("grade")
    grade.SetValue(1, "3")    # L1s: the reader's 3 over the model's 1
    grade.SetValue(2, "2.0")  # L1i: the model's 2, written another way
    assert mark_grade_sources(node) == ["L1s"]
    assert _grades(node)["L1s"] == ("3", "reader") and _grades(node)["L1i"] == ("2.0", "model")
    assert mark_grade_sources(node) == ["L1s"]  # nothing changes the second time
    # Re-scoring keeps the reader's grade and its mark; overwrite=True gives the model's back.
    sites_to_table(scene, _sites(), node=node, findings=FINDINGS)
    assert _grades(node)["L1s"] == ("3", "reader")
    sites_to_table(scene, _sites(), node=node, findings=FINDINGS, overwrite=True)
    assert _grades(node)["L1s"] == ("1", "model") and kept_grades(node) == []


def test_update_site_rows_touches_only_the_given_sites(scene):
    node = sites_to_table(scene, _sites(), findings=FINDINGS)
    before = _rows(node)
    node.GetTable().GetColumnByName("grade").SetValue(7, "0")  # L4s: the reader's grade
    findings = dict.fromkeys(FINDINGS, 0.0)
    findings["syndesmophyte"] = 0.8
    kept = update_site_rows(node, [
        {"id": "L2i", "point": [1.0, 2.0], "grade": 2, "confidence": 0.8, "review": False, "findings": findings},
        {"id": "L4s", "point": [1.0, 3.0], "grade": 2, "confidence": 0.55, "review": True, "findings": findings},
        {"id": "L3s", "grade": 3},  # a disc partner: the grade only
    ], findings=FINDINGS)
    assert kept == ["L4s"]
    after = _rows(node)
    for old, new in zip(before, after):
        if old["site"] not in ("L2i", "L3s", "L4s"):
            assert new == old
    rows = {r["site"]: r for r in after}
    assert (rows["L2i"]["grade"], rows["L2i"]["source"], rows["L2i"]["review"]) == ("2", "model", "no")
    assert float(rows["L2i"]["syndesmophyte"]) == pytest.approx(0.8)
    assert (rows["L4s"]["grade"], rows["L4s"]["source"], rows["L4s"]["review"]) == ("0", "reader", "yes")
    assert float(rows["L4s"]["confidence"]) == pytest.approx(0.55)
    assert rows["L3s"]["grade"] == "3" and rows["L3s"]["confidence"] == before[5]["confidence"]
    # The new grades are the engine's now: re-scoring the same sites keeps none of them as the user's.
    assert table_site_rows(node, FINDINGS)["L2i"] == {
        "grade": 2, "source": "model", "review": "no", "confidence": pytest.approx(0.8), "findings": findings}
    assert table_site_rows(node, FINDINGS)["L2s"]["findings"]["osteophyte"] == pytest.approx(0.93)


def test_update_site_rows_on_an_older_table_adds_columns_and_rows(scene):
    import vtk

    node = scene.AddNewNodeByClass("vtkMRMLTableNode", "old")
    table = vtk.vtkTable()
    for name, values in (("site", ["C2i"]), ("grade", ["1"])):
        column = vtk.vtkStringArray()
        column.SetName(name)
        for v in values:
            column.InsertNextValue(v)
        table.AddColumn(column)
    node.SetAndObserveTable(table)
    kept = update_site_rows(node, [{"id": "C3s", "grade": 2, "confidence": 0.9, "review": False,
                                    "findings": dict.fromkeys(FINDINGS, 0.1)}], findings=FINDINGS)
    assert kept == []
    rows = {r["site"]: r for r in _rows(node)}
    assert rows["C2i"]["grade"] == "1" and rows["C2i"]["source"] == "" and math.isnan(float(rows["C2i"]["erosion"]))
    assert rows["C3s"]["grade"] == "2" and rows["C3s"]["source"] == "model"
    assert table_to_grades(node) == {"C2i": 1, "C3s": 2}
