"""The test-double bundles every batch test uses."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_predictors import install_bundle


@pytest.fixture
def models(tmp_path) -> Path:
    """Test-double spine, sacroiliac and hip bundles in one folder (pass as --model-dir / Options.model_dir)."""
    folder = tmp_path / "models"
    install_bundle(folder, "spine-landmarks", "BatchLandmarks")
    install_bundle(folder, "spine-corners", "FixedCorners", {"findings": {"C4i": {"syndesmophyte": 0.9}}})
    install_bundle(folder, "sij-grader", "FixedSij", {"right": [0, 0, 0.1, 0.8, 0.1], "left": [1, 0, 0, 0, 0]})
    install_bundle(folder, "hip-segmenter", "BoxHips",
                   {"boxes": {"Right femoral head": [[5, 15], [60, 80], [30, 50]],
                              "Left femoral head": [[5, 15], [60, 80], [100, 120]]}})
    return folder
