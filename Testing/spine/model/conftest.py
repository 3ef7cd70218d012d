"""Spine model tests need torch and monai (the `train` extra); they skip cleanly without them."""

from __future__ import annotations

import pytest

from axspa.cli import main


@pytest.fixture(scope="session")
def tiny_spine_films(tmp_path_factory):
    """Four small phantom films (cervical and lumbar) with their truth, made once per session."""
    out = tmp_path_factory.mktemp("spine-films")
    assert main(["phantom", "spine", "--n", "4", "--seed", "7", "--size", "small", "--out", str(out)]) == 0
    return out
