"""``axspa train BUNDLE --data DIR [DIR ...] --out BUNDLE_DIR``: train one shipped model (README, Models)."""

from __future__ import annotations

import argparse
from pathlib import Path

from axspa.commands.options import SEED, integer

SPINE_BUNDLES = ("spine-landmarks", "spine-corners")
HIP_BUNDLES = ("hip-segmenter",)
SIJ_BUNDLES = ("sij-grader",)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a model bundle on phantom folders or your own annotated images",
                       description="Train one model bundle, seeded and resumable: rerunning the same command "
                                   "continues from the last checkpoint in BUNDLE_DIR.work/. Training data: "
                                   "folders of images with axspa.spine/1 documents (<id>.truth.json from "
                                   "`axspa phantom spine`, or your own readings with points).")
    p.add_argument("bundle", choices=SPINE_BUNDLES + HIP_BUNDLES + SIJ_BUNDLES, help="which model to train")
    p.add_argument("--data", nargs="+", required=True, type=Path, help="training folders")
    p.add_argument("--val", nargs="*", default=[], type=Path,
                   help="validation folders (hold out a whole generator setting, not only seeds)")
    p.add_argument("--out", required=True, type=Path, help="bundle folder to write")
    p.add_argument("--steps", type=integer(1, 10_000_000), help="optimiser steps (default: the shipped model's)")
    p.add_argument("--locator-steps", type=integer(1, 10_000_000),
                   help="hip-segmenter, sij-grader: steps of the locator (default: the shipped model's)")
    p.add_argument("--calibration", nargs="*", default=[], type=Path,
                   help="hip-segmenter: phantom folders (a seed used nowhere else) on which the lesion decision "
                        "(intensity margin, minimum size, probability of any edema) is fitted after training")
    p.add_argument("--seed", type=SEED, default=0, help="random seed (default 0); same seed, same bundle")
    p.add_argument("--design", choices=["multilabel", "per-lesion"], default="multilabel",
                   help="spine-corners: one multi-label network (shipped) or one network per finding (Chen et al.)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing bundle folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.bundle in SIJ_BUNDLES:
        from axspa.sij.model.train import train_sij

        result = train_sij(args.data, args.out, val=args.val, steps=args.steps, locator_steps=args.locator_steps,
                           seed=args.seed, overwrite=args.overwrite)
    elif args.bundle in HIP_BUNDLES:
        from axspa.hip.model.train import train_hip

        result = train_hip(args.data, args.out, val=args.val, steps=args.steps, locator_steps=args.locator_steps,
                           seed=args.seed, overwrite=args.overwrite, calibration=args.calibration)
    else:
        from axspa.spine.model.train import train_spine

        result = train_spine(args.bundle, args.data, args.out, val=args.val, steps=args.steps, seed=args.seed,
                             overwrite=args.overwrite, design=args.design)
    if result.get("already_done"):
        print(f"axspa train: {result['out']} is already trained with this data, these steps and this seed; "
              f"nothing to do (pass --overwrite to train it again)")
        return 0
    last = result["history"][-1] if result["history"] else {}
    print(f"axspa train: wrote {result['out']} in {result['minutes']:.1f} min"
          + (f"; last validation {last}" if last else ""))
    return 0
