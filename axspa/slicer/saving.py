"""Saving from a panel without losing a user's edits: the writers keep a file already there that differs from the
new result (edited by hand, or another result) and list it in "kept"; the panel then asks once whether to replace
those files, and writes again with overwrite only after a yes. Both modules' Export and Save go through here."""

from __future__ import annotations

from typing import Callable, Optional


def replace_kept_question(kept: list, tr: Callable[[str], str] = lambda t: t) -> str:
    """The question asked about the files a writer kept."""
    return (tr("These files differ from the result (edited?) and were kept:") + "\n\n" + "\n".join(kept) + "\n\n"
            + tr("Replace them?"))


def save_keeping_edits(write: Callable[[bool], Optional[dict]], confirm: Callable[[str], bool],
                       tr: Callable[[str], str] = lambda t: t) -> Optional[dict]:
    """``write(overwrite)`` (a dict with "kept": the files it kept; None when it failed or was cancelled) without
    overwrite first; when it kept files and ``confirm(question)`` says yes, again with overwrite. Returns the last
    result (the first when the second gave None)."""
    result = write(False)
    if result and result.get("kept") and confirm(replace_kept_question(result["kept"], tr)):
        result = write(True) or result
    return result
