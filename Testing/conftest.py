"""Shared fixtures: paths to the repo, the real data beside it, and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def pelvis_mri_dir() -> Path:
    """Real coronal pelvis T1 MRI (8 patients); the test is skipped when it is absent."""
    d = SHARED_DATA / "pelvis-mri-t1"
    if not d.is_dir():
        pytest.skip(f"real MRI data not found at {d}")
    return d


@pytest.fixture(scope="session")
def sij_stir_dir() -> Path:
    """Real SIJ STIR MRI with multi-reader edema masks; skipped when absent."""
    d = SHARED_DATA / "sij-stir-bme"
    if not d.is_dir():
        pytest.skip(f"real SIJ STIR data not found at {d}")
    return d


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    # Tests never read or write the user's real cache of models.
    monkeypatch.setenv("AXSPA_CACHE", str(tmp_path_factory.mktemp("axspa-cache")))
    # The test doubles of Testing/fake_predictors.py are predictors the user trusts (as a lab would
    # list its own package); every other module outside axspa is refused (test_training_and_bundle).
    monkeypatch.setenv("AXSPA_TRUSTED_PREDICTORS", "fake_predictors")


@pytest.fixture
def no_shipped_models(tmp_path, monkeypatch):
    """As an install without the bundles of Resources/Models (the spine bundles ship there)."""
    import axspa.bundles

    monkeypatch.setattr(axspa.bundles, "shipped_models_dir", lambda: tmp_path / "no-shipped-models")
