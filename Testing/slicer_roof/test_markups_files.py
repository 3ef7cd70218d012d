""".mrk.json files: Slicer's own writer via save_node, and axspa.io.markups read by Slicer's reader."""

from __future__ import annotations

import json

import numpy as np
import pytest

from axspa.image import InputError, Radiograph
from axspa.io.markups import SCHEMA_URL, read_markups_json, write_markups_json
from axspa.slicer.hierarchy import save_node
from axspa.slicer.markups import markups_to_sites, sites_to_markups

slicer = pytest.importorskip("slicer")

MATRIX = Radiograph(pixels=np.zeros((300, 200), np.float32), spacing_mm=(0.2, 0.15)).ijk_to_ras
SITES = [
    {"id": "T12i", "point": [40.0, 20.0], "grade": 0},
    {"id": "L1s", "point": [42.0, 60.0], "grade": 2},
    {"id": "L1i", "point": None, "grade": None},
    {"id": "L2s", "point": [45.5, 130.25], "grade": None},
]


def _read_into_new_scene(path):
    """Load a .mrk.json the way Slicer does: a fiducial node read by vtkMRMLMarkupsJsonStorageNode."""
    scene = slicer.vtkMRMLScene()
    node = scene.AddNewNodeByClass("vtkMRMLMarkupsFiducialNode")
    storage = slicer.vtkMRMLMarkupsJsonStorageNode()
    scene.AddNode(storage)
    storage.SetFileName(str(path))
    assert storage.ReadData(node) == 1
    return scene, node


def _points(node):
    return [(node.GetNthControlPointLabel(i), node.GetNthControlPointPositionStatus(i),
             tuple(node.GetNthControlPointPosition(i))) for i in range(node.GetNumberOfControlPoints())]


def test_save_node_writes_slicer_markups_json(scene, tmp_path):
    node = sites_to_markups(scene, SITES, MATRIX)
    node.SetNthControlPointLocked(1, True)
    path = tmp_path / "case.mrk.json"
    save_node(node, path)

    document = json.loads(path.read_text())
    markup = document["markups"][0]
    assert markup["type"] == "Fiducial" and markup["coordinateSystem"] == "LPS"
    points = markup["controlPoints"]
    assert [p["label"] for p in points] == ["T12i", "L1s", "L1i", "L2s"]
    # RAS (-0.15*40, -0.2*20, 0) = (-6, -4, 0) is stored in LPS as (6, 4, 0).
    assert points[0]["position"] == pytest.approx([6.0, 4.0, 0.0])
    assert points[2]["positionStatus"] == "missing"
    assert points[1]["locked"] is True and points[1]["description"] == "grade 2"
    # The node's own storage (none here) is not replaced by the temporary writer.
    assert node.GetStorageNode() is None

    _, loaded = _read_into_new_scene(path)
    assert _points(loaded) == _points(node)
    assert loaded.GetNthControlPointLocked(1)
    back = markups_to_sites(loaded, MATRIX)
    assert back == {"T12i": pytest.approx((40.0, 20.0)), "L1s": pytest.approx((42.0, 60.0)),
                    "L1i": None, "L2s": pytest.approx((45.5, 130.25))}


def test_save_node_does_not_overwrite_when_asked(scene, tmp_path):
    node = sites_to_markups(scene, SITES, MATRIX)
    path = tmp_path / "user.mrk.json"
    path.write_text("the user's file")
    with pytest.raises(FileExistsError):
        save_node(node, path, overwrite=False)
    assert path.read_text() == "the user's file"


def _ras(site):
    return None if site["point"] is None else tuple((MATRIX @ [*site["point"], 0, 1])[:3])


@pytest.mark.parametrize("system", ["LPS", "RAS"])
def test_engine_writer_opens_in_slicer(tmp_path, system):
    points = [(s["id"], _ras(s)) for s in SITES]
    path = tmp_path / "engine.mrk.json"
    write_markups_json(path, points, name="lumbar sites", descriptions={"L1s": "grade 2"},
                       coordinate_system=system)

    _, node = _read_into_new_scene(path)
    assert node.GetNumberOfControlPoints() == 4
    assert [node.GetNthControlPointLabel(i) for i in range(4)] == ["T12i", "L1s", "L1i", "L2s"]
    for i, (_, ras) in enumerate(points):
        if ras is None:
            assert node.GetNthControlPointPositionStatus(i) == slicer.vtkMRMLMarkupsNode.PositionMissing
        else:
            assert node.GetNthControlPointPositionStatus(i) == slicer.vtkMRMLMarkupsNode.PositionDefined
            np.testing.assert_allclose(node.GetNthControlPointPosition(i), ras, atol=1e-12)
    assert node.GetNthControlPointDescription(1) == "grade 2"
    assert not node.GetLocked() and not node.GetNthControlPointLocked(0)
    assert markups_to_sites(node, MATRIX)["L2s"] == pytest.approx((45.5, 130.25))
    assert read_markups_json(path) == [(label, pytest.approx(ras) if ras else None) for label, ras in points]


def test_engine_writer_follows_schema_shape(tmp_path):
    path = tmp_path / "locked.mrk.json"
    write_markups_json(path, [("C2i", (1.0, 2.0, 3.0)), ("C3s", None)], locked=True)
    document = json.loads(path.read_text())
    assert document["@schema"] == SCHEMA_URL and "v1.0.3" in SCHEMA_URL
    markup = document["markups"][0]
    assert markup["type"] == "Fiducial" and markup["name"] == "mSASSS sites" and markup["locked"] is True
    first, second = markup["controlPoints"]
    assert first["position"] == [-1.0, -2.0, 3.0]  # RAS -> LPS
    assert len(first["orientation"]) == 9
    for point in (first, second):
        assert {"id", "label", "description", "orientation", "selected", "locked", "visibility",
                "positionStatus"} <= set(point)
        assert point["locked"] is True and isinstance(point["id"], str)
    assert first["positionStatus"] == "defined"
    assert second["positionStatus"] == "missing" and "position" not in second
    assert markup["display"]["pointLabelsVisibility"] is True

    _, node = _read_into_new_scene(path)
    assert node.GetLocked() and node.GetNthControlPointLocked(0) and node.GetNthControlPointLocked(1)


def test_engine_writer_rejects_bad_input(tmp_path):
    with pytest.raises(ValueError, match="coordinate_system"):
        write_markups_json(tmp_path / "x.mrk.json", [], coordinate_system="XYZ")
    with pytest.raises(ValueError, match="3 coordinates"):
        write_markups_json(tmp_path / "x.mrk.json", [("C2i", (1.0, 2.0))])


def test_engine_reader_names_a_bad_file(tmp_path):
    path = tmp_path / "broken.mrk.json"
    path.write_text("{not json")
    with pytest.raises(InputError, match="broken.mrk.json.*not a readable Slicer markups file"):
        read_markups_json(path)
