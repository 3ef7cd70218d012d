"""Model bundles: where they are looked for, how they are verified, and how their predictor is loaded.

A bundle is a folder ``<name>/`` holding ``bundle.json`` (name, version, files with sha256,
input description, metrics) beside its weight files and a ``MODEL_CARD.md``. Bundles are
looked for, in order, in ``$AXSPA_MODELS``, the user cache folder (where trained or
downloaded bundles go: never the install folder) and the bundles shipped in ``Resources/Models``.

``bundle.json`` names its predictor as ``"predictor": "module:Class"``; the class is constructed with
``(folder: Path, info: dict)`` and loads its own weights (with ``torch.load(..., weights_only=True)``
after ``read_bundle`` verified the sha256). Each family's ``pipeline.py`` states the ``predict``
protocol its predictors follow, so researchers plug in their own models by installing a bundle,
without touching this code.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Optional

from axspa.results import sha256_file


class ModelMissingError(RuntimeError):
    """A model bundle is not installed; the message says which and where it was looked for. ``hint`` is what a
    user of the command line can do about it (empty when nothing): the command line adds it to the message
    (``command_line_text``), the panels say their own."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


def command_line_text(exc: BaseException) -> str:
    """An error's message with its command-line hint, if it has one: 'X refused (pass --flag to allow)'."""
    hint = getattr(exc, "hint", "")
    return f"{exc} ({hint})" if hint else str(exc)


class ModelCorruptError(ModelMissingError):
    """A bundle is installed but broken: a listed file is missing or differs from its sha256 in bundle.json, or
    bundle.json is not valid JSON. A subclass of ModelMissingError so that callers keep working, but tests that
    skip when a bundle is absent must let this one fail (a corrupt shipped bundle is a defect, not an absence).
    ``path`` is the file at fault."""

    def __init__(self, message: str, path: Optional[Path] = None, hint: str = "") -> None:
        super().__init__(message, hint)
        self.path = path


class BundleCodeError(ModelMissingError):
    """A bundle asks to run code outside the allow-list: refused unless the user trusts it
    (``--trust-bundle-code``; the panels ask). Bundles are data passed between labs."""


# Predictor classes a bundle may name without --trust-bundle-code: this package's, and the modules a
# user lists in $AXSPA_TRUSTED_PREDICTORS (comma-separated module names, e.g. a lab's own package).
TRUSTED_PREDICTOR_PREFIX = "axspa."


def trusted_predictor_modules() -> tuple[str, ...]:
    extra = [m.strip() for m in os.environ.get("AXSPA_TRUSTED_PREDICTORS", "").split(",") if m.strip()]
    return (TRUSTED_PREDICTOR_PREFIX, *extra)


def _trusted(module_name: str) -> bool:
    return any(module_name == m or module_name.startswith(m if m.endswith(".") else m + ".")
               for m in trusted_predictor_modules())


def user_cache_dir() -> Path:
    """Per-user cache folder for axspa (models trained or downloaded by the user)."""
    if os.environ.get("AXSPA_CACHE"):
        return Path(os.environ["AXSPA_CACHE"])
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "axspa"


def shipped_models_dir() -> Path:
    """Resources/Models next to the package: in the repo and inside the Slicer extension."""
    return Path(__file__).resolve().parent.parent / "Resources" / "Models"


def search_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("AXSPA_MODELS"):
        dirs.extend(Path(p) for p in os.environ["AXSPA_MODELS"].split(os.pathsep) if p)
    dirs.append(user_cache_dir() / "models")
    dirs.append(shipped_models_dir())
    return dirs


def find_bundle(name: str, model_dir: Optional[Path] = None) -> Path:
    """Folder of bundle ``name``; ModelMissingError naming every place looked in otherwise.

    With ``model_dir`` (``--model-dir``, the panel's model choice) only that folder is looked in: it is
    the bundle itself or holds ``<name>/``; the installed bundles are then never used silently."""
    if model_dir is not None:
        model_dir = Path(model_dir)
        for cand in (model_dir / name, model_dir):
            if (cand / "bundle.json").is_file() and (cand == model_dir / name or _bundle_name(cand) == name):
                return cand
        raise ModelMissingError(f"model bundle '{name}' not found in {model_dir} "
                                f"(looked for {model_dir / name / 'bundle.json'} and {model_dir / 'bundle.json'})")
    dirs = search_dirs()
    for d in dirs:
        if (d / name / "bundle.json").is_file():
            return d / name
    places = ", ".join(str(d / name) for d in dirs)
    raise ModelMissingError(
        f"model bundle '{name}' is not installed; looked for {name}/bundle.json in: {places}")


def _bundle_name(folder: Path) -> Optional[str]:
    try:
        return json.loads((folder / "bundle.json").read_text()).get("name")
    except (OSError, ValueError):
        return None


def read_bundle(name: str, model_dir: Optional[Path] = None) -> dict:
    """bundle.json of an installed bundle, every listed file checked against its sha256."""
    folder = find_bundle(name, model_dir)
    try:
        info = json.loads((folder / "bundle.json").read_text())
    except ValueError as exc:
        raise ModelCorruptError(f"model bundle '{name}': {folder / 'bundle.json'} is not valid JSON ({exc})",
                                folder / "bundle.json") from exc
    for rel, expected in info.get("files", {}).items():
        path = folder / rel
        if not path.is_file():
            raise ModelCorruptError(f"model bundle '{name}' in {folder} lacks {rel}, which its bundle.json lists",
                                    path)
        actual = sha256_file(path)
        if actual != expected:
            raise ModelCorruptError(
                f"model bundle '{name}': {path} has sha256 {actual[:12]}…, expected {expected[:12]}… "
                "(corrupt or modified file)", path)
    info["folder"] = str(folder)
    return info


def load_predictor(bundle_name: str, model_dir: Optional[Path] = None, trust_code: bool = False) -> Any:
    """Verify and load the predictor of an installed bundle (ModelMissingError when absent).

    Only predictor classes of this package are imported unless ``trust_code``; the predictor gets
    ``info["trust_code"]`` and passes it on when it builds its network from the bundle's config."""
    info = read_bundle(bundle_name, model_dir)
    target = info.get("predictor", "")
    module_name, _, class_name = target.partition(":")
    if not module_name or not class_name:
        raise ModelMissingError(f"model bundle '{bundle_name}' names no predictor ('module:Class')")
    if not trust_code and not _trusted(module_name):
        raise BundleCodeError(f"model bundle '{bundle_name}' in {info['folder']}: predictor {target} is not part "
                              "of axspa; loading it would run the bundle's code",
                              hint="pass --trust-bundle-code, or list the module in $AXSPA_TRUSTED_PREDICTORS, to "
                                   "allow")
    info["trust_code"] = bool(trust_code)
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ModelMissingError(
            f"model bundle '{bundle_name}': predictor {target} cannot be loaded ({exc})") from exc
    predictor = cls(Path(info["folder"]), info)
    predictor.bundle_id = f"{info.get('name', bundle_name)}@{info.get('version', '?')}"
    return predictor
