"""Messages name the file (and row or slice) and the problem (issue 8, item 10)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from axspa.cli import main
from axspa.image import InputError
from axspa.io.dicom_write import write_radiograph_dicom, write_series_dicom
from axspa.io.radiograph import read_radiograph

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "Resources" / "SampleData"
SEG = SAMPLE / "AxSpA-HipSTIR.seg.nrrd"


def _series(folder: Path, seed: str) -> list[Path]:
    array = (np.arange(5 * 16 * 12) % 300).reshape(5, 16, 12).astype(np.int16)
    return write_series_dicom(folder, array, np.diag([-0.8, -0.8, 4.0, 1.0]), seed_uid_from=seed)


def test_a_truncated_dicom_says_it_ends_early(tmp_path):
    path = tmp_path / "cut.dcm"
    write_radiograph_dicom(path, np.zeros((40, 30), np.uint16), spacing_mm=(0.2, 0.2),
                           photometric="MONOCHROME2", seed_uid_from="cut")
    raw = path.read_bytes()
    path.write_bytes(raw[:raw.rindex(b"\xe0\x7f\x10\x00")])  # cut just before the PixelData element
    with pytest.raises(InputError, match="ends early") as err:
        read_radiograph(path)
    assert str(path) in str(err.value)


def test_two_series_message_names_the_real_option(tmp_path, capsys):
    _series(tmp_path / "dicom" / "a", "one")
    _series(tmp_path / "dicom" / "b", "two")
    assert main(["hip", str(tmp_path / "dicom"), "--seg", str(SEG), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "--series-uid UID" in err and "--series UID" not in err


def test_a_single_file_names_itself_and_the_bad_slice(tmp_path, capsys):
    files = _series(tmp_path / "dicom", "one")
    files[3].write_bytes(files[3].read_bytes()[:400])  # one slice cut short
    assert main(["hip", str(files[0]), "--seg", str(SEG), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"axspa hip: {files[0]}:") and str(files[3]) in err


def test_rows_missing_from_a_reading_table_are_named(tmp_path, capsys):
    rows = (SAMPLE / "sample-reading.csv").read_text().splitlines()
    table = tmp_path / "reading.csv"
    table.write_text("\n".join(r for r in rows if not r.startswith(("C7s", "L2i"))) + "\n")
    assert main(["msasss", str(table)]) == 0
    err = capsys.readouterr().err
    assert str(table) in err and "C7s" in err and "L2i" in err and "no row" in err


def test_a_missing_file_in_a_pairs_table_names_the_row(tmp_path, capsys):
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(f"id,a,b\nok,{SEG}#Right femoral head,{SEG}#Left femoral head\n"
                     f"gone,{SEG}#Right femoral head,absent.nii.gz\n")
    assert main(["agree", "masks", "--pairs", str(pairs)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "line 3" in err and "pair gone" in err and "absent.nii.gz" in err


def test_an_itk_error_keeps_its_reason(tmp_path):
    from axspa.io.volume import read_volume

    bad = tmp_path / "bad.nrrd"
    bad.write_text("NRRD0004\ntype: float\ndimension: 3\nsizes: 10 10 10\nencoding: raw\n\nabc")
    with pytest.raises(InputError) as err:
        read_volume(bad)
    text = str(err.value)
    assert text.startswith(f"{bad}:") and "require endian info" in text and "0x" not in text


def _renamed_seg(tmp_path: Path, old: bytes, new: bytes) -> Path:
    raw = SEG.read_bytes()
    end = raw.index(b"\n\n")
    path = tmp_path / "renamed.seg.nrrd"
    path.write_bytes(raw[:end].replace(b"_Name:=" + old + b"\n", b"_Name:=" + new + b"\n") + raw[end:])
    return path


def test_seg_file_names_match_ignoring_case_and_duplicates_are_refused(tmp_path, capsys):
    """As in Slicer (item 12): a reader's 'right  femoral head' is the Right femoral head; two segments of
    one name are refused naming the file, never one of them picked silently."""
    stir = SAMPLE / "AxSpA-HipSTIR.nrrd"
    assert main(["hip", str(stir), "--seg", str(SEG), "--out", str(tmp_path / "ref")]) == 0
    lower = _renamed_seg(tmp_path, b"Right femoral head", b"right  femoral head")
    assert main(["hip", str(stir), "--seg", str(lower), "--out", str(tmp_path / "low")]) == 0
    reference = (tmp_path / "ref" / "hip.json").read_text().replace(str(SEG), "SEG")
    assert (tmp_path / "low" / "hip.json").read_text().replace(str(lower), "SEG") == reference
    capsys.readouterr()
    twice = _renamed_seg(tmp_path, b"Left femoral head", b"right femoral head")
    assert main(["hip", str(stir), "--seg", str(twice), "--out", str(tmp_path / "dup")]) == 2
    err = capsys.readouterr().err
    assert str(twice) in err and "two segments named" in err


def test_a_refused_bundle_says_the_command_line_flag_on_the_command_line(tmp_path, capsys):
    """The hint travels as a field of the error: the command line adds its flag, the panels word their own."""
    from fake_predictors import install_bundle

    models = tmp_path / "models"
    install_bundle(models, "hip-segmenter", "BoxHips")
    info = (models / "hip-segmenter" / "bundle.json")
    info.write_text(info.read_text().replace("fake_predictors:BoxHips", "lab_models:Net"))
    assert main(["hip", str(SAMPLE / "AxSpA-HipSTIR.nrrd"), "--out", str(tmp_path / "out"),
                 "--model-dir", str(models / "hip-segmenter")]) == 3
    err = capsys.readouterr().err
    assert "loading it would run the bundle's code (pass --trust-bundle-code, or list the module" in err
