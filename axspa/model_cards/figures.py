"""Every figure of a shipped model card regenerated from nothing and checked (``make evaluate-models``).

Each shipped bundle has a recipe: phantoms of a held-out seed (and acquisition variants of them) are written
with the project's own commands, the bundle predicts them, and ``axspa evaluate ... --json`` measures them.
The recipe's evaluation outputs (full JSON) give the card's figures, a flat table ``{"test.head_dice": 0.984,
...}`` each with a tolerance. ``Utilities/evaluate_models.py`` runs the recipes and either writes
``<bundle>/docs/evaluation.json`` (``--write``; the card writers build the card's tables from it and the bundle
is re-hashed) or compares the measured figures with that committed file (exit 1 on a figure off beyond its
tolerance or missing; figures whose inputs are absent, such as the real series in ``../shared/data``, are
listed as not run).

``evaluation.json``::

    {"bundle", "version",
     "bundle_sha256": sha256 of the bundle's weights and configs (see bundle_fingerprint),
     "bundles_sha256": {bundle: fingerprint} of every bundle the recipe ran (spine: both spine bundles),
     "commands": [every command of the recipe, in order],
     "figures": {name: {"value", "tolerance"}}, "outputs": {set: full JSON of its evaluation},
     "not_run": {output or figure: reason}}

Adding a figure is one line in its recipe's figure list (``Figure(name, output, path, tolerance)``); adding a
measured set is a few lines in its recipe's ``run`` function (``runner.data`` for data reused across runs,
``runner.run`` for a command, ``runner.evaluate`` for an evaluation whose JSON becomes an output).

No torch at import time: the recipes run the models in subprocesses, as a user would.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional, Sequence, Union

from axspa.hip.variants import VARIANTS as HIP_VARIANTS
from axspa.results import sha256_file
from axspa.spine.variants import VARIANTS as SPINE_VARIANTS

REPO = Path(__file__).resolve().parents[2]
DEFAULT_MODEL_ROOT = REPO / "Resources" / "Models"
DEFAULT_WORK = Path("out") / "evaluate"
REAL_HIP_DATA = REPO.parent / "shared" / "data" / "pelvis-mri-t1"

# Tolerances (absolute). Deterministic CPU inference repeats its numbers on one machine; threads and BLAS
# differ across machines and move a few borderline voxels or sites.
RATIO = 0.01     # Dice, accuracy, kappa, Spearman, ICC, fractions of many sites
MM = 0.1         # distances
COUNT = 1        # cases, heads, sites
ML = 0.05        # volume errors
SCORE = 0.02     # mean absolute error of a score in points
HIPS = 0.03      # exact agreement over 40-80 hips: about one hip

Path_ = Union[str, Sequence[str], Callable[[dict], Any]]


@dataclass(frozen=True)
class Figure:
    """One card figure: ``path`` (dot-separated keys, a sequence of keys, or a function) into output
    ``output`` of the recipe."""

    name: str
    output: str
    path: Path_
    tolerance: float

    def value(self, outputs: dict) -> Optional[float]:
        doc = outputs.get(self.output)
        if doc is None:
            return None
        if callable(self.path):
            got = self.path(doc)
        else:
            got = doc
            for key in (self.path.split(".") if isinstance(self.path, str) else self.path):
                if not isinstance(got, dict) or key not in got:
                    return None
                got = got[key]
        if isinstance(got, bool):
            return float(got)
        return None if got is None else round(float(got), 6)


def data_code_fingerprint() -> str:
    """sha256 of the code that writes phantoms and variants (axspa/phantom, axspa/*/variants.py): data written
    by other code is not reused."""
    files = sorted((REPO / "axspa" / "phantom").rglob("*.py")) + sorted((REPO / "axspa").glob("*/variants.py"))
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.relative_to(REPO).as_posix().encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


class Runner:
    """Runs a recipe's commands, records them and collects the evaluation outputs."""

    def __init__(self, work: Path, model_root: Path, quick: bool = False, real_hip_data: Optional[Path] = None,
                 log: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True)) -> None:
        self.work = Path(work)
        self.real_hip_data = Path(real_hip_data) if real_hip_data is not None else REAL_HIP_DATA
        self.model_root = Path(model_root)
        self.quick = quick
        self.log = log
        self.commands: list[str] = []
        self.outputs: dict[str, Any] = {}
        self.not_run: dict[str, str] = {}

    @staticmethod
    def shown(argv: Sequence[Union[str, Path]]) -> str:
        """The command as a user types it, from the repository root."""
        parts = []
        for a in argv:
            a = str(a)
            if os.path.isabs(a):
                for root, prefix in ((REPO, ""), (REPO.parent, "../")):
                    try:
                        a = prefix + Path(a).relative_to(root).as_posix()
                        break
                    except ValueError:
                        pass
            parts.append(a)
        return shlex.join(parts)

    def run(self, argv: Sequence[Union[str, Path]], shown: Optional[str] = None, ok: Sequence[int] = (0,),
            capture: bool = False) -> str:
        """Run ``axspa ...`` or ``python ...`` (this interpreter) and record it; stdout when ``capture``."""
        argv = [str(a) for a in argv]
        text = shown or self.shown(argv)
        self.commands.append(text)
        self.log(f"$ {text}")
        if argv[0] == "axspa":
            real = [sys.executable, "-c", "import sys; from axspa.cli import main; sys.exit(main())", *argv[1:]]
        elif argv[0] == "python":
            real = [sys.executable, *argv[1:]]
        else:
            real = argv
        proc = subprocess.run(real, cwd=REPO, stdout=subprocess.PIPE if capture else None, text=True)
        if proc.returncode not in ok:
            raise RuntimeError(f"command failed (exit {proc.returncode}): {text}")
        if proc.returncode:
            self.log(f"  (exit {proc.returncode})")
        return proc.stdout if capture else ""

    def data(self, argv: Sequence[Union[str, Path]], out: Path) -> Path:
        """Run a command that writes data into ``out`` unless a previous run of the same command, with the same
        phantom and variant code (data_code_fingerprint), finished there (its stamp ``out/.command``): phantoms
        and variants are reused, predictions never are."""
        out = self.abs(out)
        text = self.shown(argv)
        stamp = out / ".command"
        key = text + "\n" + data_code_fingerprint()
        if stamp.is_file() and stamp.read_text().strip() == key:
            self.commands.append(text)
            self.log(f"$ {text}   (reused: {self.shown([out])} was written by this command)")
            return out
        if out.exists():
            shutil.rmtree(out)
        self.run(argv)
        stamp.write_text(key + "\n")
        return out

    def abs(self, path: Union[str, Path]) -> Path:
        path = Path(path)
        return path if path.is_absolute() else REPO / path

    def fresh(self, path: Path) -> Path:
        """An empty folder for predictions (never reused: they depend on the model)."""
        path = self.abs(path)
        if path.exists():
            shutil.rmtree(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def evaluate(self, key: str, family: str, truth: Path, pred: Path) -> dict:
        """``axspa evaluate FAMILY --truth --pred --json``; its JSON becomes output ``key``."""
        text = self.run(["axspa", "evaluate", family, "--truth", truth, "--pred", pred, "--json"], ok=(0, 1),
                        capture=True)
        doc = json.loads(text)
        if doc.get("missing"):
            self.log(f"  {key}: {len(doc['missing'])} case(s) without a prediction")
        self.outputs[key] = doc
        return doc


@dataclass
class Recipe:
    """How a bundle's card figures are made: ``run`` writes data, predicts and evaluates (filling
    ``runner.outputs``); ``figures`` names what the card quotes. ``bundles``: every bundle the recipe runs."""

    name: str
    bundles: tuple[str, ...]
    run: Callable[[Runner], None]
    figures: list[Figure] = field(default_factory=list)


# ---------------------------------------------------------------- spine (both spine bundles together)

SPINE_SETS = ("original", "original40") + tuple(SPINE_VARIANTS)


def _films(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".dcm", ".jpg", ".png"))


