"""``axspa phantom spine|pelvis|hip --n N --seed S --out DIR [--montage FILE.png]``: synthetic cases with
exact ground truth (docs/formats.md). Case i comes from np.random.default_rng([seed, i, ...]), so the
same seed gives the same bytes and a case does not depend on --n."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from axspa.commands.options import PROBABILITY, SEED, integer
from axspa.image import InputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("phantom", help="synthetic radiographs and MRI with exact ground truth",
                       description="Write synthetic cases with their truth: lateral spine radiographs "
                                   "(mSASSS), AP pelvis radiographs (sacroiliitis), coronal hip STIR MRI.")
    p.add_argument("kind", choices=("spine", "pelvis", "hip"),
                   help="spine: lateral radiographs; pelvis: AP radiographs; hip: coronal STIR series")
    p.add_argument("--n", type=integer(1, 1_000_000), default=10, help="number of cases (default 10)")
    p.add_argument("--seed", type=SEED, default=0, help="random seed (default 0; 0 to 2**32-1)")
    p.add_argument("--start", type=integer(0, 10**9), default=0, help="index of the first case (to extend a set)")
    p.add_argument("--out", required=True, type=Path, help="output folder")
    p.add_argument("--montage", type=Path, help="also write a contact sheet PNG with the truth drawn on it")
    p.add_argument("--overwrite", action="store_true", help="replace cases and files that differ from the new ones")
    p.add_argument("--size", choices=("full", "small"), default="full",
                   help="full: 0.1-0.2 mm pixels (~1000-2000 px); small: ~512 px (pelvis generator 2: "
                        "~1000 px, 0.4 mm), for tests and training")
    p.add_argument("--generator", type=int, choices=(1, 2, 3), metavar="{1,2,3}",
                   help="hip: 3 (default) adds the non-edema confounders of real hips (red marrow, "
                        "vessels, fat-sat failure, ghosts); 2 reproduces axspa.phantom.hip/2 byte for byte. "
                        "pelvis: 2 (default) projects 3-D anatomy with a cone beam; 1 is the 2-D painter "
                        "(the second, independent simulator)")
    p.add_argument("--region", choices=("cervical", "lumbar", "mixed"), default="mixed", help="spine only")
    p.add_argument("--prevalence", action="append", default=[], metavar="FINDING=P",
                   help="spine: expected fraction of sites with FINDING (repeatable), e.g. bridging=0.2")
    p.add_argument("--normal-fraction", type=PROBABILITY, help="spine: fraction of patients without AS lesions")
    p.add_argument("--grade-probs", help="pelvis: five comma-separated probabilities of grades 0-4 per side")
    p.add_argument("--photo-fraction", type=PROBABILITY, help="pelvis: fraction of smartphone photos of a screen")
    p.set_defaults(func=run)


def _spine_config(args: argparse.Namespace):
    from axspa.phantom.spine import DEFAULT_PREVALENCE, SpineConfig

    prevalence = dict(DEFAULT_PREVALENCE)
    for item in args.prevalence:
        key, _, value = item.partition("=")
        if key not in prevalence:
            raise InputError(f"--prevalence {item!r}: unknown finding {key!r}; expected one of "
                             f"{', '.join(prevalence)}")
        prevalence[key] = _probability(value, f"--prevalence {item!r}")
    cfg = SpineConfig(prevalence=prevalence, size=args.size,
                      region=None if args.region == "mixed" else args.region)
    if args.normal_fraction is not None:
        cfg.normal_fraction = _probability(str(args.normal_fraction), "--normal-fraction")
    return cfg


def _pelvis_config(args: argparse.Namespace):
    from axspa.phantom.pelvis import PelvisConfig

    kwargs: dict = {"size": args.size}
    if args.generator is not None:
        kwargs["generator"] = args.generator
    if args.grade_probs:
        probs = tuple(_probability(v, "--grade-probs") for v in args.grade_probs.split(","))
        if len(probs) != 5 or abs(sum(probs) - 1) > 1e-6:
            raise InputError(f"--grade-probs {args.grade_probs!r}: need five probabilities summing to 1")
        kwargs["grade_probs"] = probs
    if args.photo_fraction is not None:
        kwargs["photo_fraction"] = _probability(str(args.photo_fraction), "--photo-fraction")
    return PelvisConfig(**kwargs)


def _probability(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{what}: {text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise InputError(f"{what}: {value} is not a probability in [0, 1]")
    return value


def run(args: argparse.Namespace) -> int:
    from axspa.phantom import generate

    if args.n < 1:
        raise InputError(f"--n {args.n}: need at least one case")
    if args.out.exists() and not args.out.is_dir():
        raise InputError(f"{args.out}: exists and is not a folder")
    if args.generator is not None and (args.kind == "spine" or (args.kind, args.generator) in
                                       (("hip", 1), ("pelvis", 3))):
        raise InputError(f"--generator {args.generator} does not apply to {args.kind} phantoms "
                         "(hip: 2 or 3; pelvis: 1 or 2)")
    if args.kind == "spine":
        config = _spine_config(args)
    elif args.kind == "pelvis":
        config = _pelvis_config(args)
    else:
        from axspa.phantom.hip import HipPhantomConfig

        config = HipPhantomConfig(size=args.size) if args.generator is None else \
            HipPhantomConfig(size=args.size, generator=args.generator)
    t0 = time.perf_counter()
    ids = generate(args.kind, args.out, args.n, args.seed, args.start, config, overwrite=args.overwrite)
    dt = time.perf_counter() - t0
    print(f"axspa phantom: wrote {len(ids)} {args.kind} case(s) to {args.out} in {dt:.1f} s "
          f"({len(ids) / max(dt, 1e-9):.1f} images/s)", file=sys.stderr)
    if args.montage:
        from axspa.phantom.montage import write_montage

        write_montage(args.kind, args.out, ids, args.montage, overwrite=args.overwrite)
        print(f"axspa phantom: montage {args.montage}", file=sys.stderr)
    return 0
