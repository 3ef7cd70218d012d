"""A radiograph with a Modality LUT Sequence reads under pydicom 2 (Slicer 5.8 and 5.10 ship 2.4.4) and 3
(issue 8, item 13): the pydicom 2/3 spellings live in axspa/io/dicom_compat.py only. This file runs in the
Python 3.9 + pydicom 2 pass of `make test` as well."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from axspa.io.dicom_compat import save_part10
from axspa.io.dicom_write import write_radiograph_dicom
from axspa.io.radiograph import read_radiograph

ENGINE = Path(__file__).resolve().parents[2] / "axspa"


def test_modality_lut_sequence_is_applied(tmp_path):
    path = tmp_path / "lut.dcm"
    stored = (np.arange(64 * 48) % 256).reshape(64, 48).astype(np.uint16)
    write_radiograph_dicom(path, stored, spacing_mm=(0.2, 0.2), photometric="MONOCHROME2", seed_uid_from="lut")
    ds = pydicom.dcmread(path)
    for keyword in ("RescaleSlope", "RescaleIntercept", "RescaleType", "WindowCenter", "WindowWidth"):
        if keyword in ds:
            delattr(ds, keyword)
    item = Dataset()
    item.LUTDescriptor = [256, 0, 16]
    item.ModalityLUTType = "US"
    item.add_new(0x00283006, "US", [int(4000 - 10 * v) for v in range(256)])  # LUTData: inverts the values
    ds.ModalityLUTSequence = Sequence([item])
    save_part10(ds, path)
    rad = read_radiograph(path)
    assert any("modality LUT sequence (256 entries" in s for s in rad.steps)
    # stored 0 -> 4000 (brightest), stored 255 -> 1450 (darkest)
    assert rad.pixels[0, 0] > rad.pixels[0, 255 % 48] and rad.pixels.max() == rad.pixels[0, 0]


def test_pydicom_3_only_modules_are_used_through_dicom_compat_only():
    offenders = [str(p.relative_to(ENGINE)) for p in ENGINE.rglob("*.py")
                 if p.name != "dicom_compat.py" and "pydicom.pixels" in p.read_text(encoding="utf-8")]
    assert offenders == []
