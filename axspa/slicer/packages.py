"""Package installs for the model-backed paths: find what is missing, ask before installing, install torch
only through the PyTorch extension, never at module load and never into the extension's install folder; before a
model runs, ``ensure_model_dependencies`` checks its bundles first and then asks for what is missing.

Slicer itself is passed in (the ``slicer`` module, confirmation and install callbacks, the PyTorchUtils module),
so this file is tested with plain pytest.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence

from axspa.jobs import DependencyError

# Packages the model-backed paths need beyond torch (torch itself comes from the PyTorch extension).
MODEL_REQUIREMENTS: tuple[str, ...] = ("monai>=1.3",)
TORCH_REQUIREMENT = ">=2.0"


_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$")


def _version_tuple(text: str) -> tuple[int, ...]:
    # Release part only ("2.13.0+cpu" -> (2, 13, 0)): enough for >= / == style minimums.
    parts = []
    for piece in re.split(r"[.+-]", text):
        digits = re.match(r"\d+", piece)
        if not digits:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def _satisfies(installed: str, spec: str) -> bool:
    try:
        from packaging.specifiers import SpecifierSet
        return SpecifierSet(spec).contains(installed, prereleases=True)
    except ImportError:
        pass
    have = _version_tuple(installed)
    for clause in filter(None, (c.strip() for c in spec.split(","))):
        op, version = re.match(r"(==|>=|<=|!=|>|<|~=)?\s*(.*)", clause).groups()
        want = _version_tuple(version)
        ok = {"==": have == want, ">=": have >= want, "<=": have <= want, "!=": have != want,
              ">": have > want, "<": have < want, "~=": have >= want}.get(op or "==", False)
        if not ok:
            return False
    return True


def missing_requirements(requirements: Iterable[str],
                         version_of: Callable[[str], str] = importlib.metadata.version) -> list[str]:
    """The requirement strings (``name>=x``) not satisfied by what is installed."""
    missing = []
    for requirement in requirements:
        match = _REQ.match(requirement)
        if not match:
            raise ValueError(f"not a package requirement: {requirement!r}")
        name, spec = match.group(1), match.group(2).split(";")[0].strip()
        try:
            installed = version_of(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(requirement)
            continue
        if spec and not _satisfies(installed, spec):
            missing.append(requirement)
    return missing


def find_pip_ensure(slicer_module: Any) -> Optional[Callable]:
    """Slicer's own ``pip_ensure`` where this Slicer has one (newer releases), else None."""
    for name in ("packaging", "pydeps", "util"):
        owner = getattr(slicer_module, name, None)
        if owner is None:
            try:
                owner = importlib.import_module(f"{slicer_module.__name__}.{name}")
            except (ImportError, AttributeError):
                continue
        func = getattr(owner, "pip_ensure", None)
        if callable(func):
            return func
    return None


def ensure_packages(requirements: Sequence[str], *, confirm: Callable[[str], bool],
                    install: Callable[[str], Any], pip_ensure: Optional[Callable] = None,
                    requester: str = "AxSpA",
                    version_of: Callable[[str], str] = importlib.metadata.version) -> list[str]:
    """Install the missing ``requirements`` after asking; returns what was installed.

    Uses Slicer's ``pip_ensure`` when given (it asks the user itself), else asks through ``confirm``
    and calls ``install`` (slicer.util.pip_install) once with all of them. Raises DependencyError
    when the user declines, so the caller can show one clear message and stop.
    """
    missing = missing_requirements(requirements, version_of)
    if not missing:
        return []
    if pip_ensure is not None:
        try:
            from packaging.requirements import Requirement
            pip_ensure([Requirement(r) for r in missing], requester=requester)
        except RuntimeError as exc:  # pip_ensure raises RuntimeError when the user declines
            raise DependencyError(f"{requester} needs {', '.join(missing)}: {exc}") from exc
    else:
        question = (f"{requester} needs these Python packages, which are not installed:\n\n"
                    f"{chr(10).join(missing)}\n\nInstall them now? This may take a few minutes.")
        if not confirm(question):
            raise DependencyError(f"{requester} needs {', '.join(missing)}; installation was declined")
        install(" ".join(missing))
    # Success is what is installed now, not what the installer said: Slicer's pip_ensure returns without
    # installing anything in testing mode (Slicer 5.12), and an install can fail quietly.
    importlib.invalidate_caches()
    still = missing_requirements(missing, version_of)
    if still:
        raise DependencyError(f"{requester} needs {', '.join(still)}, which is still not installed after the "
                              f"installation step (Slicer in testing mode skips installs); install it from "
                              f"Slicer's Python console with slicer.util.pip_install")
    return missing


def ensure_torch(import_pytorch_utils: Callable[[], Any], version: str = TORCH_REQUIREMENT) -> None:
    """Make sure torch is installed, through the PyTorch extension after asking when it is missing.

    ``import_pytorch_utils`` returns the PyTorchUtils module (``lambda: importlib.import_module(
    "PyTorchUtils")`` inside Slicer); torch is never pip-installed directly because the right build
    (CPU/CUDA) is what the PyTorch extension chooses. torch itself is imported later by the model code.
    """
    try:
        utils = import_pytorch_utils()
    except ImportError as exc:
        raise DependencyError("the model needs PyTorch: install the 'PyTorch' extension from the "
                              "Extensions Manager and restart Slicer") from exc
    if utils.PyTorchUtilsLogic.torchInstalled():
        return
    torch = utils.PyTorchUtilsLogic().installTorch(askConfirmation=True, torchVersionRequirement=version)
    if torch is None:
        raise DependencyError("PyTorch was not installed, so the model cannot run")


def ensure_model_dependencies(slicer_module: Any, bundles: Sequence[str], requester: str,
                              model_dir: Optional[Path] = None) -> None:
    """Before a model runs in Slicer: check its bundles are installed (in ``model_dir`` when given; no point
    installing torch otherwise), then install torch (PyTorch extension) and the other packages, asking the
    user first. Raises axspa.bundles.ModelMissingError or axspa.jobs.DependencyError."""
    from axspa.bundles import find_bundle

    for name in bundles:
        find_bundle(name, model_dir)
    ensure_torch(lambda: importlib.import_module("PyTorchUtils"))
    ensure_packages(MODEL_REQUIREMENTS, confirm=slicer_module.util.confirmOkCancelDisplay,
                    install=slicer_module.util.pip_install, pip_ensure=find_pip_ensure(slicer_module),
                    requester=requester)


def model_folder(folder: Any) -> Optional[Path]:
    """A model folder as the engine takes it (a panel's path field, or a console argument): a Path, or None for the
    installed bundles."""
    return Path(folder) if folder else None