def run_spine(r: Runner) -> None:
    n, first = (4, 2) if r.quick else (100, 40)
    base = r.work / ("quick" if r.quick else "") / "spine"
    test = r.data(["axspa", "phantom", "spine", "--n", n, "--seed", 303, "--out", base / "test"], base / "test")
    var = r.data(["python", "Utilities/make_spine_variants.py", base / "test", base / "var", first], base / "var")
    for name in SPINE_SETS:
        truth = test if name == "original" else var / ("original" if name == "original40" else name)
        pred = r.fresh(base / "pred" / name)
        films = _films(truth)
        suffixes = sorted({p.suffix for p in films})
        shown = r.shown(["axspa", "spine"]) + " " + " ".join(
            f"{r.shown([truth])}/*{s}" for s in suffixes) + " " + r.shown(
            ["--out", pred, "--model-dir", r.model_root])
        r.run(["axspa", "spine", *films, "--out", pred, "--model-dir", r.model_root], shown=shown, ok=(0, 1))
        r.evaluate(name, "spine", truth, pred)


def _spine_set(s: str) -> list[Figure]:
    return [Figure(f"{s}.films", s, "films", COUNT),
            Figure(f"{s}.located", s, "located_fraction", RATIO),
            Figure(f"{s}.median_mm", s, "localization_mm.median", MM),
            Figure(f"{s}.p95_mm", s, "localization_mm.p95", MM),
            Figure(f"{s}.grade_accuracy", s, "grade_accuracy", RATIO),
            Figure(f"{s}.quadratic_kappa", s, "quadratic_kappa", RATIO),
            Figure(f"{s}.bridge_accuracy", s, "bridge.accuracy", RATIO),
            Figure(f"{s}.bridge_sensitivity", s, "bridge.sensitivity", RATIO),
            Figure(f"{s}.bridge_specificity", s, "bridge.specificity", RATIO),
            Figure(f"{s}.segment_mae", s, "segment_score.mae", SCORE),
            Figure(f"{s}.segment_icc21", s, "segment_score.icc21", RATIO)]


