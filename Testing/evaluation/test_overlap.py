"""`axspa agree masks`: Dice, volume similarity, volumes and HD95 on synthetic masks worked by hand, and on
the real multi-reader SIJ edema masks (Hepburn et al.; skipped when ../shared/data is absent)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import SimpleITK as sitk  # noqa: N813 - the conventional name

from axspa.cli import main
from axspa.evaluation import overlap
from axspa.image import InputError

SPACING = (0.5, 1.0, 3.0)  # i, j, k in mm: anisotropic so that an axis mix-up shows


def _nrrd(path, array_kji: np.ndarray, spacing=SPACING) -> str:
    img = sitk.GetImageFromArray(array_kji.astype(np.uint8))
    img.SetSpacing(spacing)
    sitk.WriteImage(img, str(path))
    return str(path)


def test_dice_vs_volumes_by_hand(tmp_path):
    a = np.zeros((6, 20, 20), bool)
    b = np.zeros_like(a)
    a[1:4, 2:12, 2:12] = True      # 3*10*10 = 300 voxels
    b[1:4, 2:12, 7:17] = True      # 300 voxels, 150 shared
    b[5, 0, 0] = True              # 301
    pa, pb = _nrrd(tmp_path / "a.nrrd", a), _nrrd(tmp_path / "b.nrrd", b)
    r = overlap.compare_masks(overlap.read_mask(pa), overlap.read_mask(pb))
    assert (r.voxels_a, r.voxels_b, r.voxels_both) == (300, 301, 150)
    assert r.dice == pytest.approx(2 * 150 / 601)
    assert r.volume_similarity == pytest.approx(1 - 1 / 601)
    voxel_ml = 0.5 * 1.0 * 3.0 / 1000
    assert r.volume_a_ml == pytest.approx(300 * voxel_ml) and r.volume_b_ml == pytest.approx(301 * voxel_ml)


@pytest.mark.parametrize("axis, shift, mm", [(0, 2, 6.0), (2, 4, 2.0)])
def test_hd95_uses_the_spacing_of_each_axis(tmp_path, axis, shift, mm):
    # Two parallel slabs, every surface voxel of one `shift` voxels from the other: HD95 = shift * spacing.
    a = np.zeros((8, 8, 12), bool)
    b = np.zeros_like(a)
    index = [slice(None)] * 3
    index[axis] = 1
    a[tuple(index)] = True
    index[axis] = 1 + shift
    b[tuple(index)] = True
    pa, pb = _nrrd(tmp_path / "a.nrrd", a), _nrrd(tmp_path / "b.nrrd", b)
    r = overlap.compare_masks(overlap.read_mask(pa), overlap.read_mask(pb))
    assert r.hd95_mm == pytest.approx(mm)
    assert r.dice == 0.0


def test_empty_masks(tmp_path):
    a = np.zeros((3, 4, 4), bool)
    b = a.copy()
    b[1, 1, 1] = True
    empty = overlap.read_mask(_nrrd(tmp_path / "e.nrrd", a))
    one = overlap.read_mask(_nrrd(tmp_path / "o.nrrd", b))
    both = overlap.compare_masks(empty, empty)
    assert both.dice is None and both.volume_similarity is None and both.hd95_mm is None
    r = overlap.compare_masks(empty, one)
    assert r.dice == 0.0 and r.volume_similarity == 0.0 and r.hd95_mm is None


def test_mismatched_grids_are_refused(tmp_path, capsys):
    a = np.ones((3, 4, 4), bool)
    pa = _nrrd(tmp_path / "a.nrrd", a)
    pb = _nrrd(tmp_path / "b.nrrd", np.ones((3, 4, 5), bool))
    pc = _nrrd(tmp_path / "c.nrrd", a, spacing=(0.5, 1.0, 2.0))
    assert main(["agree", "masks", pa, pb]) == 2
    err = capsys.readouterr().err
    assert "b.nrrd" in err and "does not match" in err
    with pytest.raises(InputError, match="c.nrrd: geometry"):
        overlap.compare_masks(overlap.read_mask(pa), overlap.read_mask(pc))


def test_seg_nrrd_segment_by_name(tmp_path, capsys):
    from axspa.hip.segments import HIP_SEGMENTS
    from axspa.io.segfile import write_seg_nrrd

    head = np.zeros((4, 10, 10), bool)
    head[1:3, 2:8, 2:8] = True
    bme = np.zeros_like(head)
    bme[1:3, 3:5, 3:5] = True
    seg = tmp_path / "case.seg.nrrd"
    write_seg_nrrd(seg, {"Right femoral head": head, "Right femoral BME": bme}, np.diag([-1.0, -1.0, 2.0, 1.0]),
                   segments=HIP_SEGMENTS)
    r = overlap.compare_masks(overlap.read_mask(f"{seg}#Right femoral head"),
                              overlap.read_mask(seg, "Right femoral BME"))
    assert (r.voxels_a, r.voxels_b, r.voxels_both) == (72, 8, 8)
    assert r.volume_a_ml == pytest.approx(72 * 2 / 1000)
    with pytest.raises(InputError, match="no segment named 'Liver'"):
        overlap.read_mask(seg, "Liver")
    with pytest.raises(InputError, match="name one with"):
        overlap.read_mask(seg)


# ---------------------------------------------------------------------------------------- real reader masks

def _mask(sij_stir_dir, scan: str, reader: str) -> str:
    return str(sij_stir_dir / "inflammation" / f"{scan}_inflammation_{reader}.nii.gz")


def test_real_mask_with_itself(sij_stir_dir):
    m = overlap.read_mask(_mask(sij_stir_dir, "1007", "R11"))
    r = overlap.compare_masks(m, m)
    assert r.dice == 1.0 and r.volume_similarity == 1.0 and r.hd95_mm == 0.0


def test_real_volume_similarity_from_independent_voxel_counts(sij_stir_dir):
    # Count voxels and voxel size with nibabel, not the engine's reader.
    nib = pytest.importorskip("nibabel", reason="nibabel (a dev-only package) is the independent reader")
    pa, pb = _mask(sij_stir_dir, "3002", "R11"), _mask(sij_stir_dir, "3002", "R21")
    na, nb = (int((np.asarray(nib.load(p).dataobj) != 0).sum()) for p in (pa, pb))
    voxel_ml = float(np.prod(nib.load(pa).header.get_zooms()[:3])) / 1000
    r = overlap.compare_masks(overlap.read_mask(pa), overlap.read_mask(pb))
    assert (r.voxels_a, r.voxels_b) == (na, nb)
    assert r.volume_similarity == pytest.approx(1 - abs(na - nb) / (na + nb))
    assert r.volume_a_ml == pytest.approx(na * voxel_ml, rel=1e-4)


def test_real_intra_and_inter_reader_pairs_via_cli(sij_stir_dir, tmp_path, capsys):
    scans = ["1007", "1013", "3002"]
    rows = ["id,a,b"] + [f"{s}-intra,{_mask(sij_stir_dir, s, 'R11')},{_mask(sij_stir_dir, s, 'R12')}" for s in scans]
    rows += [f"{s}-inter,{_mask(sij_stir_dir, s, 'R11')},{_mask(sij_stir_dir, s, 'R21')}" for s in scans]
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["agree", "masks", "--pairs", str(pairs), "--json", "--out", str(tmp_path / "o")]) == 0
    doc = json.loads(capsys.readouterr().out)
    by_id = {r["id"]: r for r in doc["pairs"]}
    for s in scans:
        # Manual edema masks of one reader, two sessions: overlapping but never identical.
        assert 0.4 < by_id[f"{s}-intra"]["dice"] < 0.95
        assert 0.0 < by_id[f"{s}-inter"]["dice"] < 0.95
    # The large lesion of 1013 is the most reproducible: Dice above 0.8 within and between readers.
    assert by_id["1013-intra"]["dice"] > 0.8 and by_id["1013-inter"]["dice"] > 0.8
    assert doc["summary"]["n"] == 6 and doc["summary"]["volume_icc"]["icc_2_1"] > 0.9
    assert (tmp_path / "o" / "overlap.csv").read_text().startswith("id,a,b,dice,volume_similarity")
