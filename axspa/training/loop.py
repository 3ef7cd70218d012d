"""A seeded, resumable training loop with a progress bar (loss, ETA) and periodic validation.

Every step draws its batch from ``np.random.default_rng([seed, step])``, so a run resumed from its
last checkpoint continues exactly as an uninterrupted one would (checkpoints hold the weights, the
optimiser and the step). Checkpoints are written atomically (temporary file, then rename).
"""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path
from typing import Callable, Optional

import numpy as np
import torch

StepFn = Callable[[torch.nn.Module, np.random.Generator], dict]
ValidateFn = Callable[[torch.nn.Module], dict]


def save_atomic(obj: dict, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def run_training(model: torch.nn.Module, step_fn: StepFn, steps: int, work_dir: Path, seed: int,
                 lr: float = 2e-3, validate: Optional[ValidateFn] = None, validate_every: int = 0,
                 checkpoint_every: int = 50, desc: str = "train", show_progress: bool = True,
                 fingerprint: Optional[dict] = None) -> list[dict]:
    """Train ``model`` for ``steps`` optimiser steps; resume from ``work_dir/checkpoint.pt`` if present.
    A checkpoint made for other steps, seed or ``fingerprint`` (e.g. the training data) is refused: resuming
    it would give a model no single run makes.

    ``step_fn(model, rng)`` returns a dict with a scalar tensor ``loss`` (plus floats to show).
    Returns the validation history (also written to ``work_dir/history.json``); its "minutes" count the
    training time of every run that led to this one, not only the last (resumed) run."""
    from tqdm import tqdm

    work_dir.mkdir(parents=True, exist_ok=True)
    ckpt_path, hist_path = work_dir / "checkpoint.pt", work_dir / "history.json"
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    warm = max(1, steps // 20)

    def lr_at(step: int) -> float:  # linear warm-up, then cosine decay to 2% of lr
        if step < warm:
            return (step + 1) / warm
        return 0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, steps - warm)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_at)
    start, history, spent = 0, [], 0.0
    made_for = {"steps": steps, "seed": seed, "lr": lr, **(fingerprint or {})}
    if ckpt_path.is_file():
        state = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        _check_same_run(state, made_for, ckpt_path)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        start = int(state["step"])
        spent = float(state.get("seconds", 0.0))  # training time of the earlier, interrupted runs
        history = json.loads(hist_path.read_text()) if hist_path.is_file() else []
    bar = tqdm(total=steps, initial=start, desc=desc, unit="step", disable=not show_progress, dynamic_ncols=True)
    running = None
    t0 = time.time()
    for step in range(start, steps):
        model.train()
        out = step_fn(model, np.random.default_rng([seed, step]))
        opt.zero_grad()
        out["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        sched.step()
        loss = float(out["loss"].detach())
        running = loss if running is None else 0.95 * running + 0.05 * loss
        bar.set_postfix(loss=f"{running:.4f}")
        bar.update(1)
        done = step + 1
        last = done == steps
        if validate and ((validate_every and done % validate_every == 0) or last):
            model.eval()
            with torch.no_grad():
                metrics = {"step": done, "loss": round(running, 5),
                           "minutes": round((spent + time.time() - t0) / 60, 2),
                           **validate(model)}
            history.append(metrics)
            bar.write(f"{desc} step {done}: " + ", ".join(f"{k}={v}" for k, v in metrics.items() if k != "step"))
        if done % checkpoint_every == 0 or last:
            save_atomic({"model": model.state_dict(), "optimizer": opt.state_dict(),
                         "scheduler": sched.state_dict(), "step": done, "seconds": spent + time.time() - t0,
                         "made_for": json.dumps(made_for, sort_keys=True)},
                        ckpt_path)
            hist_path.write_text(json.dumps(history, indent=1))
    bar.close()
    return history


def _check_same_run(state: dict, made_for: dict, path: Path) -> None:
    """Refuse to resume a checkpoint of another run (older checkpoints without the record are resumed)."""
    if "made_for" not in state:
        return
    theirs = json.loads(state["made_for"])
    ours = json.loads(json.dumps(made_for, sort_keys=True))
    differ = sorted(k for k in set(theirs) | set(ours) if theirs.get(k) != ours.get(k))
    if differ:
        shown = "; ".join(f"{k}: {theirs.get(k)!r} there, {ours.get(k)!r} now" for k in differ)
        raise ValueError(f"{path}: this checkpoint was made by another training run ({shown}); delete "
                         f"{path.parent} to start this one afresh, or rerun with the same settings to resume")


def weighted_bce(logits: torch.Tensor, target: torch.Tensor, peak_weight: float = 20.0,
                 reduce_channels: bool = True) -> torch.Tensor:
    """BCE on heatmaps (B, C, H, W), each pixel weighted 1 + peak_weight x target, so the few peak pixels
    count; the mean over everything, or one mean per channel with ``reduce_channels=False``."""
    w = 1.0 + peak_weight * target
    loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, target, reduction="none") * w
    return loss.mean() if reduce_channels else loss.mean(dim=(0, 2, 3))
