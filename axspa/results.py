"""Result documents: JSON schemas (axspa/schemas), validation, file names, checksums and writing outputs safely.

Outputs are never overwritten silently: a user may have edited a ``.mrk.json`` in Slicer or a
CSV by hand. ``write_text_safely`` writes when the file is absent or holds exactly what we would
write; otherwise it keeps the file unless ``overwrite`` is set, and says so.
"""

from __future__ import annotations

import filecmp
import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Callable, Union

# A path as every function of the engine takes it.
PathLike = Union[str, os.PathLike]
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
KINDS = ("spine", "sij", "hip")


class InvalidDocumentError(ValueError):
    """A result document that does not follow its schema."""


@cache
def load_schema(kind: str) -> dict:
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {KINDS}")
    return json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text())


def validate(doc: dict, kind: str) -> None:
    """Raise InvalidDocumentError listing every schema violation of ``doc``."""
    import jsonschema  # imported here: only validation needs it

    validator = jsonschema.Draft202012Validator(load_schema(kind))
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors[:10]]
        raise InvalidDocumentError(f"invalid axspa.{kind}/1 document:\n  " + "\n  ".join(lines))


def stem_of(path: PathLike) -> str:
    """File name without its extension(s) that name a format: 'a.nii.gz' -> 'a', 'x.dcm' -> 'x'."""
    name = Path(path).name
    for ext in (".nii.gz", ".seg.nrrd", ".mrk.json"):
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return Path(name).stem if "." in name else name


def write_text_safely(path: PathLike, text: str, overwrite: bool = False) -> bool:
    """Write ``text`` unless a different file is already there; True when written or unchanged."""
    return write_file_safely(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"), overwrite)


def write_file_safely(path: PathLike, writer: Callable[[Path], object], overwrite: bool = False) -> bool:
    """Let ``writer`` write a temporary file, then put it in place unless ``path`` already holds
    a different file and ``overwrite`` is off. True when written or unchanged, False when kept."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    writer(tmp)
    if path.exists() and not overwrite and not filecmp.cmp(tmp, path, shallow=False):
        tmp.unlink()
        return False
    os.replace(tmp, path)  # atomic: a crash never leaves half a file
    return True


def dumps(doc: dict) -> str:
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


def sha256_file(path: PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks (inputs in result documents, bundle weights)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
