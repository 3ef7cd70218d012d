"""Small cohorts for the batch tests (a module of its own name: every test folder has a conftest): PNG films
of distinct sizes (the test-double predictors behave by row count), manifests, bundle config changes, running
a batch and reading back its outputs."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from axspa.batch import store
from axspa.batch.run import plan_batch, run_batch
from axspa.batch.work import Options

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

def rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def tree(out: Path) -> dict[str, bytes]:
    """Every output file's bytes, less the seconds a case took (the one thing a rerun may change)."""
    files = {}
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if not path.is_file() or rel.startswith(".batch/"):
            continue
        data = path.read_bytes()
        if path.name == store.RECORD:
            record = json.loads(data)
            record.pop("seconds")
            data = json.dumps(record).encode()
        elif path.name == "summary.csv":
            data = "\n".join(",".join(v for k, v in r.items() if k != "seconds") for r in rows(path)).encode()
        files[rel] = data
    return files


def run(source: Path, out: Path, models: Path, **kwargs):
    options = kwargs.pop("options", None) or Options(model_dir=str(models))
    return run_batch(plan_batch(source, out), out, options, **kwargs)
