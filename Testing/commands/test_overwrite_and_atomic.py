"""One rule for every command that writes (issue 8, classes 4 and 5): outputs are written atomically (a
temporary name, then a rename; a phantom hip case folder appears only when complete), and an existing
output that differs from the new result (the user's edit) is kept unless ``--overwrite``."""

from __future__ import annotations

from pathlib import Path

import pytest

from axspa.cli import main
from axspa.results import write_file_safely

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "Resources" / "SampleData"
READING = SAMPLE / "sample-reading.csv"


def test_an_interrupted_writer_leaves_nothing_under_the_output_name(tmp_path):
    path = tmp_path / "out" / "result.json"

    def half_then_ctrl_c(tmp):
        Path(tmp).write_text('{"half": ')
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_file_safely(path, half_then_ctrl_c)
    assert list(path.parent.iterdir()) == []
    path.write_text("the old result\n")
    with pytest.raises(KeyboardInterrupt):
        write_file_safely(path, half_then_ctrl_c, overwrite=True)
    assert path.read_text() == "the old result\n" and list(path.parent.iterdir()) == [path]


def test_an_interrupted_hip_phantom_leaves_no_case_folder(tmp_path, monkeypatch):
    import axspa.io.segfile

    def ctrl_c(*args, **kwargs):  # the DICOM series is written, the segmentation is not
        raise KeyboardInterrupt

    monkeypatch.setattr(axspa.io.segfile, "write_seg_nrrd", ctrl_c)
    out = tmp_path / "h"
    assert main(["phantom", "hip", "--n", "1", "--seed", "3", "--size", "small", "--out", str(out)]) == 130
    assert list(out.iterdir()) == []  # no case folder, no hidden half case either
    monkeypatch.undo()
    assert main(["phantom", "hip", "--n", "1", "--seed", "3", "--size", "small", "--out", str(out)]) == 0
    case = out / "hip-00000"
    assert sorted(p.name for p in case.iterdir()) == ["dicom", "truth.json", "truth.seg.nrrd"]
    assert [p.name for p in out.iterdir()] == ["hip-00000"]


def _reader_tables(tmp_path: Path) -> list[str]:
    rows = READING.read_text().splitlines()[1:]
    paths = []
    for n, bump in enumerate((0, 1)):
        path = tmp_path / f"reader{n + 1}.csv"
        lines = [f"{study},{site},{min(3, int(grade) + bump * (i % 2)) if grade else ''}"
                 for k, study in enumerate(("s1", "s2", "s3")) for i, (site, grade) in
                 enumerate(r.split(",") for r in rows) if (i + k) % 5]
        path.write_text("study,site,grade\n" + "\n".join(lines) + "\n")
        paths.append(str(path))
    return paths


def _setup(kind: str, tmp_path: Path) -> tuple[list[str], Path]:
    out = tmp_path / "out"
    if kind == "phantom":
        return ["phantom", "spine", "--n", "1", "--size", "small", "--out", str(out)], out / "spine-00000.truth.json"
    if kind == "agree-scores":
        return ["agree", "scores", *_reader_tables(tmp_path), "--bootstrap", "100", "--plot", str(out)], \
            out / "agreement.json"
    if kind == "agree-masks":
        seg = SAMPLE / "AxSpA-HipSTIR.seg.nrrd"
        return ["agree", "masks", f"{seg}#Right femoral head", f"{seg}#Left femoral head", "--out", str(out)], \
            out / "overlap.json"
    if kind == "progression":
        manifest = tmp_path / "cohort.csv"
        manifest.write_text(f"patient,visit_date,result\np1,2020-01-01,{READING}\np1,2022-01-01,{READING}\n")
        return ["progression", str(manifest), "--out", str(out)], out / "progression.csv"
    assert kind == "report"
    assert main(["hip", str(SAMPLE / "AxSpA-HipSTIR.nrrd"), "--seg", str(SAMPLE / "AxSpA-HipSTIR.seg.nrrd"),
                 "--out", str(out)]) == 0
    return ["report", str(out), "--no-thumbnails"], out / "report.html"


@pytest.mark.parametrize("kind", ["phantom", "agree-scores", "agree-masks", "progression", "report"])
def test_every_command_keeps_an_edited_output_unless_overwrite(kind, tmp_path, capsys):
    argv, output = _setup(kind, tmp_path)
    assert main(argv) == 0
    first = output.read_bytes()
    capsys.readouterr()
    assert main(argv) == 0  # the same result again: nothing to keep
    assert "kept" not in capsys.readouterr().out and output.read_bytes() == first
    output.write_bytes(first + b"\n<!-- edited by hand -->\n")
    assert main(argv) == 0
    said = capsys.readouterr().out
    assert f"kept {output}" in said and "--overwrite" in said
    assert output.read_bytes().endswith(b"edited by hand -->\n")
    assert main([*argv, "--overwrite"]) == 0
    assert b"edited by hand" not in output.read_bytes()
    assert not [p for p in output.parent.rglob(".part-*")]


def test_low_level_writers_never_leave_half_a_file(tmp_path):
    """DICOM, NRRD and markups writers are atomic too (a phantom series or a slice cut short by an error)."""
    import pydicom
    from pydicom.dataset import FileMetaDataset

    from axspa.io.dicom_compat import save_part10

    path = tmp_path / "IM0001.dcm"
    path.write_bytes(b"the old slice")
    ds = pydicom.Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.4"
    ds.file_meta.MediaStorageSOPInstanceUID = "1.2.3"
    ds.PatientName = "PHANTOM"
    ds.add_new(0x00280010, "US", "not a number")  # Rows: fails while the file is being written
    with pytest.raises(Exception):  # noqa: B017 (pydicom's own error type varies between versions)
        save_part10(ds, path)
    assert path.read_bytes() == b"the old slice" and [p.name for p in tmp_path.iterdir()] == ["IM0001.dcm"]
