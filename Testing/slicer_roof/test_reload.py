"""axspa.slicer.reload: a module's Reload forgets its Lib and the engine."""

from __future__ import annotations

from axspa.slicer import reload


def test_forget_modules_removes_the_packages_and_their_submodules_only():
    modules = {"AxSpAScoringLib": 1, "AxSpAScoringLib.panel": 2, "AxSpAScoringLibrary": 3, "axspa": 4,
               "axspa.jobs": 5, "axspa_other": 6, "HipInflammationLib.panel": 7}
    removed = reload.forget_modules(("AxSpAScoringLib", "axspa"), modules)
    assert sorted(removed) == ["AxSpAScoringLib", "AxSpAScoringLib.panel", "axspa", "axspa.jobs"]
    assert modules == {"AxSpAScoringLibrary": 3, "axspa_other": 6, "HipInflammationLib.panel": 7}
