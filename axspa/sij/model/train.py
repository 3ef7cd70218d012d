"""``axspa train sij-grader``: the joint locator, then the grader with its direct definite head, on pelvis
phantoms (``axspa phantom pelvis``: <id>.dcm + <id>.truth.json with ``phantom.joint_centres_px``), seeded and
resumable (axspa.training.loop); the operating points are chosen on the validation folders afterwards.

Augmentation goes far beyond what the phantoms draw: crops are turned, zoomed and shifted (a locator off by
a few mm), contrast, gamma, noise, blur, unsharp masking, JPEG and moire are applied at random, so the grader
does not learn one renderer's look."""

from __future__ import annotations

import io
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import torch
from PIL import Image
from scipy import ndimage
from torch.nn import functional

from axspa.sij.model import network as net
from axspa.sij.model.data import crop, crop_matrix, heat_targets, letterbox, normalise
from axspa.training.bundle import write_bundle
from axspa.training.cache import cached
from axspa.training.loop import run_training, weighted_bce
from axspa.training.runs import already_trained, data_fingerprint

BUNDLE = "sij-grader"
VERSION = "0.1.0"
LOCATOR_STEPS = 1500
REFINE_STEPS = 1500
GRADER_STEPS = 3000
LOCATOR_SIGMA = 4.0  # px of the 192-px letterbox (about 8 mm)
REFINE_SIGMA = 2.0  # px of the 1 mm refine crop
REFINE_SHIFT_MM = 18.0  # how far off the locator's point may be: the refine crop is shifted up to this
WIDE_PX = 2 * net.CROP_PX  # stored crops are twice as wide: room to turn, zoom and shift


@dataclass
class SijArrays:
    ids: list
    locator: np.ndarray  # [N, 192, 192] float16, letterboxed films
    targets: np.ndarray  # [N, 2, 2] joint centres on the letterbox grid (x, y)
    wide: np.ndarray  # [N, 2, WIDE_PX, WIDE_PX] float16 crops (right mirrored), twice CROP_MM wide
    grades: np.ndarray  # [N, 2] right, left
    definite: np.ndarray  # [N]
    distances_mm: np.ndarray  # [N] joint centre distance on the detector


def find_cases(dirs: Sequence) -> list:
    """(dcm path, truth) of every DICOM case whose truth gives the joint centres (phantom generator 2) and a pixel
    spacing."""
    cases = []
    for d in dirs:
        for t in sorted(Path(d).glob("*.truth.json")):
            truth = json.loads(t.read_text())
            dcm = t.with_name(t.name.replace(".truth.json", ".dcm"))
            centres = (truth.get("phantom") or {}).get("joint_centres_px")
            # the crops are cut in mm: a film without a pixel spacing cannot be trained on
            if dcm.is_file() and centres and truth["input"].get("pixel_spacing_mm"):
                cases.append((dcm, truth))
    return cases


def prepare(cases: list, show_progress: bool = True) -> SijArrays:
    from tqdm import tqdm

    from axspa.io.radiograph import read_radiograph

    loc, tg, wide, grades, definite, dist, ids = [], [], [], [], [], [], []
    for dcm, truth in tqdm(cases, desc="sij data", unit="film", disable=not show_progress):
        rg = read_radiograph(str(dcm))
        img, scale, (x0, y0) = letterbox(rg.pixels)
        centres = truth["phantom"]["joint_centres_px"]
        spacing = float(rg.spacing_mm[1])
        loc.append(img.astype(np.float16))
        tg.append([[x0 + centres[s][0] * scale, y0 + centres[s][1] * scale] for s in ("right", "left")])
        wide.append([crop(rg.pixels, crop_matrix(centres[s], spacing, s == "right", WIDE_PX, 2 * net.CROP_MM),
                          WIDE_PX).astype(np.float16) for s in ("right", "left")])
        grades.append([truth["sides"]["right"]["grade"], truth["sides"]["left"]["grade"]])
        definite.append(float(truth["definite"]))
        dist.append(float(np.hypot(*np.subtract(centres["left"], centres["right"]))) * spacing)
        ids.append(dcm.stem)
    return SijArrays(ids, np.stack(loc), np.asarray(tg, np.float32), np.stack(wide).astype(np.float16),
                     np.asarray(grades, np.int64), np.asarray(definite, np.float32), np.asarray(dist, np.float32))


