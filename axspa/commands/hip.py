"""``axspa hip SERIES --out DIR``: hip STIR segmentation and inflammation scores (SPEC: File contracts).

With ``--seg FILE`` the scores are computed from an existing segmentation (a reader's, or one
edited in Slicer) instead of the model's.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

from axspa.commands._batch import report_kept
from axspa.hip_scores import HipScoreConfig
from axspa.results import dumps, stem_of, validate, write_file_safely, write_text_safely


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("hip", help="hip inflammation on coronal STIR MRI",
                       description="Segment femoral heads, acetabula, bone marrow edema and effusion-synovitis; "
                                   "compute the UNet-score and HIMRISS-style slice sums per side.")
    p.add_argument("series", help="DICOM folder or volume file (NRRD, NIfTI)")
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--series-uid", help="SeriesInstanceUID when the folder holds several series")
    p.add_argument("--seg", type=Path, help="score this segmentation (.seg.nrrd) instead of running the model")
    p.add_argument("--half-width", type=int, default=7,
                   help="scoring slices on each side of the largest femoral-head slice (default 7)")
    p.add_argument("--min-area", type=float, default=5.0,
                   help="smallest lesion area in mm² that counts in the HIMRISS-style sums (default 5)")
    p.add_argument("--overwrite", action="store_true", help="replace outputs that differ from the new result")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from axspa.io.segfile import read_seg_nrrd, write_seg_nrrd
    from axspa.io.volume import read_volume
    from axspa.pipeline.hip import load_models, masks_on_grid, score_hip, segment_hip

    model = None if args.seg else load_models()  # a missing model stops before any reading
    volume = read_volume(args.series, series_uid=args.series_uid)
    stem = stem_of(args.series.rstrip("/"))
    if args.seg:
        masks, seg_ijk_to_ras = read_seg_nrrd(args.seg)
        masks = masks_on_grid(masks, seg_ijk_to_ras, volume, str(args.seg))
        source = str(args.seg)
    else:
        masks = segment_hip(volume, model)
        source = "model"
        seg_path = args.out / f"{stem}.seg.nrrd"
        if not write_file_safely(seg_path, lambda p: write_seg_nrrd(p, masks, volume.ijk_to_ras), args.overwrite):
            print(report_kept(seg_path))
    config = HipScoreConfig(half_width=args.half_width, min_lesion_area_mm2=args.min_area)
    doc = score_hip(volume, masks, config, source)
    doc["segmentation"] = source
    validate(doc, "hip")
    for path, text in ((args.out / "hip.json", dumps(doc)), (args.out / f"{stem}.slices.csv", slices_csv(doc))):
        if not write_text_safely(path, text, args.overwrite):
            print(report_kept(path))
    for side in ("right", "left"):
        s = doc["sides"][side]
        print(f"{side}: UNet-score {s['unet_score']['gray_value']:.3f} (gray value), "
              f"{s['unet_score']['area_fraction']:.3f} (area), HIMRISS-style total {s['himriss']['total']}")
    return 0


def slices_csv(doc: dict) -> str:
    """One row per scoring slice and side, with the per-slice figures behind the sums."""
    rows = [{"side": side, **row} for side in ("right", "left") for row in doc["sides"][side].get("slices", [])]
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0].keys()), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        out.write("side,slice\n")
    return out.getvalue()
