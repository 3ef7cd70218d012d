"""mSASSS sites <-> table node, on a real MRML scene, and the table written by Slicer's storage node."""

from __future__ import annotations

import csv
import math

import pytest

from axspa.image import InputError
from axspa.mrml.hierarchy import save_node
from axspa.mrml.tables import kept_grades, sites_to_table, table_to_grades
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
