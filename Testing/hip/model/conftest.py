"""Hip model tests need torch and monai (the `train` extra); they skip cleanly without them."""

from __future__ import annotations

import pytest

from axspa.cli import main


@pytest.fixture(scope="session")
def tiny_hip_cases(tmp_path_factory):
    """Three small phantom hip cases with their truth, made once per session."""
    out = tmp_path_factory.mktemp("hip-cases")
    assert main(["phantom", "hip", "--n", "3", "--seed", "7", "--size", "small", "--out", str(out)]) == 0
    return out
