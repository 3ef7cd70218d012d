"""Training of the ``hip-segmenter`` bundle: the locator, then the segmenter, in one seeded, resumable
command (axspa.training.loop). Cases are read once into fixed-pitch arrays (cached beside the bundle,
so a resumed run skips it). Validation folders (``--val``) are scored end to end by the predictor.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import torch
from torch.nn import functional as fn

from axspa.hip.model import network as net
from axspa.hip.model.crops import crop_grid, sample
from axspa.hip.model.data import (
    LOCATOR_CANVAS,
    SEG_CONTEXT_SIZE,
    HipArrays,
    augment_intensity,
    degrade_resolution,
    find_cases,
    normalised_view,
    prepare,
)
from axspa.training.bundle import write_bundle
from axspa.training.cache import cached
from axspa.training.loop import run_training
from axspa.training.runs import already_trained, data_fingerprint

VERSION = "0.2.0"
BUNDLE = "hip-segmenter"
LOCATOR_STEPS, SEG_STEPS = 1500, 6000  # the shipped model's
CLASS_WEIGHTS = torch.tensor([0.5, 1.0, 1.0, 2.0, 2.0, 2.0])


def load_arrays(dirs: Sequence[str | Path], work_dir: Path, show_progress: bool = True) -> HipArrays:
    from tqdm import tqdm

    cases = find_cases(dirs)
    if not cases:
        raise FileNotFoundError(f"no annotated hip series (a dicom/ folder or volume file beside a *.seg.nrrd) "
                                f"in {', '.join(map(str, dirs))}")
    listing = [(str(s), str(g), g.stat().st_size, g.stat().st_mtime_ns) for s, g in cases]
    geometry = [net.LOCATOR_PITCH_MM, net.SEG_PITCH_MM, LOCATOR_CANVAS, SEG_CONTEXT_SIZE]

    def build() -> HipArrays:
        bar = tqdm(total=len(cases), desc="reading series", unit="case", disable=not show_progress)
        arrays = prepare(cases, lambda n, total: bar.update(1))
        bar.close()
        return arrays

    return cached(work_dir, "hip-prepared", [geometry, listing], build)


def _random_grids(rng: np.random.Generator, n: int, src: int, size: int, pitch: float, shift_mm: float,
                  rot_deg: float, zoom: float, mirror_p: float, src_pitch: float) -> torch.Tensor:
    grids = []
    mid = (src - 1) / 2.0
    for _ in range(n):
        centre = mid + rng.uniform(-shift_mm, shift_mm, 2) / src_pitch
        grids.append(crop_grid(centre, (src_pitch, src_pitch), (src, src), size, pitch,
                               angle=np.deg2rad(rng.uniform(-rot_deg, rot_deg)),
                               zoom=float(np.exp(rng.uniform(-np.log(zoom), np.log(zoom)))),
                               mirror=bool(rng.random() < mirror_p)))
    return torch.stack(grids)


def locator_step(arrays: HipArrays, batch: int = 16) -> Callable:
    index = [(c, s) for c, imgs in enumerate(arrays.locator_images) for s in range(len(imgs))]

    def step(model: net.HipNet, rng: np.random.Generator) -> dict:
        picks = [index[i] for i in rng.integers(0, len(index), batch)]
        img = torch.from_numpy(np.stack([arrays.locator_images[c][s] for c, s in picks]).astype(np.float32))[:, None]
        tgt = torch.from_numpy(np.stack([arrays.locator_targets[c][s] for c, s in picks]).astype(np.float32) / 255)
        grids = _random_grids(rng, batch, LOCATOR_CANVAS, net.LOCATOR_SIZE, net.LOCATOR_PITCH_MM, 60.0, 12, 1.3,
                              0.5, net.LOCATOR_PITCH_MM)
        x = augment_intensity(sample(img, grids), rng, invert_p=0.3)
        y = sample(tgt[:, None], grids)
        logits = model.locator(x)
        p = torch.sigmoid(logits)
        dice = 1 - (2 * (p * y).sum() + 1) / (p.sum() + y.sum() + 1)
        return {"loss": fn.binary_cross_entropy_with_logits(logits, y) + dice}

    return step


def segmenter_step(arrays: HipArrays, batch: int = 16) -> Callable:
    index = [(h, s) for h, imgs in enumerate(arrays.seg_images) for s in range(len(imgs))]
    # Entries holding each lesion class: half of every batch is drawn from them, so small lesions
    # (a few % of the crops' pixels) are seen as often as the bones.
    holders = [[i for i, (h, s) in enumerate(index) if (arrays.seg_labels[h][s] == c).any()] for c in (3, 4, 5)]
    holders = [h for h in holders if h]

    def step(model: net.HipNet, rng: np.random.Generator) -> dict:
        picks = list(rng.integers(0, len(index), batch - batch // 2))
        for _ in range(batch // 2):
            pool = holders[int(rng.integers(0, len(holders)))] if holders else range(len(index))
            picks.append(pool[int(rng.integers(0, len(pool)))])
        stacks, labels = [], []
        for i in picks:
            h, s = index[i]
            imgs = arrays.seg_images[h]
            chans = [min(max(s + d, 0), len(imgs) - 1) for d in range(-net.SEG_CONTEXT, net.SEG_CONTEXT + 1)]
            stacks.append(imgs[chans].astype(np.float32))
            labels.append(arrays.seg_labels[h][s])
        img = torch.from_numpy(np.stack(stacks))
        lab = torch.from_numpy(np.stack(labels).astype(np.float32))[:, None]
        grids = _random_grids(rng, batch, SEG_CONTEXT_SIZE, net.SEG_SIZE, net.SEG_PITCH_MM, 12.0, 15, 1.2, 0.0,
                              net.SEG_PITCH_MM)
        x = degrade_resolution(augment_intensity(sample(img, grids), rng), rng)
        y = sample(lab, grids, mode="nearest")[:, 0].long()
        logits = model.segmenter(x)
        ce = fn.cross_entropy(logits, y, weight=CLASS_WEIGHTS)
        p = torch.softmax(logits, dim=1)[:, 1:]
        onehot = fn.one_hot(y, len(net.CLASSES)).permute(0, 3, 1, 2)[:, 1:].float()
        inter, total = (p * onehot).sum(dim=(0, 2, 3)), (p + onehot).sum(dim=(0, 2, 3))
        dice = 1 - ((2 * inter + 1) / (total + 1)).mean()
        return {"loss": ce + dice}

    return step


def validate_hips(val_cases: list) -> Callable:
    """Dice of the femoral heads and of all lesions pooled, and head sides found, end to end."""
    from axspa.hip.model.predictor import HipPredictor
    from axspa.hip.pipeline import masks_on_grid
    from axspa.hip.segments import HIP_SEGMENTS, match_hip_segments
    from axspa.io.segfile import read_seg_nrrd
    from axspa.io.volume import read_volume

    cases = []
    for series, seg in val_cases:
        volume = read_volume(str(series))
        masks, ijk = read_seg_nrrd(seg)
        cases.append((volume, masks_on_grid(match_hip_segments(masks)[0], ijk, volume, str(seg))))

    def dice(a: np.ndarray, b: np.ndarray) -> float:
        s = a.sum() + b.sum()
        return 1.0 if s == 0 else 2.0 * float((a & b).sum()) / float(s)

    def validate(model: net.HipNet) -> dict:
        pred = HipPredictor(model=model)
        head, lesion, found = [], [], 0
        for volume, truth in cases:
            out = pred.predict(volume)
            found += len(pred.heads)
            for side in ("Right", "Left"):
                head.append(dice(out[f"{side} femoral head"], truth.get(f"{side} femoral head", False)))
            les = [s.name for s in HIP_SEGMENTS if s.region in ("femoral_bme", "acetabular_bme", "effusion")]
            t = np.any([truth[n] for n in les if n in truth], axis=0)
            p = np.any([out[n] for n in les], axis=0)
            if t.any() or p.any():
                lesion.append(dice(p, t))
        return {"head_dice": round(float(np.mean(head)), 4), "lesion_dice": round(float(np.mean(lesion)), 4),
                "heads_found": f"{found}/{2 * len(cases)}"}

    return validate


def train_hip(data: Sequence[str | Path], out: Path, val: Sequence[str | Path] = (),
              steps: Optional[int] = None, locator_steps: Optional[int] = None, seed: int = 0,
              overwrite: bool = False, show_progress: bool = True,
              calibration: Sequence[str | Path] = ()) -> dict:
    """Train ``hip-segmenter`` into the bundle folder ``out`` (work files in ``out.work``); with
    ``calibration`` folders, fit the lesion decision (axspa.hip.model.decision) on them afterwards."""
    out = Path(out)
    loc_steps = locator_steps or LOCATOR_STEPS
    seg_steps = steps or SEG_STEPS
    request = {"data": [str(d) for d in data], "validation": [str(d) for d in val],
               "calibration": [str(d) for d in calibration], "locator_steps": loc_steps, "steps": seg_steps,
               "seed": seed}
    if out.exists() and not overwrite:
        return already_trained(out, request)
    work = out.with_name(out.name + ".work")
    t0 = time.time()
    torch.manual_seed(seed)
    arrays = load_arrays(data, out.parent / ".axspa-prepared", show_progress)
    val_cases = find_cases(val) if val else []
    model = net.HipNet()
    same_data = {"data": data_fingerprint([g for _, g in find_cases(data)])}
    # The locator first (its checkpoint holds the whole network), then the segmenter from there on.
    run_training(model, locator_step(arrays), loc_steps, work / "locator", seed, lr=3e-3,
                 desc="hip locator", show_progress=show_progress, fingerprint=same_data)
    validate = validate_hips(val_cases) if val_cases else None
    history = run_training(model, segmenter_step(arrays), seg_steps, work / "segmenter", seed + 1,
                           validate=validate, validate_every=max(seg_steps // 4, 1), desc="hip segmenter",
                           show_progress=show_progress, fingerprint=same_data)
    decisions, fit = (calibrate(model, find_cases(calibration), show_progress) if calibration else ({}, {}))
    minutes = (time.time() - t0) / 60
    if history and "minutes" in history[-1]:
        minutes = max(minutes, float(history[-1]["minutes"]))
    card = model_card(data, val, loc_steps, seg_steps, seed, len(arrays.cases), minutes, history, calibration,
                      {k: d.to_json() for k, d in decisions.items()})
    write_bundle(out, name=BUNDLE, version=VERSION, predictor="axspa.hip.model.predictor:HipPredictor",
                 network_def={"_target_": "axspa.hip.model.network.HipNet"}, state_dict=model.state_dict(),
                 metadata=_metadata(), model_card=card, overwrite=overwrite,
                 inference_extra={k: d.to_json() for k, d in decisions.items()},
                 extra={"training": {**request, "cases": len(arrays.cases), "minutes": round(minutes, 1),
                                     "history": history, "lesion_decision_fit": fit}})
    return {"out": str(out), "minutes": minutes, "history": history}


def calibrate(model: net.HipNet, cases: list, show_progress: bool = True) -> tuple:
    """The lesion decisions fitted on calibration phantoms (never training, validation or test seeds): the
    model's raw BME labels per side and bone, and its raw effusion-synovitis per side, against the truth.
    Returns ({"lesion_decision": BME rule, "effusion_decision": effusion rule}, what the fits measured)."""
    from tqdm import tqdm

    from axspa.hip.model.decision import DecisionSample, fit_decision
    from axspa.hip.model.frame import SliceFrame
    from axspa.hip.model.predictor import HipPredictor
    from axspa.hip.pipeline import masks_on_grid
    from axspa.hip.segments import match_hip_segments, segment
    from axspa.io.segfile import read_seg_nrrd
    from axspa.io.volume import read_volume

    raw = HipPredictor(model=model.eval())  # no decision: the raw labels
    samples, effusions = [], []
    for series, seg in tqdm(cases, desc="hip lesion decision", unit="case", disable=not show_progress):
        volume = read_volume(str(series))
        masks, ijk = read_seg_nrrd(seg)
        truth = masks_on_grid(match_hip_segments(masks)[0], ijk, volume, str(seg))
        with torch.no_grad():
            pred = raw.predict(volume)
        frame = SliceFrame.from_ijk_to_ras(volume.ijk_to_ras)
        view = normalised_view(volume.array, frame)
        voxel_ml = float(np.prod(frame.spacing)) / 1000.0
        def in_view(source: dict, side: str, region: str, frame=frame, view=view) -> np.ndarray:
            m = source.get(segment(side, region).name)
            return frame.to_view(np.asarray(m, bool)) if m is not None else np.zeros(view.shape, bool)

        for side in ("right", "left"):
            for bone, lesion in (("femoral_head", "femoral_bme"), ("acetabulum", "acetabular_bme")):
                samples.append(DecisionSample.crop(view, in_view(pred, side, bone), in_view(pred, side, lesion),
                                                   in_view(truth, side, lesion), voxel_ml))
            fluid = in_view(pred, side, "effusion")
            effusions.append(DecisionSample.crop(view, fluid, fluid, in_view(truth, side, "effusion"), voxel_ml))
    bme, bme_fit = fit_decision(samples)
    effusion, effusion_fit = fit_decision(effusions, margins=(None,))
    return {"lesion_decision": bme, "effusion_decision": effusion}, {"bme": bme_fit, "effusion": effusion_fit}


def _metadata() -> dict:
    return {
        "name": "Hip STIR segmenter (femoral heads, acetabula, BME, effusion-synovitis)",
        "task": "2.5-D segmentation of coronal hip STIR MRI, both hips, patient sides from geometry",
        "description": "MONAI UNet locator (3 mm) + UNet segmenter (0.8 mm crops, 3 slices) trained on "
                       "axspa phantoms; not validated on patients.",
        "authors": "SlicerAxSpA contributors",
        "copyright": "SlicerAxSpA contributors",
        "network_data_format": {
            "inputs": {"image": {"type": "image", "format": "magnitude", "modality": "MR",
                                 "num_channels": 2 * net.SEG_CONTEXT + 1, "spatial_shape": [net.SEG_SIZE, net.SEG_SIZE],
                                 "dtype": "float32", "value_range": [0, 1.5], "is_patch_data": True,
                                 "channel_def": {"0": "previous slice", "1": "slice", "2": "next slice"}}},
            "outputs": {"pred": {"type": "image", "format": "segmentation", "num_channels": len(net.CLASSES),
                                 "spatial_shape": [net.SEG_SIZE, net.SEG_SIZE], "dtype": "float32",
                                 "value_range": [0, 1], "is_patch_data": True,
                                 "channel_def": {str(i): c for i, c in enumerate(net.CLASSES)}}},
        },
    }


def model_card(data, val, loc_steps, seg_steps, seed, n_cases, minutes, history, calibration=(),
               decisions: Optional[dict] = None) -> str:
    last = history[-1] if history else {}
    bme, eff = (decisions or {}).get("lesion_decision"), (decisions or {}).get("effusion_decision")
    rule = (f"BME margin {bme['margin']:g} x the bone's marrow median, pieces of at least {bme['min_ml']:g} mL, "
            f"logistic weights (bias, log volume, contrast) {bme['weights']}" if bme else "none (raw labels)")
    if eff:
        rule += (f"; effusion-synovitis: pieces of at least {eff['min_ml']:g} mL, logistic weights (bias, log "
                 f"volume) {eff['weights'][:2]}")
    return f"""# hip-segmenter {VERSION}