def load_arrays(dirs: Sequence, work_dir: Path, show_progress: bool = True) -> SijArrays:
    cases = find_cases(dirs)
    if not cases:
        raise FileNotFoundError(f"no pelvis phantom cases with joint centres in {', '.join(map(str, dirs))} "
                                "(make them with: axspa phantom pelvis --size small --photo-fraction 0 --out DIR)")
    key = [data_fingerprint([c[0] for c in cases]), net.LOCATOR_SIZE, net.CROP_PX, net.CROP_MM, 1]
    return cached(work_dir, "sij", key, lambda: prepare(cases, show_progress))


# ------------------------------------------------------------------------------------------ augmentation

def degrade(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Acquisition and display variety far beyond the phantoms': gamma, contrast, blur or sharpening, noise,
    moire, JPEG, now and then inverted contrast windows clipped."""
    x = np.clip(img.astype(np.float32), 0, 1)
    x = x ** float(np.exp(rng.normal(0, 0.35)))
    lo, hi = rng.uniform(-0.15, 0.2), rng.uniform(0.8, 1.15)
    x = np.clip((x - lo) / (hi - lo), 0, 1)
    u = rng.random()
    if u < 0.3:
        x = ndimage.gaussian_filter(x, rng.uniform(0.4, 1.6))
    elif u < 0.5:
        x = np.clip(x + rng.uniform(0.3, 1.5) * (x - ndimage.gaussian_filter(x, rng.uniform(2, 8))), 0, 1)
    if rng.random() < 0.2:
        yy, xx = np.mgrid[0:x.shape[0], 0:x.shape[1]]
        a, f = rng.uniform(0, np.pi), rng.uniform(0.1, 0.4)
        x = x * (1 + rng.uniform(0.02, 0.08) * np.sin(2 * np.pi * f * (xx * np.cos(a) + yy * np.sin(a))))
    x = x + rng.normal(0, rng.uniform(0.005, 0.06), x.shape)
    if rng.random() < 0.3:
        buf = io.BytesIO()
        Image.fromarray((np.clip(x, 0, 1) * 255).astype(np.uint8)).save(buf, "JPEG", quality=int(rng.integers(35, 90)))
        x = np.asarray(Image.open(buf), np.float32) / 255
    return normalise(np.clip(x, 0, 1))


def grader_crop(wide: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A CROP_PX crop from a stored wide crop: turned, zoomed and shifted (locator error), then degraded."""
    half = (WIDE_PX - 1) / 2
    shift = rng.normal(0, 3.0, 2) / (2 * net.CROP_MM / WIDE_PX)  # ~3 mm sd, in wide-crop pixels
    m = crop_matrix((half + shift[0], half + shift[1]), 1.0, False, net.CROP_PX,
                    net.CROP_PX * float(np.exp(rng.normal(0, 0.12))), rng.normal(0, 8))
    lin = m[:2, :2][::-1, ::-1]
    off = m[:2, 2][::-1]
    out = ndimage.affine_transform(wide.astype(np.float32), lin, offset=off, output_shape=(net.CROP_PX,) * 2,
                                   order=1, mode="nearest")
    return degrade(out, rng)


def locator_step(a: SijArrays, batch: int = 8) -> Callable:
    def step(model: net.SijNet, rng: np.random.Generator) -> dict:
        idx = rng.integers(0, len(a.ids), batch)
        imgs, tgs = [], []
        for i in idx:
            img = a.locator[i].astype(np.float32)
            dx, dy = rng.integers(-12, 13, 2)  # the film shifted in its frame
            img = np.roll(img, (int(dy), int(dx)), (0, 1))
            imgs.append(degrade(img, rng))
            tgs.append(heat_targets(a.targets[i] + [dx, dy], sigma=LOCATOR_SIGMA).max(0, keepdims=True))
        x = torch.from_numpy(np.stack(imgs))[:, None]
        y = torch.from_numpy(np.stack(tgs).astype(np.float32))
        loss = weighted_bce(model.locator(x), y)
        return {"loss": loss}
    return step


def refine_crop(wide: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A REFINE_PX window at 1 mm from a stored wide crop (0.5 mm, joint at its centre), shifted at random as
    the locator may be off, degraded; and where the joint centre lies in it (x, y)."""
    half = (WIDE_PX - 1) / 2
    shift = rng.uniform(-REFINE_SHIFT_MM, REFINE_SHIFT_MM, 2)
    px_mm = 2 * net.CROP_MM / WIDE_PX  # mm per wide-crop pixel
    m = crop_matrix((half + shift[0] / px_mm, half + shift[1] / px_mm), px_mm, False, net.REFINE_PX, net.REFINE_MM,
                    rng.normal(0, 5), float(np.exp(rng.normal(0, 0.08))))
    src = ndimage.gaussian_filter(wide.astype(np.float32), 0.9)
    lin = m[:2, :2][::-1, ::-1]
    off = m[:2, 2][::-1]
    out = ndimage.affine_transform(src, lin, offset=off, output_shape=(net.REFINE_PX,) * 2, order=1, mode="nearest")
    where = np.linalg.solve(m, np.array([half, half, 1.0]))[:2]
    return degrade(out, rng), where


def refine_step(a: SijArrays, batch: int = 16) -> Callable:
    def step(model: net.SijNet, rng: np.random.Generator) -> dict:
        idx = rng.integers(0, len(a.ids), batch)
        sides = rng.integers(0, 2, batch)
        pairs = [refine_crop(a.wide[i, s], rng) for i, s in zip(idx, sides)]
        x = torch.from_numpy(np.stack([p[0] for p in pairs]))[:, None]
        y = torch.from_numpy(np.stack([heat_targets(p[1][None], net.REFINE_PX, REFINE_SIGMA) for p in pairs])
                             .astype(np.float32))
        return {"loss": weighted_bce(model.refine(x), y)}
    return step


def grader_step(a: SijArrays, batch: int = 16) -> Callable:
    def step(model: net.SijNet, rng: np.random.Generator) -> dict:
        idx = rng.integers(0, len(a.ids), batch)
        right = np.stack([grader_crop(a.wide[i, 0], rng) for i in idx])[:, None]
        left = np.stack([grader_crop(a.wide[i, 1], rng) for i in idx])[:, None]
        lr, ll, ld = model.grade_pair(torch.from_numpy(right), torch.from_numpy(left))
        g = torch.from_numpy(a.grades[idx])
        grades = torch.arange(5, dtype=torch.float32)
        loss = functional.cross_entropy(lr, g[:, 0]) + functional.cross_entropy(ll, g[:, 1])
        # the expected grade near the true one (ordinal: a 4 called 3 is better than a 4 called 0)
        for logits, t in ((lr, g[:, 0]), (ll, g[:, 1])):
            loss = loss + 0.1 * functional.mse_loss((torch.softmax(logits, 1) * grades).sum(1), t.float())
        loss = loss + functional.binary_cross_entropy_with_logits(ld, torch.from_numpy(a.definite[idx]))
        acc = float(((lr.argmax(1) == g[:, 0]).float().mean() + (ll.argmax(1) == g[:, 1]).float().mean()) / 2)
        return {"loss": loss, "acc": acc}
    return step


def predict_arrays(model: net.SijNet, a: SijArrays) -> dict:
    """Grade probabilities and direct P(definite) of prepared cases, at the stored joint centres."""
    half = (WIDE_PX - net.CROP_PX) // 2
    out = {"right": [], "left": [], "direct": []}
    model.eval()
    with torch.no_grad():
        for s in range(0, len(a.ids), 32):
            w = a.wide[s:s + 32].astype(np.float32)[:, :, half:half + net.CROP_PX, half:half + net.CROP_PX]
            w = np.stack([[normalise(c) for c in pair] for pair in w])
            lr, ll, ld = model.grade_pair(torch.from_numpy(w[:, :1]), torch.from_numpy(w[:, 1:]))
            out["right"] += torch.softmax(lr, 1).tolist()
            out["left"] += torch.softmax(ll, 1).tolist()
            out["direct"] += torch.sigmoid(ld).tolist()
    model.train()
    return {k: np.asarray(v) for k, v in out.items()}


def validate_grades(val: SijArrays) -> Callable:
    from axspa.sij.rules import definite_probability

    def validate(model: net.SijNet) -> dict:
        p = predict_arrays(model, val)
        acc = float(np.mean(np.concatenate([p["right"].argmax(1) == val.grades[:, 0],
                                            p["left"].argmax(1) == val.grades[:, 1]])))
        rule = np.array([definite_probability(r / r.sum(), q / q.sum()) for r, q in zip(p["right"], p["left"])])
        from axspa.evaluation.stats import roc_auc
        return {"grade_accuracy": round(acc, 4), "definite_auc": round(float(roc_auc(rule, val.definite)), 4),
                "direct_auc": round(float(roc_auc(p["direct"], val.definite)), 4)}
    return validate


def operating_points(model: net.SijNet, val: SijArrays) -> dict:
    """The three operating points (axspa.sij.operating) on P(definite) by the rule, chosen on validation."""
    from axspa.sij.operating import choose_operating_points
    from axspa.sij.rules import definite_probability

    p = predict_arrays(model, val)
    rule = [definite_probability(r / r.sum(), q / q.sum()) for r, q in zip(p["right"], p["left"])]
    return {k: round(float(v), 6) for k, v in choose_operating_points(rule, val.definite.astype(int)).items()}


def train_sij(data: Sequence, out: Path, val: Sequence = (), steps: Optional[int] = None,
              locator_steps: Optional[int] = None, seed: int = 0, overwrite: bool = False,
              show_progress: bool = True) -> dict:
    """Train ``sij-grader`` into the bundle folder ``out`` (work files in ``out.work``): the locator
    (``locator_steps``), the refinement (half as many), then the grader (``steps``)."""
    out = Path(out)
    loc_steps = locator_steps or LOCATOR_STEPS
    ref_steps = max(1, loc_steps // 2) if locator_steps else REFINE_STEPS
    grade_steps = steps or GRADER_STEPS
    request = {"data": [str(d) for d in data], "validation": [str(d) for d in val], "locator_steps": loc_steps,
               "refine_steps": ref_steps, "steps": grade_steps, "seed": seed}
    if out.exists() and not overwrite:
        return already_trained(out, request)
    if not val:
        raise ValueError("sij-grader needs --val folders: the operating points are chosen there")
    work = out.with_name(out.name + ".work")
    t0 = time.time()
    torch.manual_seed(seed)
    prepared = out.parent / ".axspa-prepared"
    arrays = load_arrays(data, prepared, show_progress)
    val_arrays = load_arrays(val, prepared, show_progress)
    model = net.SijNet()
    same_data = {"data": data_fingerprint([c[0] for c in find_cases(data)])}
    run_training(model, locator_step(arrays), loc_steps, work / "locator", seed, lr=2e-3, desc="sij locator",
                 show_progress=show_progress, fingerprint=same_data)
    run_training(model, refine_step(arrays), ref_steps, work / "refine", seed + 2, lr=2e-3, desc="sij refine",
                 show_progress=show_progress, fingerprint=same_data)
    history = run_training(model, grader_step(arrays), grade_steps, work / "grader", seed + 1,
                           validate=validate_grades(val_arrays), validate_every=max(grade_steps // 4, 1),
                           desc="sij grader", show_progress=show_progress, fingerprint=same_data)
    points = operating_points(model, val_arrays)
    minutes = (time.time() - t0) / 60
    if history and "minutes" in history[-1]:
        minutes = max(minutes, float(history[-1]["minutes"]))
    distance = round(float(np.median(arrays.distances_mm)), 1)
    card = model_card(data, val, f"{loc_steps} + refinement {ref_steps}", grade_steps, seed, len(arrays.ids), minutes,
                      history, points)
    write_bundle(out, name=BUNDLE, version=VERSION, predictor="axspa.sij.model.predictor:SijPredictor",
                 network_def={"_target_": "axspa.sij.model.network.SijNet"}, state_dict=model.state_dict(),
                 metadata=_metadata(), model_card=card, overwrite=overwrite,
                 inference_extra={"operating_points": points, "typical_joint_distance_mm": distance},
                 extra={"training": {**request, "cases": len(arrays.ids), "minutes": round(minutes, 1),
                                     "history": history}})
    return {"out": str(out), "minutes": minutes, "history": history}


def _metadata() -> dict:
    return {
        "name": "Sacroiliitis grader (modified New York) on AP pelvis radiographs",
        "task": "joint localization and per-side grading 0-4, direct P(definite radiographic sacroiliitis)",
        "authors": "SlicerAxSpA",
        "license": "Apache-2.0",
        "network_data_format": {
            "inputs": {"image": {"type": "image", "format": "magnitude", "modality": "CR/DX", "num_channels": 1,
                                 "spatial_shape": [net.LOCATOR_SIZE, net.LOCATOR_SIZE], "dtype": "float32",
                                 "value_range": [0, 1], "is_patch_data": False}},
            "outputs": {"pred": {"type": "probabilities", "format": "classes", "num_channels": 5,
                                 "spatial_shape": [1], "dtype": "float32", "value_range": [0, 1],
                                 "channel_def": {str(g): f"modified New York grade {g}" for g in range(5)}}},
        },
    }


def model_card(data, val, loc_steps, grade_steps, seed, n_cases, minutes, history, points) -> str:
    """The card as training writes it; Utilities/write_sij_model_card.py adds the evaluated figures."""
    last = history[-1] if history else {}
    return (f"# sij-grader {VERSION}\n\nTrained by `make sij-models` on {n_cases} pelvis phantoms "
            f"(generator 2, 3-D anatomy projected) from {', '.join(map(str, data))}; validation "
            f"{', '.join(map(str, val))}. Locator {loc_steps} steps, grader {grade_steps} steps, seed {seed}, "
            f"{minutes:.1f} min. Last validation: {last}. Operating points on P(definite): {points}.\n")
