"""Training of the two spine bundles: ``spine-landmarks`` (coarse + refine UNets) and ``spine-corners``.

Both read annotated films (phantom folders or a group's own ``axspa.spine/1`` readings), prepare
them once (cached in the work folder, so a resumed run skips it), then run the shared seeded,
resumable loop of ``axspa.training.loop``. Validation uses separate folders (``--val``): hold out a
whole generator setting there, not only other seeds.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import torch

from axspa.spine.model import network as net
from axspa.spine.model.data import (
    SpineArrays,
    augment_intensity,
    find_cases,
    heatmaps,
    prepare,
)
from axspa.spine.model.geometry import film_to_patch, sample_patches
from axspa.spine.model.predictor import CornerPredictor, LandmarkPredictor
from axspa.spine.rules import grade_sites
from axspa.spine.sites import FINDINGS, REGIONS
from axspa.training.bundle import write_bundle
from axspa.training.cache import cached
from axspa.training.loop import run_training, weighted_bce
from axspa.training.runs import already_trained, data_fingerprint

LANDMARK_VERSION = "0.1.0"
COARSE_SIGMA, REFINE_SIGMA = 2.0, 1.5  # heatmap Gaussians, in network pixels
ANCHOR_WEIGHTS = torch.tensor([1.0, 1.0, 1.0, 5.0, 5.0])  # loss weight of each coarse channel
CORNER_VERSION = "0.1.0"


def load_arrays(dirs: Sequence[str | Path], work_dir: Path, show_progress: bool = True) -> SpineArrays:
    """Prepared arrays of every case in ``dirs`` (cached by file list, sizes and times)."""
    from tqdm import tqdm

    from axspa.io.radiograph import read_radiograph

    cases = find_cases(dirs)
    if not cases:
        raise FileNotFoundError(f"no annotated films (*.truth.json / *.spine.json with their image) in "
                                f"{', '.join(map(str, dirs))}")
    geometry = [net.COARSE_SIZE, net.REFINE_SIZE, net.REFINE_SIDE, net.CORNER_SIZE, net.CORNER_SIDE,
                net.CORNER_ASPECT]
    listing = [(str(i), i.stat().st_size, d.stat().st_mtime_ns) for i, d in cases]

    def build() -> SpineArrays:
        bar = tqdm(total=len(cases), desc="reading films", unit="film", disable=not show_progress)
        arrays = prepare(cases, read_radiograph, lambda n, total: bar.update(1))
        bar.close()
        return arrays

    return cached(work_dir, "prepared", [geometry, listing], build)


def _uniform(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    return rng.uniform(lo, hi, n)


def _augmented_batch(images: torch.Tensor, points: list, idx: np.ndarray, out_size: int, crop: float,
                     shift: float, rot_deg: float, zoom: float, aspect: float,
                     rng: np.random.Generator, fine: bool = False) -> tuple[torch.Tensor, list]:
    """Random affine crops (rotation, zoom, aspect, shift, mirror) of stored contexts, points moved along."""
    n = len(idx)
    size_in = images.shape[-1]
    mid = (size_in - 1) / 2.0
    centers = mid + _uniform(rng, -shift, shift, n * 2).reshape(n, 2) * crop
    sides = crop * np.exp(_uniform(rng, -math.log(zoom), math.log(zoom), n))
    angles = np.deg2rad(_uniform(rng, -rot_deg, rot_deg, n))
    flips = rng.random(n) < 0.5
    aspects = np.exp(_uniform(rng, -aspect, aspect, n))
    x = sample_patches(images, centers, sides, angles, out_size, flips=flips, image_index=idx, aspects=aspects)
    moved = [film_to_patch(points[i], c, s, a, out_size, f, asp)
             for i, c, s, a, f, asp in zip(idx, centers, sides, angles, flips, aspects)]
    return augment_intensity(x, rng, fine), moved


# ----------------------------------------------------------------------------------- landmarks

def landmark_step(arrays: SpineArrays, batch: int = 16, refine_batch: int = 32) -> Callable:
    coarse = torch.from_numpy(np.stack(arrays.coarse).astype(np.float32))[:, None]
    refine = torch.from_numpy(np.stack(arrays.refine).astype(np.float32))[:, None]
    coarse_pts = []
    for pts, anchor in zip(arrays.coarse_points, arrays.anchor):
        pad = np.full((2, pts.shape[1], 2), np.nan, np.float32)
        pad[:, 0] = anchor
        coarse_pts.append(np.concatenate([pts, pad]))  # (5, 7, 2): the five coarse channels

    def step(model: net.LandmarkNet, rng: np.random.Generator) -> dict:
        idx = rng.integers(0, len(coarse), batch)
        x, pts = _augmented_batch(coarse, coarse_pts, idx, net.COARSE_SIZE, net.COARSE_SIZE, 0.12, 25, 1.3, 0.15,
                                  rng)
        # The anchors (one point per film) decide every name: weigh them as much as the seven centres.
        per_channel = weighted_bce(model.coarse(x), heatmaps(pts, net.COARSE_SIZE, COARSE_SIGMA), reduce_channels=False)
        loss_c = (per_channel * ANCHOR_WEIGHTS).sum() / ANCHOR_WEIGHTS.sum()
        ridx = rng.integers(0, len(refine), refine_batch)
        crop = refine.shape[-1] / 2.0  # stored contexts are twice the patch
        xr, rpts = _augmented_batch(refine, arrays.refine_points, ridx, net.REFINE_SIZE, crop, 0.3, 15, 1.15,
                                    0.1, rng)
        loss_r = weighted_bce(model.refine(xr), heatmaps(rpts, net.REFINE_SIZE, REFINE_SIGMA))
        return {"loss": loss_c + loss_r}

    return step


def validate_landmarks(val_cases: list, read: Callable) -> Callable:
    """Localization error (mm, when spacing is known), located fraction and region accuracy."""
    films = [(read(img), json.loads(doc.read_text())) for img, doc in val_cases]

    def validate(model: net.LandmarkNet) -> dict:
        pred = LandmarkPredictor(model=model)
        errs, located, total, region_ok = [], 0, 0, 0
        for rad, doc in films:
            out = pred.predict(rad.pixels, rad.spacing_mm, "auto")
            region_ok += out["region"] == doc["region"]
            mm = rad.spacing_mm[0] if rad.spacing_mm else 1.0
            for s in doc["sites"]:
                if s["point"] is None:
                    continue
                total += 1
                p = out["sites"].get(s["id"]) if out["region"] == doc["region"] else None
                if p is not None:
                    located += 1
                    errs.append(float(np.linalg.norm(np.subtract(p, s["point"]))) * mm)
        e = np.array(errs) if errs else np.array([np.nan])
        return {"region_acc": round(region_ok / len(films), 3), "located": round(located / max(total, 1), 3),
                "median_mm": round(float(np.median(e)), 3), "p95_mm": round(float(np.percentile(e, 95)), 3),
                "within_2mm": round(float(np.mean(e <= 2.0)) * located / max(total, 1), 3)}

    return validate


# ------------------------------------------------------------------------------------- corners

def balanced_indices(labels: np.ndarray, batch: int, rng: np.random.Generator, share: float = 0.5) -> np.ndarray:
    """Half the batch drawn uniformly, half from the crops that hold one finding chosen at random, so
    that rare, small findings (erosion, sclerosis, osteophyte: a few % of corners each) are seen often
    enough to be learnt next to the large ones (as Chen et al. balanced their classes)."""
    n_bal = int(batch * share)
    idx = list(rng.integers(0, len(labels), batch - n_bal))
    holders = [np.flatnonzero(labels[:, [k, k + 8]].max(axis=1) > 0) for k in range(8)]
    holders = [h for h in holders if len(h)] or [np.arange(len(labels))]
    for _ in range(n_bal):
        h = holders[int(rng.integers(0, len(holders)))]
        idx.append(int(h[rng.integers(0, len(h))]))
    return np.asarray(idx)


def corner_step(arrays: SpineArrays, batch: int = 32) -> Callable:
    crops = torch.from_numpy(np.stack(arrays.corner).astype(np.float32))[:, None]
    label_array = np.stack(arrays.corner_labels)
    labels = torch.from_numpy(label_array)
    dummy = [np.zeros((1, 1, 2), np.float32)] * len(crops)

    def step(model: net.CornerNet, rng: np.random.Generator) -> dict:
        idx = balanced_indices(label_array, batch, rng)
        x, _ = _augmented_batch(crops, dummy, idx, net.CORNER_SIZE, crops.shape[-1] / 2.0, 0.08, 12, 1.15, 0.12, rng,
                                fine=True)
        logits = model(x)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels[torch.as_tensor(idx)])
        return {"loss": loss}

    return step


def validate_corners(val_cases: list, read: Callable) -> Callable:
    """Per-site grade accuracy (engine rules) and per-finding AUC-free accuracy on truth points."""
    films = [(read(img), json.loads(doc.read_text())) for img, doc in val_cases]

    def validate(model: net.CornerNet) -> dict:
        pred = CornerPredictor(model=model)
        right, total, bridge_ok = 0, 0, 0
        for rad, doc in films:
            pts = {s["id"]: s["point"] for s in doc["sites"] if s["point"] is not None}
            probs = pred.predict(rad.pixels, rad.spacing_mm, pts)
            grades = grade_sites(probs)
            for s in doc["sites"]:
                if s["id"] in grades:
                    total += 1
                    right += grades[s["id"]] == s["grade"]
                    bridge_ok += (grades[s["id"]] == 3) == (s["grade"] == 3)
        return {"grade_acc": round(right / max(total, 1), 4), "bridge_acc": round(bridge_ok / max(total, 1), 4)}

    return validate


# ----------------------------------------------------------------------------------- commands

def train_spine(kind: str, data: Sequence[str | Path], out: Path, val: Sequence[str | Path] = (),
                steps: Optional[int] = None, seed: int = 0, overwrite: bool = False,
                show_progress: bool = True, design: str = "multilabel") -> dict:
    """Train ``spine-landmarks`` or ``spine-corners`` into the bundle folder ``out``.

    ``design`` (corners only): ``multilabel`` (one network, the shipped design) or ``per-lesion``
    (Chen et al.: one network per finding), for the documented comparison."""
    from axspa.io.radiograph import read_radiograph

    out = Path(out)
    default_steps = {"spine-landmarks": 1800, "spine-corners": 2500}.get(kind)
    request = {"data": [str(d) for d in data], "validation": [str(d) for d in val], "steps": steps or default_steps,
               "seed": seed}
    if out.exists() and not overwrite:
        return already_trained(out, request)
    work = out.with_name(out.name + ".work")  # checkpoints: a rerun of the same command resumes
    t0 = time.time()
    torch.manual_seed(seed)
    arrays = load_arrays(data, out.parent / ".axspa-prepared", show_progress)  # shared by both bundles
    val_cases = find_cases(val) if val else []
    if kind == "spine-landmarks":
        model, arch = net.LandmarkNet(), {"_target_": "axspa.spine.model.network.LandmarkNet"}
        step, steps = landmark_step(arrays), steps or default_steps
        validate = validate_landmarks(val_cases, read_radiograph) if val_cases else None
    elif kind == "spine-corners":
        cls = {"multilabel": "CornerNet", "per-lesion": "PerLesionCornerNet"}[design]
        model, arch = getattr(net, cls)(), {"_target_": f"axspa.spine.model.network.{cls}"}
        step, steps = corner_step(arrays), steps or default_steps
        validate = validate_corners(val_cases, read_radiograph) if val_cases else None
    else:
        raise ValueError(f"unknown spine bundle {kind!r}")
    history = run_training(model, step, steps, work, seed, validate=validate,
                           validate_every=max(steps // 5, 1), desc=kind, show_progress=show_progress,
                           fingerprint={"data": data_fingerprint(_training_files(data)), "design": design})
    # Over resumed runs too: this run's preparation plus the loop's total training time.
    minutes = (time.time() - t0) / 60
    if history and "minutes" in history[-1]:
        minutes = max(minutes, float(history[-1]["minutes"]))
    n_films = len(arrays.coarse)
    card = model_card(kind, data, val, steps, seed, n_films, minutes, history)
    predictor = ("axspa.spine.model.predictor:LandmarkPredictor" if kind == "spine-landmarks"
                 else "axspa.spine.model.predictor:CornerPredictor")
    write_bundle(out, name=kind, version=LANDMARK_VERSION if kind == "spine-landmarks" else CORNER_VERSION,
                 predictor=predictor, network_def=arch, state_dict=model.state_dict(),
                 metadata=_metadata(kind), model_card=card, overwrite=overwrite,
                 extra={"training": {"data": [str(d) for d in data], "validation": [str(d) for d in val],
                                     "steps": steps, "seed": seed, "films": n_films,
                                     "minutes": round(minutes, 1), "history": history}})
    return {"out": str(out), "minutes": minutes, "history": history}


def _training_files(data) -> list[Path]:
    """The training films and their truth documents (what a checkpoint was trained on)."""
    return sorted(p for d in data for p in Path(d).iterdir() if p.is_file())


def _metadata(kind: str) -> dict:
    if kind == "spine-landmarks":
        fmt = {"inputs": {"image": {"type": "image", "format": "magnitude", "num_channels": 1,
                                    "spatial_shape": [net.COARSE_SIZE, net.COARSE_SIZE], "dtype": "float32",
                                    "value_range": [0, 1], "is_patch_data": False,
                                    "channel_def": {"0": "radiograph, letterboxed, bone bright"}}},
               "outputs": {"pred": {"type": "probabilities", "format": "heatmaps", "num_channels": 5,
                                    "spatial_shape": [net.COARSE_SIZE, net.COARSE_SIZE], "dtype": "float32",
                                    "value_range": [0, 1], "is_patch_data": False,
                                    "channel_def": dict(enumerate(net.COARSE_CHANNELS))}}}
        task = "Anterior vertebral corner landmarks on lateral spine radiographs (mSASSS sites)"
    else:
        fmt = {"inputs": {"image": {"type": "image", "format": "magnitude", "num_channels": 1,
                                    "spatial_shape": [net.CORNER_SIZE, net.CORNER_SIZE], "dtype": "float32",
                                    "value_range": [0, 1], "is_patch_data": True,
                                    "channel_def": {"0": "disc-level crop, column pointing down"}}},
               "outputs": {"pred": {"type": "logits", "format": "multilabel", "num_channels": 16,
                                    "spatial_shape": [16], "dtype": "float32", "value_range": [],
                                    "is_patch_data": False,
                                    "channel_def": {str(i): ("upper " if i < 8 else "lower ") + FINDINGS[i % 8]
                                                    for i in range(16)}}}}
        task = "mSASSS corner findings at one disc level (both anterior corners)"
    return {"task": task, "description": task, "authors": "SlicerAxSpA", "copyright": "Apache-2.0",
            "network_data_format": fmt, "intended_use": "research only; not validated on patients",
            "changelog": {"0.1.0": "first model trained on synthetic phantoms"}}


DESIGN = {
    "spine-landmarks": (
        "Coarse to fine, 2-D. A MONAI UNet (16-256 channels, 2 residual units) sees the whole film letterboxed "
        "to 160 px and marks vertebral centres, anterior-superior and anterior-inferior corners and the two "
        "anchors C2 and S1 (which also give the region). Identity is not left to the network: vertebrae are "
        "named by counting along the chain of centres from the anchor. A second UNet (16-128) refines each "
        "corner twice in a full-resolution patch of 0.75 vertebral pitch, so the design needs no pixel spacing."),
    "spine-corners": (
        "One multi-label MONAI ResNet (basic blocks, 16-128 channels, stride-1 3x3 stem) on a 96-px crop "
        "of 0.9 vertebral pitch centred on a disc level and rotated so the column runs down the crop (endplates "
        "horizontal, as Koo et al.); it gives the eight findings of the upper and of the lower corner, "
        "averaged with its mirror image. Grades come from the engine's rules, never from the network."),
}


def model_card(kind: str, data, val, steps: int, seed: int, n_films: int, minutes: float, history: list) -> str:
    """The card written with a freshly trained bundle (held-out test metrics come from ``axspa evaluate``)."""
    last = history[-1] if history else {}
    lines = [f"# {kind}", "",
             "**For research only. Trained on synthetic phantoms; it is not validated on patients.**", "",
             "## Design", DESIGN[kind], "",
             "## Training", f"- data: {', '.join(map(str, data))} ({n_films} films)",
             f"- validation (held-out generator setting): {', '.join(map(str, val)) or 'none'}",
             f"- command: `axspa train {kind} --data {' '.join(map(str, data))}"
             + (f" --val {' '.join(map(str, val))}" if val else "") + f" --steps {steps} --seed {seed}`",
             f"- {steps} steps, seed {seed}, {minutes:.1f} min wall time on the training machine "
             "(training steps of every resumed run, and this run's data preparation)",
             f"- last validation: {json.dumps(last)}", "",
             "## Held-out metrics",
             "Measure them with `axspa spine FILMS --model-dir BUNDLES --out PRED` and "
             "`axspa evaluate spine --truth FILMS --pred PRED` on films never used in training.", ""]
    return "\n".join(lines) + "\n"


__all__ = ["train_spine", "REGIONS"]
