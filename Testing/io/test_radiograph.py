"""read_radiograph on real files from pydicom-data and deid-data, and on files we write."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image

from axspa.image import InputError
from axspa.io import read_radiograph, write_radiograph_dicom

pytest.importorskip("pydicom.data")
from pydicom.data import get_testdata_file  # noqa: E402


def _data(name: str) -> str:
    path = get_testdata_file(name, download=False)  # never from the network: pydicom-data (the dev extra) has them
    if path is None:
        pytest.skip(f"pydicom test file {name} not installed (pydicom-data, the dev extra)")
    return str(path)


def test_cr_with_zero_pixel_spacing_warns_and_reads():
    # RG1: real CR chest, MONOCHROME1, 15-bit, PixelSpacing "0.000\0.000".
    rad = read_radiograph(_data("RG1_UNCR.dcm"))
    assert rad.spacing_mm is None
    assert any("PixelSpacing" in w and "0.000" in w for w in rad.warnings)
    assert rad.pixels.dtype == np.float32 and rad.pixels.shape == (1955, 1841)
    assert 0.0 <= rad.pixels.min() and rad.pixels.max() <= 1.0
    assert rad.meta["modality"] == "CR" and rad.meta["bits_stored"] == 15
    assert "VOI window c=15000, w=30000" in rad.steps


def test_jpeg2000_lossless_equals_uncompressed_twin():
    for compressed, plain in [("RG1_J2KR.dcm", "RG1_UNCR.dcm"), ("MR_small_jp2klossless.dcm", "MR_small.dcm")]:
        a, b = read_radiograph(_data(compressed)), read_radiograph(_data(plain))
        assert np.array_equal(a.pixels, b.pixels), compressed
        assert "JPEG 2000" in a.meta["transfer_syntax"]
        assert a.sha256 != b.sha256


def test_jpeg_lossless_decodes():
    sitk = pytest.importorskip("SimpleITK")
    rad = read_radiograph(_data("JPEG-LL.dcm"))
    assert rad.meta["transfer_syntax_uid"] == "1.2.840.10008.1.2.4.70"
    # An independent decoder (GDCM inside SimpleITK) must see the same stored values.
    stored = sitk.GetArrayFromImage(sitk.ReadImage(_data("JPEG-LL.dcm")))[0].astype(float)
    assert rad.pixels.shape == stored.shape
    assert rad.spacing_mm == (2.26, 2.26)
    expected = (stored - stored.min()) / (stored.max() - stored.min())
    assert np.allclose(rad.pixels, expected, atol=1e-6)


def test_monochrome1_is_inverted(tmp_path):
    src = _data("RG1_UNCR.dcm")
    ds = pydicom.dcmread(src)
    ds.PhotometricInterpretation = "MONOCHROME2"
    as_mono2 = tmp_path / "rg1_mono2.dcm"
    ds.save_as(as_mono2)
    inverted, plain = read_radiograph(src), read_radiograph(as_mono2)
    assert "inverted MONOCHROME1 (bone bright)" in inverted.steps
    assert np.allclose(inverted.pixels, 1.0 - plain.pixels, atol=1e-6)
    # PA chest: the mediastinum/spine (central columns) is brighter than the lung fields beside it.
    p = inverted.pixels
    rows = slice(p.shape[0] // 3, 2 * p.shape[0] // 3)
    centre = p[rows, p.shape[1] // 2 - 50: p.shape[1] // 2 + 50].mean()
    lungs = (p[rows, p.shape[1] // 4 - 50: p.shape[1] // 4 + 50].mean()
             + p[rows, 3 * p.shape[1] // 4 - 50: 3 * p.shape[1] // 4 + 50].mean()) / 2
    assert centre > lungs + 0.1


def test_deid_dx_radiograph_spacing_from_header():
    deid_data = pytest.importorskip("deid_data")
    path = Path(deid_data.__file__).parent / "data" / "animals" / "cat.dcm"
    if not path.exists():
        pytest.skip("deid-data DX radiograph not installed")
    rad = read_radiograph(path)
    assert rad.meta["modality"] == "DX"
    assert rad.spacing_mm == (0.14, 0.14)
    assert any(s.startswith("spacing from PixelSpacing") and "ImagerPixelSpacing" in s for s in rad.steps)
    assert rad.pixels.shape == (2614, 3072)


def test_colour_dicom_to_grey_and_voi_lut_sequence():
    rgb = read_radiograph(_data("SC_rgb.dcm"))
    assert rgb.pixels.ndim == 2 and any("luminance" in s for s in rgb.steps)
    ybr = read_radiograph(_data("SC_ybr_full_uncompressed.dcm"))
    assert np.allclose(ybr.pixels, rgb.pixels, atol=0.03)  # same picture, stored as YBR_FULL
    voi = read_radiograph(_data("vlut_04.dcm"))
    assert voi.steps[0].startswith("VOI LUT sequence")
    ct = read_radiograph(_data("CT_small.dcm"))
    assert "rescale slope 1 intercept -1024" in ct.steps


@pytest.mark.parametrize("name, words", [
    ("test-SR.dcm", "structured report"),
    ("emri_small.dcm", "10 frames"),
    ("rtplan.dcm", "radiotherapy"),
])
def test_non_radiograph_dicom_is_rejected_by_name(name, words):
    with pytest.raises(InputError) as e:
        read_radiograph(_data(name))
    assert name in str(e.value) and words in str(e.value)


def test_not_an_image_and_missing_file(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not an image")
    with pytest.raises(InputError, match="notes.txt: not an image"):
        read_radiograph(text)
    with pytest.raises(InputError, match="not found"):
        read_radiograph(tmp_path / "nope.dcm")
    fake = tmp_path / "fake.dcm"
    fake.write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00garbage")
    with pytest.raises(InputError, match="fake.dcm"):
        read_radiograph(fake)


def _ramp(dtype, top):
    return (np.linspace(0, top, 40 * 50).reshape(40, 50)).astype(dtype)


@pytest.mark.parametrize("photometric", ["MONOCHROME1", "MONOCHROME2"])
@pytest.mark.parametrize("dtype, top", [(np.uint8, 255), (np.uint16, 4095), (np.uint16, 60000)])
def test_round_trip_written_radiograph(tmp_path, photometric, dtype, top):
    stored = _ramp(dtype, top)
    path = tmp_path / "r.dcm"
    write_radiograph_dicom(path, stored, spacing_mm=(0.15, 0.2), photometric=photometric,
                           seed_uid_from="t")
    rad = read_radiograph(path)
    expected = (stored - stored.min()) / float(stored.max() - stored.min())
    if photometric == "MONOCHROME1":
        expected = 1.0 - expected
    assert np.allclose(rad.pixels, expected, atol=1e-6)
    assert rad.spacing_mm == (0.15, 0.2) and rad.photometric == photometric
    assert rad.meta["bits_stored"] == {255: 8, 4095: 12, 60000: 16}[top]


def test_round_trip_imager_spacing_and_window(tmp_path):
    stored = _ramp(np.uint16, 4095)
    p = tmp_path / "dx.dcm"
    write_radiograph_dicom(p, stored, spacing_mm=(0.144, 0.144), modality="DX",
                           spacing_tag="ImagerPixelSpacing", window=(2048, 1024), seed_uid_from="dx")
    rad = read_radiograph(p)
    assert rad.spacing_mm == (0.144, 0.144)
    assert any("ImagerPixelSpacing" in w and "magnification" in w for w in rad.warnings)
    # window c=2048 w=1024 (LINEAR): values <= 1535.5 -> 0, > 2558.5 -> 1
    assert rad.pixels[stored <= 1535].max() == 0.0 and rad.pixels[stored >= 2560].min() == 1.0
    q = tmp_path / "dx_mag.dcm"
    write_radiograph_dicom(q, stored, spacing_mm=(0.144, 0.144), modality="DX", spacing_tag="ImagerPixelSpacing",
                           extra={"EstimatedRadiographicMagnificationFactor": "1.2"}, seed_uid_from="dx")
    assert read_radiograph(q).spacing_mm == pytest.approx((0.12, 0.12))


def test_malformed_spacing_never_crashes(tmp_path):
    stored = _ramp(np.uint16, 4095)
    for bad in ["-0.1\\0.1", "0.2", "0\\0"]:
        p = tmp_path / "bad.dcm"
        write_radiograph_dicom(p, stored, spacing_mm=None, extra={"PixelSpacing": bad}, seed_uid_from="b")
        rad = read_radiograph(p)
        assert rad.spacing_mm is None and any(w.startswith(f"PixelSpacing '{bad}'") for w in rad.warnings)
    # non-numeric bytes cannot be written through pydicom: patch the file instead
    write_radiograph_dicom(p, stored, spacing_mm=(9.99, 9.99), seed_uid_from="b")
    p.write_bytes(p.read_bytes().replace(b"9.99\\9.99", b"abc\\defgh"))
    rad = read_radiograph(p)
    assert rad.spacing_mm is None and any("PixelSpacing 'abc" in w for w in rad.warnings)


def test_sigmoid_window(tmp_path):
    stored = _ramp(np.uint16, 4095)
    p = tmp_path / "s.dcm"
    write_radiograph_dicom(p, stored, spacing_mm=None, window=(2000, 800), seed_uid_from="s",
                           extra={"VOILUTFunction": "SIGMOID"})
    rad = read_radiograph(p)
    expected = 1.0 / (1.0 + np.exp(-4.0 * (stored.astype(float) - 2000) / 800))
    assert np.allclose(rad.pixels, expected, atol=1e-6)
    assert any("SIGMOID" in s for s in rad.steps)


def test_png_16bit_full_depth_and_colour_jpeg(tmp_path):
    stored = _ramp(np.uint16, 4095)
    png = tmp_path / "r.png"
    Image.fromarray(stored).save(png)
    rad = read_radiograph(png)
    assert len(np.unique(rad.pixels)) == len(np.unique(stored))  # not squeezed to 8 bits
    assert rad.spacing_mm is None and any("no pixel spacing" in w for w in rad.warnings)
    rgb = np.zeros((10, 10, 3), np.uint8)
    rgb[..., 1] = 200
    jpg = tmp_path / "c.jpg"
    Image.fromarray(rgb).save(jpg)
    assert read_radiograph(jpg).pixels[5, 5] == pytest.approx(0.587 * 200 / 255, abs=0.02)  # JPEG is lossy


def test_tiff_resolution_gives_spacing(tmp_path):
    tif = tmp_path / "r.tif"
    Image.fromarray(_ramp(np.uint8, 255)).save(tif, dpi=(254, 127))
    rad = read_radiograph(tif)
    assert rad.spacing_mm == pytest.approx((0.2, 0.1))  # (row from Y, column from X)
    assert any("TIFF resolution" in w for w in rad.warnings)


def test_same_inputs_same_bytes(tmp_path):
    stored = _ramp(np.uint16, 4095)
    a, b = tmp_path / "a.dcm", tmp_path / "b.dcm"
    for p in (a, b):
        write_radiograph_dicom(p, stored, spacing_mm=(0.1, 0.1), seed_uid_from="case-7")
    assert a.read_bytes() == b.read_bytes()
    write_radiograph_dicom(b, stored, spacing_mm=(0.1, 0.1), seed_uid_from="case-8")
    assert a.read_bytes() != b.read_bytes()
    ds = pydicom.dcmread(a)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.1" and ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