def _cell(i: int, j: int) -> Callable[[dict], Any]:
    return lambda doc: (doc.get("confusion_truth_rows") or [[None] * 4] * 4)[i][j]


SPINE = Recipe("spine", ("spine-landmarks", "spine-corners"), run_spine,
               [f for s in SPINE_SETS for f in _spine_set(s)]
               + [Figure(f"original.confusion.truth{i}.model{j}", "original", _cell(i, j), COUNT)
                  for i in range(4) for j in range(4)])


# ---------------------------------------------------------------- hip

HIP_SETS = ("test", "original") + tuple(HIP_VARIANTS) + ("generator2",)
HIP_SEGMENTS = ("Right femoral head", "Left femoral head", "Right acetabulum", "Left acetabulum",
                "Right femoral BME", "Left femoral BME", "Right acetabular BME", "Left acetabular BME",
                "Right effusion-synovitis", "Left effusion-synovitis", "femoral head (both sides)",
                "acetabulum (both sides)", "femoral BME (both sides)", "acetabular BME (both sides)",
                "effusion-synovitis (both sides)", "all lesions")
HEAD = "femoral head (both sides)"


def run_hip(r: Runner) -> None:
    n, first = (4, 2) if r.quick else (40, 20)
    base = r.work / ("quick" if r.quick else "") / "hip"
    test = r.data(["axspa", "phantom", "hip", "--n", n, "--seed", 303, "--out", base / "test"], base / "test")
    var = r.data(["python", "Utilities/make_hip_variants.py", base / "test", base / "var", first], base / "var")
    # The second simulator: the same seed drawn by the previous generator (no confounders, other marrow).
    other = r.data(["axspa", "phantom", "hip", "--generator", 2, "--n", n, "--seed", 303, "--out",
                    base / "generator2"], base / "generator2")
    for name in HIP_SETS:
        truth = {"test": test, "generator2": other}.get(name, var / name)
        pred = r.fresh(base / "pred" / name)
        r.run(["python", "Utilities/predict_hip_cases.py", truth, pred, "--model-dir", r.model_root], ok=(0, 1))
        r.evaluate(name, "hip", truth, pred)
    real = r.real_hip_data
    if not real.is_dir():
        r.not_run["real"] = r.not_run["semireal"] = f"{real} not found (the 8 real T1 pelvis series are not shipped)"
        return
    out = r.abs(base / "real.json")
    r.run(["python", "Utilities/check_hip_real_mri.py", real, "--model-dir", r.model_root, "--json", out], ok=(0, 1))
    r.outputs["real"] = json.loads(out.read_text())
    out = r.abs(base / "semireal.json")
    r.run(["python", "Utilities/check_hip_semireal.py", real, "--draws", 1 if r.quick else 3, "--model-dir",
           r.model_root, "--json", out])
    r.outputs["semireal"] = json.loads(out.read_text())["summary"]


