"""Sacroiliac-joint model tests need torch and monai (the `train` extra); they skip cleanly without them."""

from __future__ import annotations

import pytest

from axspa.cli import main


@pytest.fixture(scope="session")
def tiny_pelvis_cases(tmp_path_factory):
    """Six small AP pelvis phantoms (generator 2) with joint centres, definite and not, made once per session."""
    out = tmp_path_factory.mktemp("pelvis-cases")
    assert main(["phantom", "pelvis", "--n", "6", "--seed", "7", "--size", "small", "--photo-fraction", "0",
                 "--out", str(out)]) == 0
    return out
