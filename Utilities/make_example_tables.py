"""Write the small example inputs the README's commands run on (Resources/SampleData), so every command in
the README works on a fresh clone without anyone's private data. Seeded: rerunning gives the same bytes.

    .venv/bin/python Utilities/make_example_tables.py

- ``sample-reader1.csv``, ``sample-reader2.csv``: two readers' mSASSS grades of the same 8 studies (columns
  study, site, grade; an empty grade is unscorable), for ``axspa agree scores``. Reader 2 differs by one grade
  at about one site in eight.
- ``sample-reading-followup.csv``: the hand reading of ``sample-reading.csv`` two years later (a new
  syndesmophyte at C3i and a new bridge at L2/3), and ``sample-progression.csv``, the two-visit manifest
  (patient, visit_date, result) of ``axspa progression``.
- ``AxSpA-HipSTIR.reader2.seg.nrrd``: a second reader's segmentation of the sample hip STIR volume: the same
  as the reference except the left femoral bone marrow edema, drawn one pixel wider in plane (within the
  femoral head), for ``axspa agree masks``.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from scipy import ndimage

from axspa.hip.segments import HIP_SEGMENTS
from axspa.io.segfile import read_seg_nrrd, write_seg_nrrd
from axspa.spine.sites import ALL_SITES

OUT = Path(__file__).resolve().parent.parent / "Resources" / "SampleData"
FOLLOW_UP = {"C3i": "2", "L2i": "3", "L3s": "3", "L2s": "3"}  # a new syndesmophyte; L2/3 bridged


def reader_tables() -> None:
    rng = np.random.default_rng(11)
    truth = rng.choice([0, 0, 0, 0, 1, 2, 3], size=(8, len(ALL_SITES)))
    for reader in (1, 2):
        noise = rng.choice([-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], size=truth.shape) if reader == 2 else 0
        grades = np.clip(truth + noise, 0, 3)
        with open(OUT / f"sample-reader{reader}.csv", "w", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(["study", "site", "grade"])
            for s in range(truth.shape[0]):
                for j, site in enumerate(ALL_SITES):
                    unscorable = rng.random() < 0.03
                    writer.writerow([f"S{s + 1:02d}", site, "" if unscorable else int(grades[s, j])])


def progression() -> None:
    rows = list(csv.reader((OUT / "sample-reading.csv").read_text().splitlines()))
    with open(OUT / "sample-reading-followup.csv", "w", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(rows[0])
        writer.writerows([site, FOLLOW_UP.get(site, grade)] for site, grade in rows[1:])
    (OUT / "sample-progression.csv").write_text(
        "patient,visit_date,result\nP01,2021-03-01,sample-reading.csv\nP01,2023-03-01,sample-reading-followup.csv\n")


def second_reader_segmentation() -> None:
    masks, ijk_to_ras = read_seg_nrrd(OUT / "AxSpA-HipSTIR.seg.nrrd")
    head = masks["Left femoral head"] | masks["Left femoral BME"]
    in_plane = np.zeros((3, 3, 3), bool)
    in_plane[1] = ndimage.generate_binary_structure(2, 1)  # grow within each slice of the first array axis
    masks["Left femoral BME"] = ndimage.binary_dilation(masks["Left femoral BME"], in_plane) & head
    write_seg_nrrd(OUT / "AxSpA-HipSTIR.reader2.seg.nrrd", masks, ijk_to_ras, segments=HIP_SEGMENTS)


if __name__ == "__main__":
    reader_tables()
    progression()
    second_reader_segmentation()