def _hip_set(s: str) -> list[Figure]:
    return [Figure(f"{s}.evaluated", s, "evaluated", COUNT),
            Figure(f"{s}.head_dice", s, ("segments", HEAD, "dice_mean"), RATIO),
            Figure(f"{s}.lesion_dice", s, ("segments", "all lesions", "dice_mean"), RATIO),
            Figure(f"{s}.head_hd95_mm", s, ("segments", HEAD, "hd95_mm_mean"), MM),
            Figure(f"{s}.unet_spearman", s, "unet_score.spearman", RATIO),
            Figure(f"{s}.unet_icc21", s, "unet_score.icc21", RATIO),
            Figure(f"{s}.himriss_total_exact", s, "himriss_exact.total", HIPS),
            Figure(f"{s}.himriss_total_within2", s, "himriss_total.within_rate", HIPS),
            Figure(f"{s}.himriss_total_icc21", s, "himriss_total.icc21", RATIO),
            Figure(f"{s}.clean_sides", s, "clean_sides.clean_rate", HIPS),
            Figure(f"{s}.heads_found", s, "femoral_head.found", COUNT),
            Figure(f"{s}.heads_truth", s, "femoral_head.truth_heads", COUNT),
            Figure(f"{s}.sides_correct", s, "femoral_head.side_correct", COUNT)]


def _hip_segment(label: str) -> list[Figure]:
    key = "test.segment." + label.replace(" ", "_").replace("(", "").replace(")", "")
    return [Figure(f"{key}.dice_mean", "test", ("segments", label, "dice_mean"), RATIO),
            Figure(f"{key}.dice_n", "test", ("segments", label, "dice_n"), COUNT),
            Figure(f"{key}.dice_pooled", "test", ("segments", label, "dice_pooled"), RATIO),
            Figure(f"{key}.hd95_mm", "test", ("segments", label, "hd95_mm_mean"), MM),
            Figure(f"{key}.hd95_n", "test", ("segments", label, "hd95_n"), COUNT),
            Figure(f"{key}.volume_error_ml", "test", ("segments", label, "volume_error_ml_mean"), ML),
            Figure(f"{key}.volume_error_ml_abs", "test", ("segments", label, "volume_error_ml_mean_abs"), ML)]


def _real_hips(doc: dict) -> list[dict]:
    return [r for sides in doc.values() for r in sides.values()]


