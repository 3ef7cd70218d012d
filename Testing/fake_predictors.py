"""Test doubles for the model-bundle predictor protocol (axspa/bundles.py, each family's pipeline.py): they
let the tests drive the real pipeline, output writing and scoring rules without a trained network."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from axspa.results import sha256_file
from axspa.spine.sites import REGIONS


class FixedLandmarks:
    """Puts the sites of the region down a vertical line; sites named in `missing` are not found. The film's
    own region is config ``region_by_rows`` (else cervical); with ``region_confidence`` (how sure of that
    call) it reports a confidence as LandmarkPredictor does: 1 - it when asked for the other region."""

    def __init__(self, folder: Path, info: dict) -> None:
        self.config = info.get("config", {})

    def predict(self, pixels: np.ndarray, spacing_mm, region: str) -> dict:
        rows, cols = pixels.shape
        found = self.config.get("region_by_rows", {}).get(str(rows), "cervical")
        region = found if region == "auto" else region
        sites = {}
        for n, site in enumerate(REGIONS[region]):
            sites[site] = None if site in self.config.get("missing", []) else (cols * 0.4, rows * (n + 1) / 14)
        out = {"region": region, "vertebrae": [], "sites": sites}
        confidence = self.config.get("region_confidence")
        if confidence is not None:
            out["region_confidence"] = confidence if region == found else round(1.0 - confidence, 4)
        return out


class BatchLandmarks(FixedLandmarks):
    """FixedLandmarks that behave by the film's row count, for the batch tests: config ``sleep`` (seconds per
    film), ``hang_rows`` (sleep an hour), ``exit_rows`` (end the process, as a crash would), ``fail_rows``
    (raise)."""

    def predict(self, pixels: np.ndarray, spacing_mm, region: str) -> dict:
        import os
        import time

        rows = pixels.shape[0]
        if rows in self.config.get("hang_rows", []):
            time.sleep(3600)
        if rows in self.config.get("exit_rows", []):
            os._exit(3)
        if rows in self.config.get("fail_rows", []):
            raise RuntimeError(f"the network gave NaN on a film of {rows} rows")
        time.sleep(self.config.get("sleep", 0.0))
        return super().predict(pixels, spacing_mm, region)


class FixedCorners:
    """Findings per site from the bundle config (others all 0)."""

    def __init__(self, folder: Path, info: dict) -> None:
        self.findings = info.get("config", {}).get("findings", {})

    def predict(self, pixels: np.ndarray, spacing_mm, points: dict) -> dict:
        return {site: dict(self.findings.get(site, {})) for site in points}


class PointCorners:
    """Findings that depend on where the point is: beyond column ``syndesmophyte_beyond`` a syndesmophyte
    (0.9), beyond ``bridging_beyond`` bridging (0.9), else nothing. Every call's points are kept in
    ``CALLS`` (re-grading must run at the moved points only)."""

    CALLS: list = []

    def __init__(self, folder: Path, info: dict) -> None:
        self.config = info.get("config", {})

    def predict(self, pixels: np.ndarray, spacing_mm, points: dict) -> dict:
        PointCorners.CALLS.append(dict(points))
        out = {}
        for site, (x, _y) in points.items():
            findings = {}
            if x > self.config.get("bridging_beyond", np.inf):
                findings["bridging"] = 0.9
            elif x > self.config.get("syndesmophyte_beyond", np.inf):
                findings["syndesmophyte"] = 0.9
            out[site] = findings
        return out


class FixedSij:
    def __init__(self, folder: Path, info: dict) -> None:
        self.config = info.get("config", {})

    def predict(self, pixels: np.ndarray, spacing_mm) -> dict:
        return {"right": self.config["right"], "left": self.config["left"],
                "heatmap": np.linspace(0, 1, pixels.size, dtype=np.float32).reshape(pixels.shape)}


class BoxHips:
    """Hip segments as boxes on the volume's [k, j, i] grid: config ``{"boxes": {segment name: [[k0, k1],
    [j0, j1], [i0, i1]]}}`` (half-open ranges); every hip segment of axspa/hip/segments.py not listed comes
    back empty. Each call's volume shape is kept in ``CALLS`` (re-scoring must not run the model)."""

    CALLS: list = []

    def __init__(self, folder: Path, info: dict) -> None:
        self.boxes = info.get("config", {}).get("boxes", {})

    def predict(self, volume, progress=None, cancel=None) -> dict:
        from axspa.hip.segments import HIP_SEGMENTS
        from axspa.jobs import report

        BoxHips.CALLS.append(volume.array.shape)
        report(progress, 0.5, "fake hip segmentation", cancel)
        masks = {s.name: np.zeros(volume.array.shape, bool) for s in HIP_SEGMENTS}
        for name, ((k0, k1), (j0, j1), (i0, i1)) in self.boxes.items():
            masks[name][k0:k1, j0:j1, i0:i1] = True
        return masks


class ReferenceHips:
    """The segments of a reference ``.seg.nrrd`` (config ``{"seg": path}``) placed on the volume's grid, as a
    perfect model would return them."""

    def __init__(self, folder: Path, info: dict) -> None:
        self.seg = info.get("config", {})["seg"]

    def predict(self, volume, progress=None, cancel=None) -> dict:
        from axspa.hip.pipeline import masks_on_grid
        from axspa.io.segfile import read_seg_nrrd

        masks, ijk_to_ras = read_seg_nrrd(self.seg)
        return masks_on_grid(masks, ijk_to_ras, volume, self.seg)


class FailingHips:
    """A hip model that raises on every volume (config ``{"message": ...}``)."""

    def __init__(self, folder: Path, info: dict) -> None:
        self.message = info.get("config", {}).get("message", "odd volume: the network got NaN")

    def predict(self, volume, progress=None, cancel=None) -> dict:
        raise RuntimeError(self.message)


def install_bundle(models_dir: Path, name: str, predictor: str, config: dict | None = None) -> Path:
    """Write a bundle folder (with a dummy weight file and its sha256) for a test double."""
    folder = models_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "weights.bin").write_bytes(b"not a network")
    info = {"name": name, "version": "test", "predictor": f"fake_predictors:{predictor}",
            "files": {"weights.bin": sha256_file(folder / "weights.bin")}, "config": config or {}}
    (folder / "bundle.json").write_text(json.dumps(info))
    return folder
