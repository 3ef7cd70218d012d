"""Model bundles written by training and the networks loaded from them.

A bundle folder is ours (``bundle.json``: name, version, predictor, sha256 of every file) and a
MONAI bundle (``configs/metadata.json``, ``configs/inference.json`` whose ``network_def`` MONAI's
``ConfigParser`` instantiates, ``models/model.pt`` state dict, ``docs/README.md`` model card).
A bundle is data, not code: ``load_network`` instantiates only allow-listed ``_target_``s with
literal arguments (no ``$`` expressions) and loads weights with ``weights_only=True``.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Optional

from axspa.bundles import BundleCodeError
from axspa.results import sha256_file

# Networks a bundle may name without --trust-bundle-code: MONAI's and ours.
ALLOWED_TARGET_PREFIXES = ("monai.networks.nets.", "axspa.")




def write_bundle(out: Path, *, name: str, version: str, predictor: str, network_def: dict, state_dict: dict,
                 metadata: dict, model_card: str, extra: Optional[dict] = None, overwrite: bool = False,
                 docs: Optional[dict[str, bytes]] = None, inference_extra: Optional[dict] = None) -> Path:
    """Write a complete bundle into ``out`` atomically (a temporary folder renamed at the end). ``docs``: further
    files of ``docs/`` by name (e.g. ``evaluation.json``, written by Utilities/evaluate_models.py), hashed too."""
    import torch

    out = Path(out)
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out}: already exists; choose another --out or pass --overwrite")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for sub in ("configs", "models", "docs"):
            (tmp / sub).mkdir()
        # Half precision on disk keeps bundles a few MB; load_state_dict copies into float32 weights.
        torch.save({k: v.half() if v.is_floating_point() else v for k, v in state_dict.items()},
                   tmp / "models" / "model.pt")
        # inference_extra: settings the predictor reads besides the network (literal values only).
        inference = {"network_def": network_def, "predictor": predictor, **(inference_extra or {})}
        (tmp / "configs" / "inference.json").write_text(json.dumps(inference, indent=2) + "\n")
        meta = {"version": version, "monai_version": _monai_version(),
                "pytorch_version": torch.__version__.split("+")[0], **metadata}
        (tmp / "configs" / "metadata.json").write_text(json.dumps(meta, indent=2) + "\n")
        (tmp / "docs" / "README.md").write_text(model_card)
        for doc_name, content in (docs or {}).items():
            if doc_name != "README.md" and Path(doc_name).name == doc_name:
                (tmp / "docs" / doc_name).write_bytes(content)
        files = {str(p.relative_to(tmp)).replace(os.sep, "/"): sha256_file(p)
                 for p in sorted(tmp.rglob("*")) if p.is_file()}
        info = {"name": name, "version": version, "predictor": predictor, "files": files, **(extra or {})}
        (tmp / "bundle.json").write_text(json.dumps(info, indent=2) + "\n")
        if out.exists():
            old = out.with_name(out.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _monai_version() -> str:
    import monai

    return monai.__version__


def check_config_safe(config: Any, where: str) -> None:
    """Refuse ``$`` expressions and ``_target_``s outside the allow-list anywhere in a config."""
    if isinstance(config, dict):
        target = config.get("_target_")
        if target is not None and not (isinstance(target, str) and target.startswith(ALLOWED_TARGET_PREFIXES)):
            raise BundleCodeError(f"{where}: _target_ {target!r} is not an allowed network "
                                  f"({', '.join(ALLOWED_TARGET_PREFIXES)}…)", hint="pass --trust-bundle-code to run it")
        for v in config.values():
            check_config_safe(v, where)
    elif isinstance(config, list):
        for v in config:
            check_config_safe(v, where)
    elif isinstance(config, str) and config.startswith(("$", "%")):
        raise BundleCodeError(f"{where}: expression {config[:40]!r} would run code",
                              hint="pass --trust-bundle-code to allow it")


def instantiate(config: dict, trust: bool = False) -> Any:
    """Build ``{"_target_": "module.Class", **kwargs}`` with literal kwargs (nested configs allowed)."""
    if not trust:
        check_config_safe(config, "network_def")
    target = config["_target_"]
    module_name, _, attr = target.rpartition(".")
    cls = getattr(importlib.import_module(module_name), attr)
    kwargs = {k: (instantiate(v, trust) if isinstance(v, dict) and "_target_" in v else v)
              for k, v in config.items() if not k.startswith("_")}
    return cls(**kwargs)


def load_network(folder: Path, info: dict, trust: Optional[bool] = None):
    """The bundle's network with its weights (``weights_only=True``), in eval mode."""
    import torch

    trust = bool(info.get("trust_code", False)) if trust is None else trust
    inference = json.loads((folder / "configs" / "inference.json").read_text())
    if not trust:
        check_config_safe(inference, str(folder / "configs" / "inference.json"))
    model = instantiate(inference["network_def"], trust=trust)
    state = torch.load(folder / "models" / "model.pt", map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return model.eval()


def reexport(folder: Path, model_card: Optional[str] = None, out: Optional[Path] = None) -> Path:
    """Write a bundle again (e.g. with its final model card), keeping its network, weights, metadata and the other
    files of its ``docs/`` (such as ``evaluation.json``)."""
    import torch

    folder = Path(folder)
    info = json.loads((folder / "bundle.json").read_text())
    inference = json.loads((folder / "configs" / "inference.json").read_text())
    meta = json.loads((folder / "configs" / "metadata.json").read_text())
    state = torch.load(folder / "models" / "model.pt", map_location="cpu", weights_only=True)
    card = model_card if model_card is not None else (folder / "docs" / "README.md").read_text()
    extra = {k: v for k, v in info.items() if k not in ("name", "version", "predictor", "files")}
    meta = {k: v for k, v in meta.items() if k not in ("version", "monai_version", "pytorch_version")}
    return write_bundle(out or folder, name=info["name"], version=info["version"], predictor=info["predictor"],
                        network_def=inference["network_def"], state_dict=state, metadata=meta, model_card=card,
                        extra=extra, overwrite=True,
                        inference_extra={k: v for k, v in inference.items() if k not in ("network_def", "predictor")},
                        docs={p.name: p.read_bytes() for p in sorted((folder / "docs").glob("*"))
                              if p.is_file() and p.name != "README.md"})