def _real_median_inside(doc: dict) -> Optional[float]:
    inside = sorted(r["inside_femur"] or 0.0 for r in _real_hips(doc))
    return inside[len(inside) // 2] if inside else None


HIP = Recipe("hip", ("hip-segmenter",), run_hip,
             [f for s in HIP_SETS for f in _hip_set(s)]
             + [Figure(f"test.himriss_exact.{k}", "test", ("himriss_exact", k), HIPS)
                for k in ("femoral_bme", "acetabular_bme", "effusion")]
             + [f for label in HIP_SEGMENTS for f in _hip_segment(label)]
             + [Figure("real.patients", "real", len, COUNT),
                Figure("real.both_heads_found", "real",
                       lambda d: sum(all(r["found"] for r in s.values()) for s in d.values()), COUNT),
                Figure("real.sides_correct", "real", lambda d: sum(r["side_correct"] for r in _real_hips(d)), COUNT),
                Figure("real.inside_femur_ge_0.9", "real",
                       lambda d: sum((r["inside_femur"] or 0) >= 0.9 for r in _real_hips(d)), COUNT),
                Figure("real.inside_femur_median", "real", _real_median_inside, RATIO)]
             + [Figure(f"semireal.{k}", "semireal", k, tol) for k, tol in
                (("dice_mean", RATIO), ("dice_pooled", RATIO), ("clean_ok_share", HIPS),
                 ("clean_predicted_ml_mean", ML), ("spearman_painted", RATIO), ("heads_found", COUNT))]
             + [Figure(f"real.patient{p:02d}.{side}.inside_femur", "real",
                       (f"patient{p:02d}", side, "inside_femur"), RATIO)
                for p in range(1, 9) for side in ("right", "left")])

# ---------------------------------------------------------------------------------------- sij (sacroiliitis)

# test: generator 2 at the held-out seed (0.4 mm films, a tenth photographed); painter: the other simulator at
# that seed; photos: every film photographed off a screen; full: full-size films (0.14-0.2 mm pixels).
SIJ_SETS = ("test", "painter", "photos", "full")
AUC = 0.01


def run_sij(r: Runner) -> None:
    q = r.quick
    base = r.work / ("quick" if q else "") / "sij"
    sets = {"test": ["--n", 6 if q else 200, "--seed", 303, "--size", "small"],
            "painter": ["--generator", 1, "--n", 6 if q else 200, "--seed", 303, "--size", "small"],
            "photos": ["--n", 6 if q else 100, "--seed", 505, "--size", "small", "--photo-fraction", 1],
            "full": ["--n", 4 if q else 30, "--seed", 606, "--photo-fraction", 0]}
    for name in SIJ_SETS:
        truth = r.data(["axspa", "phantom", "pelvis", *sets[name], "--out", base / name], base / name)
        pred = r.fresh(base / "pred" / name)
        r.run(["axspa", "sij", *_films(truth), "--model-dir", r.model_root / "sij-grader", "--out", pred],
              shown=f"axspa sij {r.shown([base / name])}/*.{{dcm,jpg}} --model-dir "
                    f"{r.shown([r.model_root / 'sij-grader'])} --out {r.shown([pred])}", ok=(0, 1))
        r.evaluate(name, "sij", truth, pred)


def _sij_set(s: str) -> list[Figure]:
    figures = [Figure(f"{s}.evaluated", s, "evaluated", COUNT),
               Figure(f"{s}.definite_auc", s, "definite.auc", AUC),
               Figure(f"{s}.definite_auc_direct", s, "definite.auc_direct", AUC),
               Figure(f"{s}.definite_accuracy", s, "definite.accuracy", RATIO),
               Figure(f"{s}.grade_accuracy", s, "grades.accuracy", RATIO),
               Figure(f"{s}.grade_within_one", s, "grades.within_one", RATIO),
               Figure(f"{s}.quadratic_kappa", s, "grades.quadratic_kappa", RATIO),
               Figure(f"{s}.joints_within_5mm", s, "joints.within_rate", RATIO),
               Figure(f"{s}.joint_distance_mm_median", s, "joints.distance_mm_median", MM),
               Figure(f"{s}.flagged_for_review", s, "review.rate", RATIO)]
    figures += [Figure(f"{s}.recall_grade{g}", s, ("grades", "recall", str(g)), RATIO) for g in range(5)]
    figures += [Figure(f"{s}.{op}.{k}", s, ("operating_points", op, k), RATIO)
                for op in ("sensitive", "balanced", "specific") for k in ("sensitivity", "specificity")]
    return figures


SIJ = Recipe("sij", ("sij-grader",), run_sij, [f for s in SIJ_SETS for f in _sij_set(s)]
             + [Figure("test.photo.definite_auc", "test", ("by_input", "photo", "definite", "auc"), AUC),
                Figure("test.dicom.definite_auc", "test", ("by_input", "dicom", "definite", "auc"), AUC)])

RECIPES: dict[str, Recipe] = {"spine-landmarks": SPINE, "spine-corners": SPINE, "hip-segmenter": HIP,
                              "sij-grader": SIJ}


# ---------------------------------------------------------------- bundles, figures, comparison

def bundle_fingerprint(folder: Path) -> str:
    """sha256 of what the figures depend on: the files bundle.json lists outside ``docs/`` (weights and
    configs), each hashed as it is on disk now, as sorted ``"path sha256"`` lines. The card and
    evaluation.json (docs/) are left out, so writing them does not change it; a retrained or modified
    model does."""
    info = json.loads((Path(folder) / "bundle.json").read_text())
    lines = [f"{rel} {sha256_file(Path(folder) / rel) if (Path(folder) / rel).is_file() else 'absent'}"
             for rel in sorted(info.get("files", {})) if not rel.startswith("docs/")]
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def measured_figures(recipe: Recipe, outputs: dict, not_run: dict) -> tuple[dict, dict]:
    """({name: {"value", "tolerance"}} of the figures measured, {name: reason} of those not run)."""
    figures, skipped = {}, {}
    for f in recipe.figures:
        if f.output in not_run:
            skipped[f.name] = not_run[f.output]
        else:
            figures[f.name] = {"value": f.value(outputs), "tolerance": f.tolerance}
    return figures, skipped


@dataclass
class Row:
    name: str
    card: Optional[float]
    measured: Optional[float]
    status: str  # ok, off, missing (measured lacks it), new (card lacks it), not run


def compare(committed: dict, measured: dict, not_run: Optional[dict] = None) -> list[Row]:
    """Rows of every figure of ``committed`` and ``measured`` ({name: {"value", "tolerance"}}); a figure is
    off when measured and card differ by more than the card's tolerance (or one of them is None), missing
    when not measured, new when the card lacks it, not run when ``not_run`` names it."""
    not_run = not_run or {}
    rows = []
    for name in list(committed) + [n for n in measured if n not in committed]:
        card = committed.get(name, {})
        got = measured.get(name, {})
        cv, mv = card.get("value"), got.get("value")
        if name in not_run:
            status = "not run"
        elif name not in committed:
            status = "new"
        elif name not in measured:
            status = "missing"
        elif cv is None or mv is None:
            status = "ok" if cv is None and mv is None else "off"
        else:
            tol = card.get("tolerance", got.get("tolerance", 0.0))
            status = "ok" if math.isclose(cv, mv, abs_tol=tol + 1e-9) or abs(cv - mv) <= tol + 1e-9 else "off"
        rows.append(Row(name, cv, mv, status))
    return rows


def failures(rows: Sequence[Row]) -> list[Row]:
    return [r for r in rows if r.status in ("off", "missing", "new")]


def format_rows(rows: Sequence[Row]) -> str:
    def f(v: Optional[float]) -> str:
        return "-" if v is None else f"{v:.4g}"

    width = max([len(r.name) for r in rows] + [6])
    lines = [f"{'figure':<{width}}  {'card':>10}  {'measured':>10}  status"]
    lines += [f"{r.name:<{width}}  {f(r.card):>10}  {f(r.measured):>10}  {r.status}" for r in rows]
    return "\n".join(lines)


def evaluation_document(bundle: str, folder: Path, recipe: Recipe, runner: Runner) -> dict:
    info = json.loads((folder / "bundle.json").read_text())
    figures, skipped = measured_figures(recipe, runner.outputs, runner.not_run)
    return {"bundle": bundle, "version": info.get("version"),
            "bundle_sha256": bundle_fingerprint(folder),
            "bundles_sha256": {b: bundle_fingerprint(folder.parent / b) for b in recipe.bundles},
            "commands": list(runner.commands), "figures": figures, "outputs": runner.outputs,
            "not_run": {**runner.not_run, **skipped}}


def stale_fingerprints(doc: dict, model_root: Path) -> list[str]:
    """Bundles whose weights or configs changed since ``doc`` (an evaluation.json) was written."""
    stale = []
    for b, sha in doc.get("bundles_sha256", {doc["bundle"]: doc["bundle_sha256"]}).items():
        folder = Path(model_root) / b
        if not (folder / "bundle.json").is_file() or bundle_fingerprint(folder) != sha:
            stale.append(b)
    return stale


def evaluate_models(bundles: Sequence[str], work: Path = DEFAULT_WORK, model_root: Path = DEFAULT_MODEL_ROOT,
                    write: bool = False, quick: bool = False,
                    write_card: Optional[Callable[[str, Path], None]] = None,
                    real_hip_data: Optional[Path] = None) -> int:
    """Run the recipes of ``bundles`` and write (``write``) or check their evaluation.json; exit status.
    ``write_card(bundle, folder)`` rebuilds the card from evaluation.json and re-hashes the bundle."""
    from axspa.bundles import read_bundle

    model_root = Path(model_root)
    if write and quick:
        raise ValueError("--quick never writes: its figures are of a few cases")
    unknown = [b for b in bundles if b not in RECIPES]
    if unknown:
        raise ValueError(f"no recipe for {', '.join(unknown)}; known: {', '.join(RECIPES)}")
    ran: dict[str, Runner] = {}
    status = 0
    for bundle in bundles:
        folder = model_root / bundle
        recipe = RECIPES[bundle]
        committed_path = folder / "docs" / "evaluation.json"
        committed = json.loads(committed_path.read_text()) if committed_path.is_file() else None
        print(f"== {bundle}", flush=True)
        if committed is None and not write and not quick:
            print(f"{bundle}: FAIL: no {committed_path} (run Utilities/evaluate_models.py {bundle} --write)")
            status = 1
            continue
        for b in recipe.bundles:
            read_bundle(b, model_root)  # every bundle the recipe runs, verified first (ModelCorruptError)
        if recipe.name not in ran:
            runner = Runner(work, model_root, quick=quick, real_hip_data=real_hip_data)
            recipe.run(runner)
            ran[recipe.name] = runner
        runner = ran[recipe.name]
        doc = evaluation_document(bundle, folder, recipe, runner)
        if write:
            committed_path.write_text(json.dumps(doc, indent=2) + "\n")
            if write_card is not None:
                write_card(bundle, folder)
            read_bundle(bundle, model_root)
            if bundle_fingerprint(folder) != doc["bundle_sha256"]:
                raise RuntimeError(f"{bundle}: re-hashing changed its weights or configs")
            print(f"{bundle}: wrote {committed_path} ({len(doc['figures'])} figures, "
                  f"{len(doc['not_run'])} not run), card rebuilt, bundle re-hashed")
            continue
        measured, not_run = doc["figures"], doc["not_run"]
        if quick:
            rows = compare(committed["figures"] if committed else {}, measured, not_run)
            print(format_rows(rows))
            print(f"{bundle}: --quick: {len(measured)} figures measured on a few cases, not checked")
            continue
        rows = compare(committed["figures"], measured, {**committed.get("not_run", {}), **not_run})
        print(format_rows(rows))
        bad = failures(rows)
        stale = stale_fingerprints(committed, model_root)
        for r in rows:
            if r.status == "not run":
                print(f"not run: {r.name} ({not_run.get(r.name) or committed.get('not_run', {}).get(r.name)})")
        if stale:
            print(f"{bundle}: FAIL: {', '.join(stale)} changed since evaluation.json was written (bundle_sha256)")
        if bad:
            print(f"{bundle}: FAIL: {len(bad)} figure(s) off or missing:")
            for r in bad:
                tol = committed["figures"].get(r.name, {}).get("tolerance")
                print(f"  {r.name}: card {r.card}, measured {r.measured}, tolerance {tol} ({r.status})")
        if bad or stale:
            status = 1
        else:
            print(f"{bundle}: OK ({sum(r.status == 'ok' for r in rows)} figures within tolerance)")
    return status
