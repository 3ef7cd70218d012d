"""Text shared by every family's ``texts.py``, the reports and the CSV files: the one number formatter,
confidence intervals and CSV cells. Each family's own display text (command line and panels alike) is in
its ``texts.py``."""

from __future__ import annotations

from typing import Any, Optional, Sequence


def number(value: Any, fmt: str = ".2f", missing: str = "n/a", whole: bool = False) -> str:
    """``value`` formatted with ``fmt`` (a format spec: ".2f", ".1f", ".4g", "" for as is), ``missing``
    for None; with ``whole``, a whole number shows no decimals (18.0 -> "18", 18.55 -> "18.55")."""
    if value is None:
        return missing
    if whole and float(value).is_integer():
        return str(int(value))
    return format(value, fmt)


def interval(ci: Optional[Sequence[Optional[float]]], fmt: str = ".2f") -> str:
    """' [low, high]' after a value, '' when there is no interval."""
    return "" if not ci else f" [{number(ci[0], fmt)}, {number(ci[1], fmt)}]"


def cell(value: Any) -> str:
    """A CSV cell: empty for None, lists joined with spaces, booleans 1/0, floats to 4 significant digits."""
    if isinstance(value, list):
        return " ".join(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return number(value, ".4g" if isinstance(value, float) else "", missing="")


def outputs_line(folder: Any, names: Sequence[str] = ()) -> str:
    """The last line of a command that wrote files: where they are (and which, when it is a fixed set)."""
    return f"outputs in {folder}" + (f": {', '.join(names)}" if names else "")
