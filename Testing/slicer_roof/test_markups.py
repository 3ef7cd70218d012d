"""mSASSS sites <-> fiducial markups node, on a real MRML scene."""

from __future__ import annotations

import json

import numpy as np
import pytest

from axspa.image import InputError, Radiograph
from axspa.slicer.markups import kept_points, markups_to_sites, moved_points, record_graded_positions, sites_to_markups
from axspa.spine.sites import CERVICAL_SITES

slicer = pytest.importorskip("slicer")


def _radiograph_matrix() -> np.ndarray:
    # A lateral c-spine radiograph: 600 rows x 400 columns, 0.2 mm rows, 0.15 mm columns.
    return Radiograph(pixels=np.zeros((600, 400), np.float32), spacing_mm=(0.2, 0.15)).ijk_to_ras


def _sites() -> list[dict]:
    sites = []
    for n, site in enumerate(CERVICAL_SITES):
        sites.append({"id": site, "point": [100.0 + 3 * n, 50.0 + 40 * n], "grade": n % 4,
                      "confidence": 0.9})
    sites[5]["point"] = None  # C5s not located
    sites[5]["grade"] = None
    sites[7]["grade"] = None  # C6s located but unscorable
    return sites


def _position(node, index):
    return np.array(node.GetNthControlPointPosition(index))


def test_sites_become_labelled_points_at_matrix_positions(scene):
    matrix = _radiograph_matrix()
    sites = _sites()
    node = sites_to_markups(scene, sites, matrix)

    assert node.GetClassName() == "vtkMRMLMarkupsFiducialNode" and node.GetName() == "mSASSS sites"
    labels = [node.GetNthControlPointLabel(i) for i in range(node.GetNumberOfControlPoints())]
    assert labels == list(CERVICAL_SITES)
    # Worked by hand for C2i at pixel (x=100, y=50): R = -0.15*100 = -15, A = -0.2*50 = -10, S = 0.
    np.testing.assert_allclose(_position(node, 0), [-15.0, -10.0, 0.0])
    for i, site in enumerate(sites):
        if site["point"] is None:
            continue
        expected = matrix @ [site["point"][0], site["point"][1], 0, 1]
        np.testing.assert_allclose(_position(node, i), expected[:3])
        assert node.GetNthControlPointPositionStatus(i) == slicer.vtkMRMLMarkupsNode.PositionDefined
    assert node.GetNthControlPointPositionStatus(5) == slicer.vtkMRMLMarkupsNode.PositionMissing
    assert node.GetNthControlPointDescription(0) == "grade 0, confidence 0.90"
    assert node.GetNthControlPointDescription(5).startswith("not located")
    assert node.GetNthControlPointDescription(7).startswith("unscorable")


def test_markups_give_back_pixel_coordinates(scene, oblique_ijk_to_ras):
    sites = _sites()
    node = sites_to_markups(scene, sites, oblique_ijk_to_ras)
    back = markups_to_sites(node, oblique_ijk_to_ras)
    assert list(back) == list(CERVICAL_SITES)
    assert back["C5s"] is None
    for site in sites:
        if site["point"] is not None:
            assert back[site["id"]] == pytest.approx(tuple(site["point"]), abs=1e-9)


def test_user_moved_point_is_kept_when_rescored(scene):
    matrix = _radiograph_matrix()
    node = sites_to_markups(scene, _sites(), matrix)
    # The user drags C3s to pixel (120, 95) and places the missing C5s at (130, 250).
    moved = matrix @ [120.0, 95.0, 0.0, 1.0]
    placed = matrix @ [130.0, 250.0, 0.0, 1.0]
    node.SetNthControlPointPosition(1, *moved[:3])
    node.SetNthControlPointPosition(5, *placed[:3])

    rescored = _sites()
    for site in rescored:  # the model now puts every site 2 pixels further right
        if site["point"] is not None:
            site["point"] = [site["point"][0] + 2, site["point"][1]]
        site["grade"] = 1
    again = sites_to_markups(scene, rescored, matrix, node=node)

    assert again is node and node.GetNumberOfControlPoints() == 12
    assert scene.GetNumberOfNodesByClass("vtkMRMLMarkupsFiducialNode") == 1
    assert sorted(kept_points(node)) == ["C3s", "C5s"]
    back = markups_to_sites(node, matrix)
    assert back["C3s"] == pytest.approx((120.0, 95.0))
    assert back["C5s"] == pytest.approx((130.0, 250.0))
    assert back["C2i"] == pytest.approx((102.0, 50.0))  # untouched by the user: updated
    assert node.GetNthControlPointDescription(1).startswith("grade 1")  # grade text still updated
    # A later rescore still treats the moved point as the user's.
    sites_to_markups(scene, rescored, matrix, node=node)
    assert markups_to_sites(node, matrix)["C3s"] == pytest.approx((120.0, 95.0))
    written = json.loads(node.GetAttribute("AxSpA.WrittenPositions"))
    assert set(written) == set(CERVICAL_SITES)


