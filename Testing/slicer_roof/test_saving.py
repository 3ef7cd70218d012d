"""axspa.slicer.saving: the keep-my-edits save flow both modules' Export and Save go through."""

from __future__ import annotations

from axspa.slicer.saving import save_keeping_edits


def test_kept_files_are_replaced_only_after_a_yes():
    writes, questions = [], []

    def write(overwrite):
        writes.append(overwrite)
        return {"kept": [] if overwrite else ["out/a.json: differs"], "run": len(writes)}

    result = save_keeping_edits(write, lambda q: questions.append(q) or False)
    assert writes == [False] and result["run"] == 1
    assert "out/a.json: differs" in questions[0] and questions[0].endswith("Replace them?")
    writes.clear()
    assert save_keeping_edits(write, lambda q: True)["run"] == 2 and writes == [False, True]


def test_nothing_kept_or_a_failed_write_asks_nothing():
    ask = lambda q: (_ for _ in ()).throw(AssertionError("asked"))  # noqa: E731
    assert save_keeping_edits(lambda overwrite: {"kept": []}, ask) == {"kept": []}
    assert save_keeping_edits(lambda overwrite: None, ask) is None
    # The second write failing (None) leaves the first result.
    first = {"kept": ["x"]}
    assert save_keeping_edits(lambda overwrite: None if overwrite else first, lambda q: True) is first
