"""Result documents: JSON schemas (axspa/schemas), validation, file names, checksums and writing outputs safely.

Outputs are never overwritten silently: a user may have edited a ``.mrk.json`` in Slicer or a
CSV by hand. ``write_text_safely`` writes when the file is absent or holds exactly what we would
write; otherwise it keeps the file unless ``overwrite`` is set, and says so.
"""

from __future__ import annotations

import errno
import filecmp
import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import Callable, Iterator, Optional, Sequence, Union

# A path as every function of the engine takes it.
PathLike = Union[str, os.PathLike]
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
KINDS = ("spine", "sij", "hip", "run")  # run: what axspa demo did, step by step (run.json)


class InvalidDocumentError(ValueError):
    """A result document that does not follow its schema."""


@cache
def load_schema(kind: str) -> dict:
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {KINDS}")
    return json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text())


def validate(doc: dict, kind: str) -> None:
    """Raise InvalidDocumentError listing every schema violation of ``doc``.

    With the jsonschema package when it is installed; otherwise (3D Slicer's Python does not bundle it) with
    ``axspa.schema_check``, which checks the part of JSON Schema our schemas use and words errors the same."""
    schema = load_schema(kind)
    try:
        import jsonschema  # imported here: only validation needs it
    except ImportError:
        from axspa.schema_check import iter_errors

        errors = iter_errors(doc, schema)
    else:
        validator = jsonschema.Draft202012Validator(schema)
        errors = [(tuple(e.absolute_path), e.message) for e in validator.iter_errors(doc)]
    errors.sort(key=lambda e: list(e[0]))
    if errors:
        lines = [f"{'/'.join(map(str, path)) or '(top)'}: {message}" for path, message in errors[:10]]
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


def kept_message(path: PathLike) -> str:
    """What a writer says about an output it kept because it differs from the new result."""
    return f"kept {path}: it differs from the new result (edited?); pass --overwrite to replace it"


def write_output(path: PathLike, writer: Callable[[Path], object], overwrite: bool = False) -> bool:
    """``write_file_safely``, printing ``kept_message`` when a different file was kept; True when written
    or unchanged. The one rule of every command that writes: outputs are written atomically, and an
    existing file that differs from the new result is kept unless ``overwrite``."""
    if write_file_safely(path, writer, overwrite):
        return True
    print(kept_message(path))
    return False


