"""Regenerate Resources/SampleData from the phantoms (same seeds, same bytes) and its manifest.

    .venv/bin/python Utilities/make_sample_data.py

The radiographs are re-encoded as JPEG 2000 lossless (the files stay small, and Slicer's sample
data then also exercises a compressed transfer syntax); the hip case is stored as a NRRD volume
plus its reference .seg.nrrd. The manifest records each file's SHA256, which Slicer's SampleData
checks when it loads them.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pydicom
from pydicom.uid import JPEG2000Lossless

from axspa.cli import main as axspa
from axspa.hip.segments import HIP_SEGMENTS
from axspa.io.dicom_compat import save_part10
from axspa.io.nrrdfile import write_nrrd
from axspa.io.segfile import read_seg_nrrd, write_seg_nrrd
from axspa.io.volume import read_volume
from axspa.results import sha256_file

OUT = Path(__file__).resolve().parent.parent / "Resources" / "SampleData"
# (file, phantom arguments, sample name, module, node name): seeds picked for cases with lesions.
RADIOGRAPHS = [
    ("AxSpA-CervicalSpine.dcm", ["spine", "--region", "cervical", "--seed", "16"],
     "Phantom cervical spine (lateral)", "AxSpAScoring", "PhantomCervicalSpine"),
    ("AxSpA-LumbarSpine.dcm", ["spine", "--region", "lumbar", "--seed", "14"],
     "Phantom lumbar spine (lateral)", "AxSpAScoring", "PhantomLumbarSpine"),
    ("AxSpA-Pelvis.dcm", ["pelvis", "--generator", "2", "--photo-fraction", "0", "--grade-probs", "0,0,0.3,0.4,0.3",
                          "--seed", "11"],
     "Phantom pelvis (AP)", "AxSpAScoring", "PhantomPelvis"),
]


def make_radiograph(name: str, args: list[str], tmp: Path) -> Path:
    folder = tmp / name
    assert axspa(["phantom", *args, "--n", "1", "--out", str(folder)]) == 0
    source = next(folder.glob("*.dcm"))
    ds = pydicom.dcmread(source)
    # Lossless: the pixels are the same image, so it keeps its SOP Instance UID (and the bytes stay reproducible).
    ds.compress(JPEG2000Lossless, encoding_plugin="pylibjpeg", generate_instance_uid=False)
    save_part10(ds, OUT / name)
    # The truth describes the shipped file: its name and the sha256 of the re-encoded bytes.
    truth = json.loads(next(folder.glob("*.truth.json")).read_text())
    truth["input"].update(path=name, sha256=sha256_file(OUT / name))
    (OUT / name.replace(".dcm", ".truth.json")).write_text(json.dumps(truth, indent=2) + "\n")
    return OUT / name


def make_hip(tmp: Path) -> list[Path]:
    assert axspa(["phantom", "hip", "--n", "1", "--seed", "11", "--size", "small", "--out", str(tmp / "hip")]) == 0
    case = next((tmp / "hip").glob("*/truth.json")).parent
    volume = read_volume(case / "dicom")
    masks, ijk_to_ras = read_seg_nrrd(case / "truth.seg.nrrd")
    write_nrrd(OUT / "AxSpA-HipSTIR.nrrd", volume.array, volume.ijk_to_ras)
    write_seg_nrrd(OUT / "AxSpA-HipSTIR.seg.nrrd", masks, ijk_to_ras, segments=HIP_SEGMENTS)
    shutil.copy(case / "truth.json", OUT / "AxSpA-HipSTIR.truth.json")
    return [OUT / "AxSpA-HipSTIR.nrrd", OUT / "AxSpA-HipSTIR.seg.nrrd"]


def main() -> None:
    samples = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, args, title, module, node in RADIOGRAPHS:
            path = make_radiograph(name, args, Path(tmp))
            samples.append(_entry(path, title, module, node, "VolumeFile", {"singleFile": True}))
        volume, seg = make_hip(Path(tmp))
    samples.append(_entry(volume, "Phantom hip STIR (coronal)", "HipInflammation", "PhantomHipSTIR", "VolumeFile"))
    samples.append(_entry(seg, "Phantom hip STIR reference segmentation", "HipInflammation",
                          "PhantomHipSTIR segmentation", "SegmentationFile"))
    (OUT / "manifest.json").write_text(json.dumps({"samples": samples}, indent=2) + "\n")


def _entry(path: Path, title: str, module: str, node: str, file_type: str, properties: dict | None = None) -> dict:
    return {"name": title, "module": module, "category": "AxSpA", "file": path.name, "sha256": sha256_file(path),
            "node_name": node, "load_file_type": file_type, "properties": properties or {}}


if __name__ == "__main__":
    main()