def test_locked_flags_kept_and_locked_points_not_moved(scene):
    matrix = _radiograph_matrix()
    node = sites_to_markups(scene, _sites(), matrix)
    node.SetNthControlPointLocked(2, True)
    rescored = _sites()
    for site in rescored:
        if site["point"] is not None:
            site["point"] = [site["point"][0] + 5, site["point"][1]]
    sites_to_markups(scene, rescored, matrix, node=node)
    assert node.GetNthControlPointLocked(2) and not node.GetNthControlPointLocked(3)
    assert not node.GetLocked()
    back = markups_to_sites(node, matrix)
    assert back["C3i"] == pytest.approx((106.0, 130.0))  # locked: where it was
    assert back["C4s"] == pytest.approx((114.0, 170.0))  # unlocked: moved by the rescore
    assert kept_points(node) == ["C3i"]

    node.SetLocked(True)
    sites_to_markups(scene, _sites(), matrix, node=node)
    assert node.GetLocked() and node.GetNthControlPointLocked(2)
    assert len(kept_points(node)) == 12  # a locked markup is left as the user froze it


def test_user_deleted_point_is_recreated_and_user_point_kept(scene):
    matrix = _radiograph_matrix()
    node = sites_to_markups(scene, _sites(), matrix)
    node.RemoveNthControlPoint(0)  # user deletes C2i
    import vtk

    node.AddControlPoint(vtk.vtkVector3d(1.0, 2.0, 0.0), "my note")
    sites_to_markups(scene, _sites(), matrix, node=node)
    labels = [node.GetNthControlPointLabel(i) for i in range(node.GetNumberOfControlPoints())]
    assert sorted(labels) == sorted([*CERVICAL_SITES, "my note"])
    assert markups_to_sites(node, matrix)["C2i"] == pytest.approx((100.0, 50.0))


def test_duplicate_label_is_input_error(scene):
    matrix = _radiograph_matrix()
    node = sites_to_markups(scene, _sites(), matrix)
    node.SetNthControlPointLabel(1, "C2i")
    with pytest.raises(InputError, match="C2i.*more than one"):
        markups_to_sites(node, matrix)


def test_moved_points_are_the_ones_graded_elsewhere(scene):
    matrix = _radiograph_matrix()
    node = sites_to_markups(scene, _sites(), matrix)
    assert moved_points(node) == []
    moved = matrix @ [120.0, 95.0, 0.0, 1.0]
    placed = matrix @ [130.0, 250.0, 0.0, 1.0]
    node.SetNthControlPointPosition(1, *moved[:3])   # C3s dragged
    node.SetNthControlPointPosition(5, *placed[:3])  # C5s (not located) placed by the user
    assert moved_points(node) == ["C3s", "C5s"]
    record_graded_positions(node, ["C3s"], {"C3s": "grade 2", "C4s": "grade 3"})
    assert moved_points(node) == ["C5s"]
    assert node.GetNthControlPointDescription(1) == "grade 2" and node.GetNthControlPointDescription(3) == "grade 3"
    np.testing.assert_allclose(_position(node, 1), moved[:3])  # positions are never touched

    # Scoring again keeps the user's C3s where it is; its new grade is the model's point's, so it is moved again.
    sites_to_markups(scene, _sites(), matrix, node=node)
    np.testing.assert_allclose(_position(node, 1), moved[:3])
    assert moved_points(node) == ["C3s", "C5s"]


def test_overwrite_replaces_moved_points_but_not_locked_ones(scene):
    matrix = _radiograph_matrix()
    node = sites_to_markups(scene, _sites(), matrix)
    moved = matrix @ [120.0, 95.0, 0.0, 1.0]
    node.SetNthControlPointPosition(1, *moved[:3])
    node.SetNthControlPointPosition(2, *moved[:3])
    node.SetNthControlPointLocked(2, True)
    sites_to_markups(scene, _sites(), matrix, node=node, overwrite=True)
    back = markups_to_sites(node, matrix)
    assert back["C3s"] == pytest.approx((103.0, 90.0)) and back["C3i"] == pytest.approx((120.0, 95.0))
    assert kept_points(node) == ["C3i"] and moved_points(node) == ["C3i"]
