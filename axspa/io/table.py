"""Tables a user gives the commands (manifests, visits): CSV read the same forgiving way everywhere: ``;`` or
``,`` as delimiter (whichever the header holds more of), a byte-order mark, column names in any case and
spacing, blank rows skipped; every problem one InputError naming the file."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Sequence

from axspa.image import InputError
from axspa.results import PathLike


def read_table(path: PathLike, what: str, required: Sequence[str] = (), columns_hint: str = "") -> list[
        tuple[int, dict[str, str]]]:
    """``(line number, row)`` of each non-blank row, keys lower-cased and values stripped. InputError naming
    ``path`` when it cannot be read as text, is empty, or lacks a ``required`` column (``columns_hint`` then
    says what the table should hold; by default "expected columns ..." naming the required ones)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text (CSV) {what}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    header = text.split("\n", 1)[0]
    hint = columns_hint or (f"expected columns {', '.join(required)}" if required else "")
    if not header.strip():
        raise InputError(f"{path}: empty {what}" + (f"; {hint}" if hint else ""))
    reader = csv.DictReader(io.StringIO(text), delimiter=";" if header.count(";") > header.count(",") else ",")
    fields = [(f or "").strip().lower() for f in (reader.fieldnames or [])]
    missing = [c for c in required if c not in fields]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}; {hint}")
    rows = []
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): v.strip() if isinstance(v, str) else "" for k, v in raw.items()}
        if any(row.values()):
            rows.append((number, row))
    return rows
