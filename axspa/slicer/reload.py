"""A module's Reload: forget its Lib and the engine so that they are read from disk again."""

from __future__ import annotations

import sys
from typing import Iterable, Optional


def forget_modules(packages: Iterable[str], modules: Optional[dict] = None) -> list[str]:
    """Remove ``packages`` and their submodules from ``modules`` (``sys.modules``), so that the next import reads
    them from disk again: Slicer's Reload (and Reload and Test) re-runs only the module's own file, and would
    otherwise keep the module's Lib and the axspa engine as they were first imported. Returns the names removed."""
    modules = sys.modules if modules is None else modules
    packages = tuple(packages)
    names = [name for name in list(modules) if any(name == p or name.startswith(p + ".") for p in packages)]
    for name in names:
        del modules[name]
    return names
