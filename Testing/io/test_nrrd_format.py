"""axspa.io.nrrd_format, the engine's own NRRD reader and writer (3D Slicer's Python has no pynrrd): round trips of
the types and shapes the engine writes (uint8/int16/float32, 3D images and 4D segmentation layers, raw and gzip),
refusals that say what is wrong, and, against pynrrd where it is installed (the dev extra), each reads what the
other writes, with identical arrays and headers, and the bytes written are pynrrd's less its time-stamp comment."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from axspa.io import nrrd_format
from axspa.io.nrrd_format import NrrdFormatError
from axspa.io.nrrdfile import nrrd_geometry_header

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "Resources" / "SampleData"
OBLIQUE = np.array([[0.0, -0.8, 0.3, 12.5], [0.7, 0.0, 0.1, -40.0], [0.0, 0.2, 2.9, 7.25], [0, 0, 0, 1]])
DTYPES = (np.uint8, np.int16, np.float32)
ENCODINGS = ("gzip", "raw")


def _array(dtype, shape) -> np.ndarray:
    values = np.random.default_rng(7).normal(50, 40, size=shape)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        values = np.clip(np.round(values), info.min, info.max)
    return values.astype(dtype)


def _image_header(encoding: str) -> dict:
    """What nrrdfile.write_nrrd passes for a 3D image."""
    return {"dimension": 3, "kinds": ["domain"] * 3, "endian": "little", "encoding": encoding,
            **nrrd_geometry_header(OBLIQUE)}


def _layers_header(encoding: str) -> dict:
    """What segfile.write_seg_nrrd passes for a 4D segmentation (first axis: the layers, kind list, no direction)."""
    geometry = nrrd_geometry_header(OBLIQUE)
    return {"encoding": encoding, "endian": "little", "space": geometry["space"],
            "space origin": geometry["space origin"], "kinds": ["list", "domain", "domain", "domain"],
            "space directions": np.vstack([np.full((1, 3), np.nan), geometry["space directions"]]),
            "Segmentation_MasterRepresentation": "Binary labelmap", "Segment0_Name": "Right femoral head",
            "Segment0_Tags": "", "Segment1_Tags": "TerminologyEntry:Segmentation category and type - 3D Slicer "
                                                  "General Anatomy list~SCT^123037004^Anatomical Structure|"}


CASES = [(dtype, shape, header, encoding) for dtype in DTYPES for encoding in ENCODINGS
         for shape, header in (((4, 5, 6), _image_header), ((4, 5, 6, 2), _layers_header))]
IDS = [f"{np.dtype(d).name}-{len(s)}d-{e}" for d, s, _, e in CASES]


def _same_header_fields(ours: dict, theirs: dict) -> None:
    """The fields the engine reads compare equal (directions NaN-aware)."""
    assert set(ours) == set(theirs)
    for key in ours:
        a, b = ours[key], theirs[key]
        if key in ("space directions", "space origin", "sizes", "spacings"):
            np.testing.assert_array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float), err_msg=key)
        else:
            assert a == b, key


@pytest.mark.parametrize("dtype, shape, header, encoding", CASES, ids=IDS)
def test_round_trip(tmp_path, dtype, shape, header, encoding):
    array = _array(dtype, shape)
    path = tmp_path / "x.nrrd"
    nrrd_format.write(path, array, header(encoding))
    data, read_header = nrrd_format.read(path)
    assert data.dtype == np.dtype(dtype) and data.shape == shape and data.flags.writeable
    np.testing.assert_array_equal(data, array)
    assert read_header["sizes"].tolist() == list(shape[::-1]) and read_header["encoding"] == encoding
    np.testing.assert_array_equal(read_header["space directions"],
                                  np.asarray(header(encoding)["space directions"], dtype=float))
    assert nrrd_format.read_header(path)["kinds"] == header(encoding)["kinds"]


def test_the_writer_writes_no_time_stamp_and_the_same_bytes_twice(tmp_path):
    array = _array(np.int16, (3, 4, 5))
    first = nrrd_format.to_bytes(array, _image_header("gzip"))
    assert first == nrrd_format.to_bytes(array, _image_header("gzip"))
    head = first[:first.index(b"\n\n")].decode("ascii")
    assert head.splitlines()[0] == "NRRD0005" and "GMT" not in head
    assert "\nendian: little\n" in head and "\ntype: int16\n" in head
    assert "endian" not in nrrd_format.to_bytes(array.astype(np.uint8), _image_header("raw")).decode("latin-1")


def test_key_value_pairs_keep_colons_and_empty_values(tmp_path):
    path = tmp_path / "s.seg.nrrd"
    nrrd_format.write(path, np.zeros((2, 3, 4, 2), np.uint8), _layers_header("gzip"))
    header = nrrd_format.read_header(path)
    assert header["Segment0_Name"] == "Right femoral head" and header["Segment0_Tags"] == ""
    assert header["Segment1_Tags"].startswith("TerminologyEntry:Segmentation category and type - 3D Slicer")
    assert np.isnan(header["space directions"][0]).all() and header["space"] == "left-posterior-superior"


def _nrrd_file(tmp_path: Path, head: str, data: bytes = b"", name: str = "f.nrrd") -> Path:
    path = tmp_path / name
    path.write_bytes(head.encode("latin-1") + b"\n" + data)
    return path


@pytest.mark.parametrize("head, words", [
    ("P5\n", "no NRRD magic line"),
    ("NRRD0006\ntype: uint8\ndimension: 1\nsizes: 2\nencoding: raw\n", "version 6 is newer"),
    ("NRRD0004\ntype: short\ndimension: 1\nsizes: 2\nencoding: raw\n", "needs an 'endian' field"),
    ("NRRD0004\ntype: uint8\ndimension: 2\nsizes: 2\nencoding: raw\n", "dimension 2 but 1 sizes"),
    ("NRRD0004\ntype: uint8\ndimension: 1\nencoding: raw\n", "no 'sizes' field"),
    ("NRRD0004\ntype: uint8\ndimension: 1\nsizes: 2\nencoding: zrle\n", "encoding 'zrle' is not supported"),
    ("NRRD0004\ntype: quaternion\ndimension: 1\nsizes: 2\nencoding: raw\n", "unknown NRRD type"),
    ("NRRD0004\ntype: uint8\ndimension: 1\nsizes: 2\nencoding: raw\nsizes: 2\n", "'sizes' given twice"),
    ("NRRD0004\ntype: uint8\ndimension: 1\nsizes: 9\nencoding: raw\n", "data holds 2 bytes"),
    ("NRRD0004\ntype: uint8\ndimension: 1\nsizes: 2\nencoding: gzip\n", "gzip data cannot be decompressed"),
    ("NRRD0004\ntype: uint8\ndimension: 2\nsizes: 2 1\nencoding: raw\nspace directions: (1,0) (0,1,0)\n",
     "vectors of different lengths"),
    ("NRRD0004\ntype: uint8\ndimension: 1\nsizes: 2\nencoding: raw\ndata file: LIST\n", "several files"),
    ("NRRD0004\ntype: uint8\ndimension: 1\nsizes: 2\nencoding: raw\ndata file: s%03d.raw 1 4 1\n", "several files"),
    ("NRRD0004\ntype: uint8\ndimension: 1\nsizes: 2\nencoding: raw\ndata file: gone.raw\n",
     "'gone.raw' cannot be read"),
])
def test_what_is_not_read_is_refused_saying_why(tmp_path, head, words):
    with pytest.raises(NrrdFormatError, match=re.escape(words)):
        nrrd_format.read(_nrrd_file(tmp_path, head, b"\x01\x02"))


def test_detached_data_ascii_skips_and_big_endian(tmp_path):
    (tmp_path / "d.raw").write_bytes(b"junk\n" + np.array([1, -2, 300], ">i2").tobytes())
    header = _nrrd_file(tmp_path, "NRRD0004\ntype: short\ndimension: 1\nsizes: 3\nendian: big\nencoding: raw\n"
                                  "line skip: 1\ndata file: d.raw\n", name="d.nhdr")
    data, _ = nrrd_format.read(header)
    assert data.tolist() == [1, -2, 300] and data.dtype == np.dtype("int16") and data.dtype.isnative
    text = _nrrd_file(tmp_path, "NRRD0004\ntype: float\ndimension: 2\nsizes: 2 2\nencoding: ascii\n",
                      b"1 2.5\n-3 4\n")
    np.testing.assert_array_equal(nrrd_format.read(text)[0], np.array([[1, 2.5], [-3, 4]], np.float32))
    tail = _nrrd_file(tmp_path, "NRRD0004\ntype: uint8\ndimension: 1\nsizes: 2\nencoding: raw\nbyte skip: -1\n",
                      b"header junk" + b"\x07\x08")
    assert nrrd_format.read(tail)[0].tolist() == [7, 8]


@pytest.mark.parametrize("dtype", DTYPES)
def test_simpleitk_and_we_read_each_others_files(tmp_path, dtype):
    """ITK (which Slicer's Python has) as the independent implementation: same voxels, same geometry both ways."""
    import SimpleITK as sitk  # noqa: N813

    from axspa.io.nrrdfile import read_nrrd, write_nrrd

    array = _array(dtype, (3, 4, 5))
    image = sitk.GetImageFromArray(array)
    image.SetSpacing((0.5, 0.7, 3.0))
    image.SetOrigin((1.0, -2.0, 3.5))
    image.SetDirection((0, 1, 0, -1, 0, 0, 0, 0, 1))
    sitk.WriteImage(image, str(tmp_path / "itk.nrrd"), True)  # gzip
    data, ijk_to_ras = read_nrrd(tmp_path / "itk.nrrd")
    assert data.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(data, array)
    lps = np.diag([-1.0, -1.0, 1.0])
    np.testing.assert_allclose(lps @ ijk_to_ras[:3, :3],
                               np.reshape(image.GetDirection(), (3, 3)) * np.asarray(image.GetSpacing()))
    np.testing.assert_allclose(lps @ ijk_to_ras[:3, 3], image.GetOrigin())
    for compress in (True, False):
        write_nrrd(tmp_path / "ours.nrrd", array, OBLIQUE, compress=compress)
        back = sitk.ReadImage(str(tmp_path / "ours.nrrd"))
        np.testing.assert_array_equal(sitk.GetArrayFromImage(back), array)
        np.testing.assert_allclose(np.reshape(back.GetDirection(), (3, 3)) * np.asarray(back.GetSpacing()),
                                   lps @ OBLIQUE[:3, :3], atol=1e-12)
        np.testing.assert_allclose(back.GetOrigin(), lps @ OBLIQUE[:3, 3], atol=1e-12)


def test_the_engine_reads_and_writes_nrrd_without_pynrrd(tmp_path, monkeypatch):
    """As in 3D Slicer's Python: pynrrd cannot be imported; images and segmentations still round-trip."""
    from axspa.io.nrrdfile import read_nrrd, write_nrrd
    from axspa.io.segfile import read_seg_nrrd, write_seg_nrrd

    monkeypatch.setitem(sys.modules, "nrrd", None)
    image = _array(np.float32, (3, 4, 5))
    write_nrrd(tmp_path / "h.nrrd", image, OBLIQUE)
    data, ijk_to_ras = read_nrrd(tmp_path / "h.nrrd")
    np.testing.assert_array_equal(data, image)
    np.testing.assert_allclose(ijk_to_ras, OBLIQUE, atol=1e-12)
    bone = np.zeros((3, 4, 5), bool)
    bone[1, 1:3, 1:4] = True
    edema = np.zeros_like(bone)
    edema[1, 2, 2] = True  # inside the bone: a second layer
    segments = [("Bone", 1, (1, 1, 1)), ("Edema", 2, (1, 0, 0))]
    write_seg_nrrd(tmp_path / "s.seg.nrrd", {"Bone": bone, "Edema": edema}, OBLIQUE, segments=segments)
    masks, ijk_to_ras = read_seg_nrrd(tmp_path / "s.seg.nrrd")
    assert set(masks) == {"Bone", "Edema"} and (masks["Bone"] == bone).all() and (masks["Edema"] == edema).all()
    np.testing.assert_allclose(ijk_to_ras, OBLIQUE, atol=1e-12)
    assert nrrd_format.read_header(tmp_path / "s.seg.nrrd")["dimension"] == 4


# ------------------------------------------------------------------------------------------ against pynrrd

@pytest.fixture
def pynrrd():
    return pytest.importorskip("nrrd", reason="pynrrd (the dev extra) is the independent NRRD implementation")


def _pynrrd_bytes(pynrrd, array, header) -> bytes:
    buffer = io.BytesIO()
    pynrrd.write(buffer, array, dict(header), index_order="C")
    return buffer.getvalue()


@pytest.mark.parametrize("dtype, shape, header, encoding", CASES, ids=IDS)
def test_same_bytes_as_pynrrd_less_its_comments(pynrrd, dtype, shape, header, encoding):
    array = _array(dtype, shape)
    theirs = re.sub(rb"# This NRRD file was generated by pynrrd\n# on [^\n]*\(GMT\)\.\n", b"",
                    _pynrrd_bytes(pynrrd, array, header(encoding)), count=1)
    assert nrrd_format.to_bytes(array, header(encoding)) == theirs


@pytest.mark.parametrize("dtype, shape, header, encoding", CASES, ids=IDS)
def test_we_read_what_pynrrd_writes(tmp_path, pynrrd, dtype, shape, header, encoding):
    array = _array(dtype, shape)
    path = tmp_path / "p.nrrd"
    pynrrd.write(str(path), array, dict(header(encoding)), index_order="C")
    data, ours = nrrd_format.read(path)
    theirs_data, theirs = pynrrd.read(str(path), index_order="C")
    assert data.dtype == theirs_data.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(data, array)
    _same_header_fields(ours, theirs)


@pytest.mark.parametrize("dtype, shape, header, encoding", CASES, ids=IDS)
def test_pynrrd_reads_what_we_write(tmp_path, pynrrd, dtype, shape, header, encoding):
    array = _array(dtype, shape)
    path = tmp_path / "o.nrrd"
    nrrd_format.write(path, array, header(encoding))
    data, theirs = pynrrd.read(str(path), index_order="C")
    assert data.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(data, array)
    _same_header_fields(nrrd_format.read_header(path), theirs)


def test_we_read_pynrrds_other_encodings_detached_headers_and_byte_orders(tmp_path, pynrrd):
    array = _array(np.int16, (2, 3, 4))
    for encoding in ("bzip2", "ascii", "gzip", "raw"):
        path = tmp_path / f"{encoding}.nhdr"  # detached: a header and a data file beside it
        pynrrd.write(str(path), array, {"encoding": encoding, "space": "RAS", "space directions": np.eye(3)},
                     index_order="C")
        data, header = nrrd_format.read(path)
        np.testing.assert_array_equal(data, array)
        assert header["space"] == "RAS" and "data file" in header
    big = tmp_path / "big.nrrd"
    pynrrd.write(str(big), array.astype(">f4"), {"encoding": "raw"}, index_order="C")
    data, header = nrrd_format.read(big)
    assert header["endian"] == "big" and data.dtype == np.dtype("float32") and data.dtype.isnative
    np.testing.assert_array_equal(data, array)


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.nrrd")))
def test_the_sample_files_read_as_pynrrd_reads_them(pynrrd, name):
    data, header = nrrd_format.read(SAMPLES / name)
    theirs_data, theirs = pynrrd.read(str(SAMPLES / name), index_order="C")
    assert data.dtype == theirs_data.dtype
    np.testing.assert_array_equal(data, theirs_data)
    _same_header_fields(header, theirs)
