"""Small cohorts for the batch tests: PNG films of distinct sizes (the test-double predictors behave by row
count), manifests, and test-double bundles in a models folder."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np
import pytest
from fake_predictors import install_bundle
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "Resources" / "SampleData"


def write_film(path: Path, rows: int, cols: int = 96, seed: int = 0) -> Path:
    """A grey PNG 'radiograph' of ``rows`` rows."""
    rng = np.random.default_rng(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rng.integers(0, 255, (rows, cols), dtype=np.uint8)).save(path)
    return path


def write_manifest(path: Path, rows: list[dict], columns: tuple[str, ...] = ("case_id", "patient_id", "visit_date",
                                                                                "job", "path", "region")) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def spine_cohort(folder: Path, n: int = 4, first_rows: int = 200) -> Path:
    """A manifest of ``n`` films (rows first_rows, first_rows+1, ...): two patients, visits two years apart."""
    rows = []
    for i in range(n):
        film = write_film(folder / "films" / f"film{i}.png", first_rows + i, seed=i)
        rows.append({"case_id": f"P{i % 2}-V{i // 2}", "patient_id": f"P{i % 2}",
                     "visit_date": f"{2020 + 2 * (i // 2)}-01-01", "job": "spine",
                     "path": film.relative_to(folder).as_posix(), "region": "cervical"})
    return write_manifest(folder / "cohort.csv", rows)


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


def set_config(models: Path, name: str, config: dict) -> None:
    """Change a test-double bundle's config (its bundle.json changes: a new model to the batch)."""
    import json

    info_path = models / name / "bundle.json"
    info = json.loads(info_path.read_text())
    info["config"] = config
    info_path.write_text(json.dumps(info))


def sample_folder(folder: Path) -> Path:
    """The bundled sample data, a zero-byte 'DICOM' and a copy of the lumbar film under another name."""
    shutil.copytree(SAMPLES, folder)
    (folder / "broken.dcm").write_bytes(b"")
    (folder / "more").mkdir()
    shutil.copy(SAMPLES / "AxSpA-LumbarSpine.dcm", folder / "more" / "copy-of-lumbar.dcm")
    return folder
