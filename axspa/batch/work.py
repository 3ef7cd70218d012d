"""One case scored by its family's pipeline, as bytes: the same function runs in this process, in a worker
process or on a Dask worker (which may not see the output folder), so the driver alone writes ``DIR``.

Models are loaded once per process (``_MODELS``) and kept for the next case of the same job and options.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from axspa.batch.plan import Case


@dataclass
class Options:
    """What a batch's options are for every case (the job's share of it goes into each case's record)."""

    threshold: float = 0.5
    half_width: int = 7
    min_area: float = 5.0
    model_dir: Optional[str] = None
    trust_code: bool = False
    # The bundles' versions per job (store.model_versions), set by the batch: a process that keeps models
    # loaded (a worker, Slicer) reloads a job's model when its bundle changed.
    models: dict[str, str] = field(default_factory=dict)

    def for_job(self, job: str) -> dict:
        """The options that change a ``job`` case's result (a change re-scores those cases only)."""
        if job == "spine":
            return {"threshold": self.threshold}
        if job == "hip":
            return {"half_width": self.half_width, "min_area": self.min_area}
        return {}


@dataclass
class CaseResult:
    """What scoring one case gave: its files (name -> bytes) and summary, or the reason it failed."""

    case_id: str
    files: dict[str, bytes] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    trace: str = ""
    seconds: float = 0.0
    worker: str = ""


_MODELS: dict[tuple, Any] = {}


def score_case(case: Case, options: Options) -> CaseResult:
    """Score ``case`` into a fresh temporary folder and return its files; any error is the case's own."""
    from axspa.jobs import failure_reason

    start = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="axspa-case-") as tmp:
            summary = _SCORERS[case.job](case, options, Path(tmp))
            files = {p.name: p.read_bytes() for p in sorted(Path(tmp).iterdir()) if p.is_file()}
        return CaseResult(case.case_id, files, summary, seconds=time.perf_counter() - start, worker=_worker_name())
    except Exception as exc:  # noqa: BLE001 (one case's failure, whatever it is, is that case's)
        reason, trace = failure_reason(exc)
        return CaseResult(case.case_id, error=reason + (" (traceback in failures.log)" if trace else ""), trace=trace,
                          seconds=time.perf_counter() - start, worker=_worker_name())


def score_case_within(case: Case, options: Options, limit: Optional[float]) -> CaseResult:
    """``score_case`` in a thread, given up after ``limit`` seconds (a Dask worker cannot kill its task: the
    hung thread is left to the worker, whose restart the driver asks for)."""
    if not limit:
        return score_case(case, options)
    box: list[CaseResult] = []
    thread = threading.Thread(target=lambda: box.append(score_case(case, options)), daemon=True)
    thread.start()
    thread.join(limit)
    if box:
        return box[0]
    return CaseResult(case.case_id, error=timeout_reason(limit), seconds=float(limit), worker=_worker_name())


def timeout_reason(limit: float) -> str:
    return f"timed out: no result after {limit:g} s (--case-timeout); the case was stopped"


def _worker_name() -> str:
    return f"{os.uname().nodename if hasattr(os, 'uname') else ''}:{os.getpid()}"


def _model(job: str, options: Options) -> Any:
    key = (job, options.model_dir, options.trust_code, options.models.get(job))
    if key not in _MODELS:
        model_dir = Path(options.model_dir) if options.model_dir else None
        if job == "spine":
            from axspa.spine.pipeline import SpineModels

            _MODELS[key] = SpineModels(model_dir, options.trust_code)
        elif job == "sij":
            from axspa.sij.pipeline import load_models

            _MODELS[key] = load_models(model_dir, options.trust_code)
        else:
            from axspa.hip.pipeline import load_models

            _MODELS[key] = load_models(model_dir, options.trust_code)
    return _MODELS[key]


def _score_spine(case: Case, options: Options, out: Path) -> dict:
    from axspa.io.radiograph import read_radiograph
    from axspa.results import stem_of, validate
    from axspa.spine.header import header_region, radiograph_tags
    from axspa.spine.outputs import write_spine_outputs
    from axspa.spine.pipeline import score_radiograph

    radiograph = read_radiograph(case.path)
    # A region the scan took from the header is the header's, not a user's: the pipeline then checks the
    # image against it (and flags a film where they disagree) instead of taking it unchecked.
    region = case.region or "auto"
    if region == header_region(radiograph_tags(radiograph.meta))[0]:
        region = "auto"
    doc = score_radiograph(radiograph, region, models=_model("spine", options),
                           threshold=options.threshold)
    validate(doc, "spine")
    write_spine_outputs(doc, radiograph, out, overwrite=True, stem=stem_of(case.path))
    score = doc["score"]
    return {"result": f"{stem_of(case.path)}.spine.json", "region": doc["region"],
            "region_confidence": doc.get("region_confidence"), "msasss_raw": score["raw"],
            "msasss_imputed": score["imputed"], "sites_located": sum(s["point"] is not None for s in doc["sites"]),
            "sites_to_review": sum(bool(s.get("review")) for s in doc["sites"]),
            "models": " ".join(doc["model"].values()), "warnings": doc["warnings"]}


def _score_sij(case: Case, options: Options, out: Path) -> dict:
    from axspa.io.radiograph import read_radiograph
    from axspa.results import stem_of
    from axspa.sij.outputs import write_sij_outputs
    from axspa.sij.pipeline import score_pelvis

    radiograph = read_radiograph(case.path)
    doc, heatmap = score_pelvis(radiograph, _model("sij", options))
    write_sij_outputs(case.path, doc, heatmap, radiograph.ijk_to_ras, out, True, stem=stem_of(case.path))
    return {"result": f"{stem_of(case.path)}.sij.json", "sij_grade_right": doc["sides"]["right"]["grade"],
            "sij_grade_left": doc["sides"]["left"]["grade"], "sij_definite": doc["definite"],
            "sij_definite_probability": doc["definite_probability"],
            "models": " ".join(doc["model"].values()), "warnings": doc["warnings"]}


def _score_hip(case: Case, options: Options, out: Path) -> dict:
    from axspa.hip.pipeline import score_case as score_hip_case
    from axspa.hip.scores import HipScoreConfig

    config = HipScoreConfig(half_width=options.half_width, min_lesion_area_mm2=options.min_area)
    doc = score_hip_case(case.path, out, series_uid=case.series_uid or None, config=config, overwrite=True,
                         model=_model("hip", options))
    summary: dict[str, Any] = {"result": "hip.json"}
    for side in ("right", "left"):
        entry = doc["sides"][side]
        summary[f"hip_{side}_head_found"] = entry.get("femoral_head_found")
        summary[f"hip_{side}_unet_gray"] = (entry.get("unet_score") or {}).get("gray_value")
        summary[f"hip_{side}_himriss_total"] = (entry.get("himriss") or {}).get("total")
    summary["models"] = " ".join((doc.get("model") or {}).values())
    summary["warnings"] = doc.get("warnings", [])
    return summary


_SCORERS = {"spine": _score_spine, "sij": _score_sij, "hip": _score_hip}