def write_text_output(path: PathLike, text: str, overwrite: bool = False) -> bool:
    """``write_output`` of a text file (UTF-8)."""
    return write_output(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"), overwrite)


def temporary_path(path: PathLike) -> Path:
    """Where a writer puts ``path`` before it is renamed into place: same folder (so the rename is atomic),
    hidden, and with the same extension (writers that choose the format by extension still work)."""
    path = Path(path)
    return path.with_name(f".part-{os.getpid()}-{path.name}")


def write_file_safely(path: PathLike, writer: Callable[[Path], object], overwrite: bool = False) -> bool:
    """Let ``writer`` write a temporary file, then put it in place unless ``path`` already holds
    a different file and ``overwrite`` is off. True when written or unchanged, False when kept.

    Every output of the engine goes through here: a crash, an error or Ctrl-C never leaves half a file
    under the output's name (the temporary file is removed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not path.is_file():
        raise IsADirectoryError(errno.EISDIR, "a folder (or other non-file) is where this output goes", str(path))
    tmp = temporary_path(path)
    try:
        writer(tmp)
        if path.exists() and not overwrite and not filecmp.cmp(tmp, path, shallow=False):
            return False
        os.replace(tmp, path)  # atomic: a crash never leaves half a file
        return True
    finally:
        if tmp.exists():
            tmp.unlink()


def write_folder_safely(path: PathLike, writer: Callable[[Path], object], overwrite: bool = False) -> bool:
    """A folder of outputs (a phantom case) made whole or not at all: ``writer`` fills a hidden temporary
    folder, which is then renamed to ``path``. An existing ``path`` that differs (any file added, missing
    or changed) is kept unless ``overwrite``; True when written or unchanged, False when kept."""
    import shutil

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(path)
    old = path.with_name(f".old-{os.getpid()}-{path.name}")
    try:
        if tmp.exists():
            shutil.rmtree(tmp)
        tmp.mkdir()
        writer(tmp)
        if path.exists():
            if _same_tree(tmp, path):
                return True
            if not overwrite:
                return False
            os.replace(path, old)
        os.replace(tmp, path)
        return True
    finally:
        for leftover in (tmp, old):
            if leftover.exists():
                shutil.rmtree(leftover)


def _same_tree(a: Path, b: Path) -> bool:
    if not b.is_dir():
        return False
    files_a = sorted(p.relative_to(a) for p in a.rglob("*"))
    files_b = sorted(p.relative_to(b) for p in b.rglob("*"))
    if files_a != files_b:
        return False
    return all((a / f).is_dir() == (b / f).is_dir() and
               ((a / f).is_dir() or filecmp.cmp(a / f, b / f, shallow=False)) for f in files_a)


# ------------------------------------------------------------------------------------ output names

def candidate_stems(path: PathLike) -> Iterator[str]:
    """The names an input's outputs may take, most readable first: its stem (file name without the
    format's extension), then prefixed with its parent folders one at a time (``b_IM0001``,
    ``a_b_IM0001``, up to three), then with a short hash of its absolute path."""
    absolute = Path(os.path.abspath(str(path).rstrip("/\\") or "."))
    stem = stem_of(absolute) or "input"
    yield stem
    name = stem
    for folder in list(absolute.parent.parts[::-1])[:3]:
        folder = folder.strip("/\\:")
        if folder:
            name = f"{folder}_{name}"
            yield name
    digest = hashlib.sha256(str(absolute).encode("utf-8")).hexdigest()[:8]
    yield f"{stem}-{digest}"
    n = 2
    while True:
        yield f"{stem}-{digest}-{n}"
        n += 1


def unique_stems(inputs: Sequence[PathLike], holds_other: Callable[[str, str], bool]) -> dict[str, str]:
    """The stem each input's outputs are written under, unique in the call and never one under which
    the output folder already holds another input's result.

    ``holds_other(stem, input)`` tells whether the output folder holds, under ``stem``, the result of
    an input other than ``input``. Inputs claim names in the order of their absolute paths (not of the
    command line), each taking its first candidate (``candidate_stems``) that no earlier input took
    and that does not hold another input's result, so the same inputs into the same folder always get
    the same names. Names are compared ignoring case (macOS and Windows file systems)."""
    taken: set[str] = set()
    stems: dict[str, str] = {}
    for item in sorted({str(i) for i in inputs}, key=lambda p: (os.path.abspath(p), p)):
        for stem in candidate_stems(item):
            if stem.lower() not in taken and not holds_other(stem, item):
                break
        taken.add(stem.lower())
        stems[item] = stem
    return {str(i): stems[str(i)] for i in inputs}


def holds_other_input(document: Path, outputs: Sequence[Path], same_input: Callable[[dict], bool]) -> bool:
    """Whether ``document`` (a result document) and its companion ``outputs`` belong to another input:
    False when none of them exists; True when only companions exist (their owner cannot be told),
    when the document cannot be read, or when ``same_input(document)`` is False."""
    if not document.exists():
        return any(p.exists() for p in outputs)
    try:
        doc = json.loads(document.read_text(encoding="utf-8"))
        return not (isinstance(doc, dict) and same_input(doc))
    except (OSError, ValueError):
        return True


def input_sha256(path: PathLike) -> Optional[str]:
    """SHA-256 of an input file, or None when it cannot be read (the case then fails on its own)."""
    try:
        return sha256_file(path)
    except OSError:
        return None


def dumps(doc: dict) -> str:
    return json.dumps(doc, indent=2, allow_nan=False) + "\n"


def sha256_file(path: PathLike) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB chunks (inputs in result documents, bundle weights)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
