"""Model-backed scoring: each job runs the predictors of its model bundles, then the engine's rules.

A bundle's ``bundle.json`` names its predictor as ``"predictor": "module:Class"``; the class is
constructed with ``(folder: Path, info: dict)`` and loads its own weights (with
``torch.load(..., weights_only=True)`` after ``axspa.models.read_bundle`` verified the sha256).
So researchers plug in their own models by installing a bundle, without touching this code.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any, Callable, Optional

from axspa.models import ModelMissingError, read_bundle

Progress = Optional[Callable[[float, str], None]]
Cancel = Optional[Callable[[], bool]]


class CancelledError(RuntimeError):
    """The user pressed Cancel."""


def load_predictor(bundle_name: str) -> Any:
    """Verify and load the predictor of an installed bundle (ModelMissingError when absent)."""
    info = read_bundle(bundle_name)
    target = info.get("predictor", "")
    module_name, _, class_name = target.partition(":")
    if not module_name or not class_name:
        raise ModelMissingError(f"model bundle '{bundle_name}' names no predictor ('module:Class')")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ModelMissingError(
            f"model bundle '{bundle_name}': predictor {target} cannot be loaded ({exc})") from exc
    predictor = cls(Path(info["folder"]), info)
    predictor.bundle_id = f"{info.get('name', bundle_name)}@{info.get('version', '?')}"
    return predictor


def report(progress: Progress, fraction: float, message: str, cancel: Cancel = None) -> None:
    """Tell the caller how far we are, and stop if the user asked to cancel."""
    if cancel is not None and cancel():
        raise CancelledError(message)
    if progress is not None:
        progress(fraction, message)