Segments both hips on coronal STIR MRI into the ten segments of the SlicerAxSpA spec (femoral heads,
acetabula, femoral and acetabular BME, effusion-synovitis, with patient sides from the image geometry), and
gives per side the probability that there is any femoral or acetabular bone marrow edema.

**Not validated on patients.** Trained only on synthetic phantoms (`axspa phantom hip`, generator 3).

- Architecture (`axspa/hip/model/network.py`): a MONAI BasicUNet locator on every coronal slice at 3 mm
  (128 px) finds the femoral heads; a MONAI UNet (16-256 channels) segments six classes on 128-px crops at
  0.8 mm around each head, the left hip mirrored; candidates are checked by the segmenter and the head is
  kept to one piece within its ball (`axspa/hip/model/predictor.py`).
- Lesion decision (`axspa/hip/model/decision.py`), fitted after training on calibration phantoms of a seed
  used nowhere else: BME voxels are kept only where the image is brighter than the marrow of their bone by a
  margin, in pieces of at least a minimum size, and only on sides whose probability of any edema (from the
  kept volume and its contrast) is at least one half; sides with a probability between 0.2 and 0.8 are
  flagged for review in `hip.json`; effusion-synovitis likewise on its kept volume alone (it lies in no
  bone). Fitted: {rule}.
- Why 2.5-D: clinical coronal STIR has 3-5 mm slices against 0.5-1 mm pixels, 15-40 of them; a 3-D kernel
  would mix tissue 10-15 mm apart while a 5 mm² lesion is a few pixels in plane. The slice and its two
  neighbours as input channels give the through-plane context (a vessel against an edema focus) at 2-D
  cost, within the 60-minute, 2-core training budget.
- Training data: {', '.join(map(str, data))} ({n_cases} cases), phantoms with the edema look-alikes of real
  hips (red marrow islands, physeal scar, fovea fluid, vessels, trabeculae, partial volume, failed fat
  suppression, metal, motion and flow ghosts; never in the truth) and femoral heads 38-54 mm across;
  validation: {', '.join(map(str, val)) or 'none'}; calibration: {', '.join(map(str, calibration)) or 'none'}.
- Training: {loc_steps} locator + {seg_steps} segmenter steps, seed {seed}, {minutes:.1f} min.
- Last validation: {json.dumps(last)}
"""
