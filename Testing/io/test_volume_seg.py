"""read_volume on the real MRI and on written series; NRRD and Slicer segmentation files."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import SimpleITK as sitk  # noqa: N813

from axspa.hip.segments import HIP_SEGMENTS
from axspa.image import InputError, ijk_to_ras_matrix
from axspa.io import list_series, read_nrrd, read_seg_nrrd, read_volume, write_nrrd, write_seg_nrrd, write_series_dicom


def _sitk_ijk_to_ras(image) -> np.ndarray:
    # Independent of axspa.image: ITK geometry is LPS; RAS flips the first two rows.
    m = np.eye(4)
    m[:3, :3] = np.array(image.GetDirection()).reshape(3, 3) @ np.diag(image.GetSpacing())
    m[:3, 3] = image.GetOrigin()
    return np.diag([-1.0, -1.0, 1.0, 1.0]) @ m


def _coronal_oblique():
    th = np.deg2rad(7.0)
    tilt = np.array([[1, 0, 0], [0, np.cos(th), -np.sin(th)], [0, np.sin(th), np.cos(th)]])
    return tilt @ np.array([[1.0, 0, 0], [0, 0, 1], [0, -1, 0]])  # i: L, j: S->I, k: A->P in LPS


def test_real_mri_geometry_matches_simpleitk(pelvis_mri_dir):
    case = pelvis_mri_dir / "patient01"
    vol = read_volume(case / "dicom")
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(case / "dicom")))
    ref = reader.Execute()
    assert np.allclose(vol.ijk_to_ras, _sitk_ijk_to_ras(ref), atol=1e-6)
    assert np.array_equal(vol.array, sitk.GetArrayFromImage(ref).astype(np.float32))
    labels = sitk.ReadImage(str(case / "bone-labels.nrrd"))
    assert vol.array.shape == sitk.GetArrayFromImage(labels).shape
    assert np.allclose(vol.ijk_to_ras, _sitk_ijk_to_ras(labels), atol=1e-3)
    assert vol.meta["modality"] == "MR" and vol.meta["series_description"].startswith("t1_tse_cor")
    # one file of the series reads the whole series
    one = sorted((case / "dicom").glob("*.dcm"))[0]
    assert read_volume(one).array.shape == vol.array.shape


def test_two_series_in_a_folder_are_listed(tmp_path):
    m = ijk_to_ras_matrix((1.0, 1.0, 3.0), (0, 0, 0), _coronal_oblique())
    arr = np.arange(3 * 8 * 9, dtype=np.int16).reshape(3, 8, 9)
    write_series_dicom(tmp_path / "a", arr, m, series_description="STIR_COR", seed_uid_from="a")
    write_series_dicom(tmp_path / "b", arr, m, series_description="T1_COR", sequence="T1", seed_uid_from="b")
    series = list_series(tmp_path)
    assert sorted(s.description for s in series) == ["STIR_COR", "T1_COR"]
    with pytest.raises(InputError) as e:
        read_volume(tmp_path)
    msg = str(e.value)
    assert "2 DICOM series" in msg and "--series" in msg
    for s in series:
        assert s.uid in msg and s.description in msg
    chosen = read_volume(tmp_path, series_uid=series[0].uid)
    assert chosen.meta["series_uid"] == series[0].uid


def test_non_dicom_file_is_named(tmp_path):
    bad = tmp_path / "scan.bin"
    bad.write_bytes(b"hello")
    with pytest.raises(InputError, match="scan.bin"):
        read_volume(bad)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no DICOM image series"):
        read_volume(tmp_path / "empty")


def test_series_round_trip_geometry_and_bytes(tmp_path):
    m = ijk_to_ras_matrix((0.78, 0.82, 4.4), (-120.5, -60.25, 80.0), _coronal_oblique())
    rng = np.random.default_rng(3)
    arr = rng.integers(0, 3000, (6, 16, 20)).astype(np.int16)
    files = write_series_dicom(tmp_path / "s1", arr, m, seed_uid_from="case-1")
    assert len(files) == 6
    vol = read_volume(tmp_path / "s1")
    assert np.array_equal(vol.array, arr.astype(np.float32))
    assert np.allclose(vol.ijk_to_ras, m, atol=1e-5)
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(tmp_path / "s1")))
    assert np.allclose(_sitk_ijk_to_ras(reader.Execute()), m, atol=1e-5)
    assert vol.meta["sequence"] == "STIR" and vol.meta["scanning_sequence"] == "IR"
    again = write_series_dicom(tmp_path / "s2", arr, m, seed_uid_from="case-1")
    assert [f.read_bytes() for f in files] == [f.read_bytes() for f in again]


def test_series_with_a_missing_slice_warns(tmp_path):
    m = ijk_to_ras_matrix((1.0, 1.0, 3.0), (0, 0, 0), _coronal_oblique())
    files = write_series_dicom(tmp_path / "s", np.zeros((5, 4, 4), np.uint16), m, seed_uid_from="gap")
    files[2].unlink()
    assert any("not evenly spaced" in w for w in read_volume(tmp_path / "s").warnings)


def test_nrrd_and_nifti_read_and_write(tmp_path):
    m = ijk_to_ras_matrix((0.7, 0.8, 2.5), (10, -20, 30), _coronal_oblique())
    arr = np.random.default_rng(0).random((4, 5, 6)).astype(np.float32)
    write_nrrd(tmp_path / "h.nrrd", arr, m)
    back, m2 = read_nrrd(tmp_path / "h.nrrd")
    assert np.array_equal(back, arr) and np.allclose(m2, m)
    ref = sitk.ReadImage(str(tmp_path / "h.nrrd"))
    assert np.allclose(_sitk_ijk_to_ras(ref), m)
    sitk.WriteImage(ref, str(tmp_path / "h.nii.gz"))
    vol = read_volume(tmp_path / "h.nii.gz")
    assert np.allclose(vol.array, arr) and np.allclose(vol.ijk_to_ras, m, atol=1e-4)
    write_nrrd(tmp_path / "again.nrrd", arr, m)
    assert (tmp_path / "h.nrrd").read_bytes() == (tmp_path / "again.nrrd").read_bytes()
    # a 2D heat map lands on a one-slice grid
    write_nrrd(tmp_path / "map.nrrd", arr[0], np.diag([-0.2, -0.3, 1.0, 1.0]))
    flat, _ = read_nrrd(tmp_path / "map.nrrd")
    assert flat.shape == (1, 5, 6)


def _hip_masks(shape):
    head = np.zeros(shape, bool)
    head[1:5, 4:14, 2:10] = True
    bme = np.zeros(shape, bool)
    bme[2:4, 6:9, 4:7] = True  # inside the head: needs a second layer
    left = np.zeros(shape, bool)
    left[1:5, 4:14, 14:22] = True
    eff = np.zeros(shape, bool)
    eff[0, 0:2, 0:3] = True
    return {"Right femoral head": head, "Right femoral BME": bme, "Left femoral head": left,
            "Left effusion-synovitis": eff}


def test_seg_nrrd_read_by_slicerio_and_ours(tmp_path):
    slicerio = pytest.importorskip("slicerio")
    m = ijk_to_ras_matrix((0.9, 0.9, 4.0), (-100, -50, 30), _coronal_oblique())
    masks = _hip_masks((6, 18, 24))
    path = tmp_path / "case.seg.nrrd"
    write_seg_nrrd(path, masks, m, segments=HIP_SEGMENTS)
    seg = slicerio.read_segmentation(str(path))
    assert [s["name"] for s in seg["segments"]] == [s.name for s in HIP_SEGMENTS]
    assert seg["voxels"].shape[0] == 2  # two layers: BME overlaps its bone
    lps = np.diag([-1.0, -1.0, 1.0, 1.0]) @ m
    assert np.allclose(seg["ijkToLPS"], lps)
    for s in seg["segments"]:
        ref = next(h for h in HIP_SEGMENTS if h.name == s["name"])
        assert np.allclose(s["color"], ref.color, atol=1e-5)
        # slicerio voxels are [layer, i, j, k]
        got = seg["voxels"][s["layer"]] == s["labelValue"]
        want = masks.get(s["name"], np.zeros((6, 18, 24), bool)).transpose(2, 1, 0)
        assert np.array_equal(got, want), s["name"]
    femoral_bme = next(s for s in seg["segments"] if s["name"] == "Right femoral BME")
    assert femoral_bme["terminology"]["type"] == ["SCT", "79654002", "Edema"]
    ours, m2 = read_seg_nrrd(path)
    assert list(ours) == [s.name for s in HIP_SEGMENTS] and np.allclose(m2, m)
    for name, mask in masks.items():
        assert np.array_equal(ours[name], mask)
    assert not ours["Left acetabulum"].any()
    again = tmp_path / "again.seg.nrrd"
    write_seg_nrrd(again, masks, m, segments=HIP_SEGMENTS)
    assert path.read_bytes() == again.read_bytes()


def test_seg_nrrd_read_by_slicer_storage_node(tmp_path):
    slicer = pytest.importorskip("slicer")
    from vtk.util.numpy_support import vtk_to_numpy
    m = ijk_to_ras_matrix((0.9, 0.9, 4.0), (-100, -50, 30), _coronal_oblique())
    masks = _hip_masks((6, 18, 24))
    path = tmp_path / "case.seg.nrrd"
    write_seg_nrrd(path, masks, m, segments=HIP_SEGMENTS)
    scene = slicer.vtkMRMLScene()
    node = scene.AddNewNodeByClass("vtkMRMLSegmentationNode")
    storage = slicer.vtkMRMLSegmentationStorageNode()
    storage.SetFileName(str(path))
    assert storage.ReadData(node)
    segmentation = node.GetSegmentation()
    names = [segmentation.GetNthSegment(i).GetName() for i in range(segmentation.GetNumberOfSegments())]
    assert names == [s.name for s in HIP_SEGMENTS]
    for name, mask in masks.items():
        seg_id = segmentation.GetSegmentIdBySegmentName(name)
        labelmap = segmentation.GetSegment(seg_id).GetRepresentation("Binary labelmap")
        label = segmentation.GetSegment(seg_id).GetLabelValue()
        voxels = vtk_to_numpy(labelmap.GetPointData().GetScalars())
        assert int((voxels == label).sum()) == int(mask.sum()), name


def test_single_layer_seg_and_custom_segments(tmp_path):
    m = np.diag([-1.0, -1.0, 2.0, 1.0])
    a = np.zeros((3, 4, 5), bool)
    a[0, 0, 0] = True
    b = np.zeros((3, 4, 5), bool)
    b[2, 3, 4] = True
    segs = [("tumour", 3, (1.0, 0.0, 0.0)), ("cyst", 7, (0.0, 0.0, 1.0)), ("none", 9, (0.5, 0.5, 0.5))]
    write_seg_nrrd(tmp_path / "s.seg.nrrd", {"tumour": a, "cyst": b}, m, segments=segs)
    masks, m2 = read_seg_nrrd(tmp_path / "s.seg.nrrd")
    assert list(masks) == ["tumour", "cyst", "none"] and masks["tumour"].shape == (3, 4, 5)
    assert np.array_equal(masks["cyst"], b) and not masks["none"].any() and np.allclose(m2, m)
    with pytest.raises(ValueError, match="not in the segment list"):
        write_seg_nrrd(tmp_path / "x.seg.nrrd", {"other": a}, m, segments=segs)


def test_copy_of_real_series_in_subfolder(tmp_path, pelvis_mri_dir):
    # A series nested one level down is found (recursive search), and stray files are ignored.
    src = pelvis_mri_dir / "patient02" / "dicom"
    dst = tmp_path / "export" / "series"
    shutil.copytree(src, dst)
    (tmp_path / "export" / "README.txt").write_text("not dicom")
    vol = read_volume(tmp_path)
    assert vol.meta["n_files"] == len(list(src.glob("*.dcm")))
