"""What the two Slicer modules share that needs neither Qt nor the Slicer application.

Everything Slicer-specific is passed in (the ``slicer`` module, confirmation and install callbacks,
the PyTorchUtils module), so this file imports nothing from Slicer and is tested with plain pytest:

- sample data: read ``Resources/SampleData/manifest.json`` into the arguments of
  ``SampleData.SampleDataLogic.registerCustomSampleDataSource`` (``file://`` URIs + SHA256 checksums);
- packages: find what is missing, ask before installing, install torch only through the PyTorch
  extension, never at module load and never into the extension's install folder;
- cancel flag and progress percentages for the panels' progress bar and Cancel button;
- display text for scores (mSASSS totals, sacroiliitis, hip results table rows).

Manifest format (the lead fills it; a missing file means no sample data)::

    {"samples": [{"name": "Phantom cervical spine", "module": "AxSpAScoring", "category": "AxSpA",
                  "file": "spine_cervical.dcm", "sha256": "<64 hex>", "node_name": "PhantomCervical",
                  "load_file_type": "VolumeFile", "thumbnail": "spine_cervical.png",
                  "properties": {"singleFile": true}}]}

``sha256`` may be left out; it is then computed from the file.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Optional, Sequence

from axspa.image import InputError
from axspa.models import ModelMissingError, sha256_file

MANIFEST_NAME = "manifest.json"
DEFAULT_CATEGORY = "AxSpA"
# Packages the model-backed paths need beyond torch (torch itself comes from the PyTorch extension).
MODEL_REQUIREMENTS: tuple[str, ...] = ("monai>=1.3",)
TORCH_REQUIREMENT = ">=2.0"


class DependencyError(RuntimeError):
    """A package the user asked for cannot be used: not installed, declined, or its installer is missing."""


# --------------------------------------------------------------------------------------------- sample data

@dataclass
class SampleSource:
    """One sample data set, as registerCustomSampleDataSource takes it."""

    category: str
    sample_name: str
    uri: str
    file_name: str
    checksum: str
    node_name: str
    load_file_type: str = "VolumeFile"
    thumbnail: Optional[str] = None
    properties: dict = field(default_factory=dict)

    def register_kwargs(self) -> dict:
        """Keyword arguments for SampleData.SampleDataLogic.registerCustomSampleDataSource."""
        kwargs = {"category": self.category, "sampleName": self.sample_name, "uris": self.uri,
                  "fileNames": self.file_name, "nodeNames": self.node_name, "checksums": self.checksum,
                  "loadFileType": self.load_file_type, "thumbnailFileName": self.thumbnail}
        if self.properties:
            kwargs["loadFileProperties"] = dict(self.properties)
        return kwargs


def find_resources_dir(module_file: str | Path, sub: str) -> Optional[Path]:
    """``Resources/<sub>`` for a module: beside the installed module (qt-scripted-modules/Resources)
    or, when run from the source tree, at the repository root one level up."""
    module_dir = Path(module_file).resolve().parent
    for base in (module_dir, module_dir.parent):
        candidate = base / "Resources" / sub
        if candidate.is_dir():
            return candidate
    return None


def read_sample_manifest(folder: str | Path | None, module: Optional[str] = None) -> list[SampleSource]:
    """Sample sources listed in ``folder/manifest.json`` (for one module when ``module`` is given).

    A missing folder or manifest gives an empty list; a listed file that is absent is skipped (a
    partial install must not break Slicer's startup); a malformed manifest raises InputError naming it.
    """
    if folder is None:
        return []
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        return []
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable JSON sample-data manifest ({exc})") from exc
    entries = doc.get("samples") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise InputError(f"{path}: expected an object with a 'samples' list")
    sources = []
    for number, entry in enumerate(entries, start=1):
        source = _sample_source(path, number, entry)
        if source is not None and (module is None or entry.get("module", module) == module):
            sources.append(source)
    return sources


def _sample_source(manifest: Path, number: int, entry: Any) -> Optional[SampleSource]:
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) or not entry.get("name"):
        raise InputError(f"{manifest}: sample {number} needs at least 'name' and 'file'")
    data = manifest.parent / entry["file"]
    if not data.is_file():
        return None
    digest = str(entry.get("sha256") or sha256_file(data)).lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise InputError(f"{manifest}: sample {number} ({entry['file']}): sha256 is not 64 hex digits")
    thumbnail = manifest.parent / entry["thumbnail"] if entry.get("thumbnail") else None
    return SampleSource(
        category=str(entry.get("category", DEFAULT_CATEGORY)), sample_name=str(entry["name"]),
        uri=data.resolve().as_uri(), file_name=data.name, checksum=f"SHA256:{digest}",
        node_name=str(entry.get("node_name") or Path(entry["file"]).name.split(".")[0]),
        load_file_type=str(entry.get("load_file_type", "VolumeFile")),
        thumbnail=str(thumbnail) if thumbnail is not None and thumbnail.is_file() else None,
        properties=dict(entry.get("properties") or {}))


# ------------------------------------------------------------------------------------------------ packages

_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(.*)$")


def _version_tuple(text: str) -> tuple[int, ...]:
    # Release part only ("2.13.0+cpu" -> (2, 13, 0)): enough for >= / == style minimums.
    parts = []
    for piece in re.split(r"[.+-]", text):
        digits = re.match(r"\d+", piece)
        if not digits:
            break
        parts.append(int(digits.group()))
    return tuple(parts)


def _satisfies(installed: str, spec: str) -> bool:
    try:
        from packaging.specifiers import SpecifierSet
        return SpecifierSet(spec).contains(installed, prereleases=True)
    except ImportError:
        pass
    have = _version_tuple(installed)
    for clause in filter(None, (c.strip() for c in spec.split(","))):
        op, version = re.match(r"(==|>=|<=|!=|>|<|~=)?\s*(.*)", clause).groups()
        want = _version_tuple(version)
        ok = {"==": have == want, ">=": have >= want, "<=": have <= want, "!=": have != want,
              ">": have > want, "<": have < want, "~=": have >= want}.get(op or "==", False)
        if not ok:
            return False
    return True


def missing_requirements(requirements: Iterable[str],
                         version_of: Callable[[str], str] = importlib.metadata.version) -> list[str]:
    """The requirement strings (``name>=x``) not satisfied by what is installed."""
    missing = []
    for requirement in requirements:
        match = _REQ.match(requirement)
        if not match:
            raise ValueError(f"not a package requirement: {requirement!r}")
        name, spec = match.group(1), match.group(2).split(";")[0].strip()
        try:
            installed = version_of(name)
        except importlib.metadata.PackageNotFoundError:
            missing.append(requirement)
            continue
        if spec and not _satisfies(installed, spec):
            missing.append(requirement)
    return missing


def find_pip_ensure(slicer_module: Any) -> Optional[Callable]:
    """Slicer's own ``pip_ensure`` where this Slicer has one (newer releases), else None."""
    for name in ("packaging", "pydeps", "util"):
        owner = getattr(slicer_module, name, None)
        if owner is None:
            try:
                owner = importlib.import_module(f"{slicer_module.__name__}.{name}")
            except (ImportError, AttributeError):
                continue
        func = getattr(owner, "pip_ensure", None)
        if callable(func):
            return func
    return None


def ensure_packages(requirements: Sequence[str], *, confirm: Callable[[str], bool],
                    install: Callable[[str], Any], pip_ensure: Optional[Callable] = None,
                    requester: str = "AxSpA",
                    version_of: Callable[[str], str] = importlib.metadata.version) -> list[str]:
    """Install the missing ``requirements`` after asking; returns what was installed.

    Uses Slicer's ``pip_ensure`` when given (it asks the user itself), else asks through ``confirm``
    and calls ``install`` (slicer.util.pip_install) once with all of them. Raises DependencyError
    when the user declines, so the caller can show one clear message and stop.
    """
    missing = missing_requirements(requirements, version_of)
    if not missing:
        return []
    if pip_ensure is not None:
        try:
            from packaging.requirements import Requirement
            pip_ensure([Requirement(r) for r in missing], requester=requester)
        except RuntimeError as exc:  # pip_ensure raises RuntimeError when the user declines
            raise DependencyError(f"{requester} needs {', '.join(missing)}: {exc}") from exc
        return missing
    question = (f"{requester} needs these Python packages, which are not installed:\n\n"
                f"{chr(10).join(missing)}\n\nInstall them now? This may take a few minutes.")
    if not confirm(question):
        raise DependencyError(f"{requester} needs {', '.join(missing)}; installation was declined")
    install(" ".join(missing))
    return missing


def ensure_torch(import_pytorch_utils: Callable[[], Any], version: str = TORCH_REQUIREMENT) -> None:
    """Make sure torch is installed, through the PyTorch extension after asking when it is missing.

    ``import_pytorch_utils`` returns the PyTorchUtils module (``lambda: importlib.import_module(
    "PyTorchUtils")`` inside Slicer); torch is never pip-installed directly because the right build
    (CPU/CUDA) is what the PyTorch extension chooses. torch itself is imported later by the model code.
    """
    try:
        utils = import_pytorch_utils()
    except ImportError as exc:
        raise DependencyError("the model needs PyTorch: install the 'PyTorch' extension from the "
                              "Extensions Manager and restart Slicer") from exc
    if utils.PyTorchUtilsLogic.torchInstalled():
        return
    torch = utils.PyTorchUtilsLogic().installTorch(askConfirmation=True, torchVersionRequirement=version)
    if torch is None:
        raise DependencyError("PyTorch was not installed, so the model cannot run")


# ------------------------------------------------------------------------------------ cancel and progress

class CancelFlag:
    """Set by the panel's Cancel button, read by the engine's ``cancel`` callback."""

    def __init__(self) -> None:
        self._set = False

    def cancel(self) -> None:
        self._set = True

    def reset(self) -> None:
        self._set = False

    @property
    def is_set(self) -> bool:
        return self._set

    def __call__(self) -> bool:
        return self._set


@dataclass
class JobOutcome:
    """How a model-backed job ended: its result, or cancelled, or why no model could run."""

    result: Any = None
    cancelled: bool = False
    unavailable: Optional[str] = None


def run_model_job(job: Callable[[], Any]) -> JobOutcome:
    """Run ``job``; Cancel and a missing model or declined package install are outcomes the panel
    shows calmly, not errors (any other exception propagates to Slicer's error display)."""
    from axspa.pipeline import CancelledError

    try:
        return JobOutcome(result=job())
    except CancelledError:
        return JobOutcome(cancelled=True)
    except (ModelMissingError, DependencyError) as exc:
        return JobOutcome(unavailable=str(exc))


def progress_percent(fraction: float) -> int:
    """A progress bar value 0-100 from the engine's fraction (clamped; NaN counts as 0)."""
    if fraction != fraction:  # NaN
        return 0
    return int(round(100 * min(1.0, max(0.0, float(fraction)))))


def scaled_progress(progress: Optional[Callable[[float, str], None]], start: float,
                    stop: float) -> Callable[[float, str], None]:
    """Map a step's 0-1 progress into [start, stop] of the whole job (two images, one bar)."""
    def relay(fraction: float, message: str) -> None:
        if progress is not None:
            progress(start + (stop - start) * min(1.0, max(0.0, fraction)), message)
    return relay


# -------------------------------------------------------------------------------------------- display text

def _number(value: Optional[float]) -> str:
    if value is None:
        return "-"
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:.1f}"


def segment_text(segment: Mapping[str, Any]) -> str:
    """'raw 5, score 5.5 (imputed: C3s)' or 'missing (raw 2; more than 3 sites unscorable)'."""
    if segment.get("missing") or segment.get("imputed") is None:
        return f"missing (raw {_number(segment.get('raw'))}; more than 3 sites unscorable or not read)"
    text = f"raw {_number(segment.get('raw'))}, score {_number(segment.get('imputed'))}"
    if segment.get("imputed_sites"):
        text += f" (imputed: {', '.join(segment['imputed_sites'])})"
    return text


def msasss_summary(score: Mapping[str, Any]) -> dict[str, str]:
    """Label texts for a ``TotalScore.to_dict()``: cervical, lumbar, total, imputed_sites."""
    imputed = [*score["cervical"].get("imputed_sites", []), *score["lumbar"].get("imputed_sites", [])]
    total = score.get("total")
    return {"cervical": segment_text(score["cervical"]), "lumbar": segment_text(score["lumbar"]),
            "total": (f"{_number(total)} / 72" if total is not None
                      else "missing (needs both segments scored)"),
            "imputed_sites": ", ".join(imputed) if imputed else "none"}


MNY_TEXT = {0: "0 normal", 1: "1 suspicious", 2: "2 minimal", 3: "3 unequivocal", 4: "4 ankylosis"}


def sij_summary(doc: Mapping[str, Any]) -> dict[str, str]:
    """Label texts for an ``axspa.sij/1`` document: right, left, definite."""
    texts = {}
    for side in ("right", "left"):
        grade = doc["sides"][side]["grade"]
        p = doc["sides"][side].get("grade_probabilities") or []
        confidence = f" (p={max(p):.2f})" if p else ""
        texts[side] = MNY_TEXT.get(grade, str(grade)) + confidence
    probability = doc.get("definite_probability")
    texts["definite"] = ("yes" if doc["definite"] else "no") + (
        f" (P(definite)={probability:.2f})" if probability is not None else "")
    return texts


HIP_TABLE_COLUMNS: tuple[str, ...] = ("Measure", "Right", "Left")


def hip_result_rows(sides: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    """Rows (Measure, Right, Left) of the hip results table from ``hip_scores`` output."""
    right, left = sides["right"], sides["left"]

    def both(get: Callable[[Mapping[str, Any]], Any], fmt: str = "{:.3f}") -> tuple[str, str]:
        return tuple(_fmt(get(s), fmt) for s in (right, left))

    rows = [["Femoral head found", *both(lambda s: "yes" if s["femoral_head_found"] else "no", "{}")],
            ["Scoring slices", *both(lambda s: _slice_range(s["scoring_slices"]), "{}")],
            ["UNet-score (gray value)", *both(lambda s: s["unet_score"]["gray_value"])],
            ["UNet-score (area fraction)", *both(lambda s: s["unet_score"]["area_fraction"])]]
    for region, label in (("femoral BME", "Femoral BME"), ("acetabular BME", "Acetabular BME"),
                          ("effusion-synovitis", "Effusion-synovitis")):
        rows.append([f"{label} volume (mL)",
                     *both(lambda s, r=region: _lesion_volume(s["lesion_volume_ml"], r), "{:.2f}")])
    for key, label in (("femoral_bme", "femoral BME"), ("acetabular_bme", "acetabular BME"),
                       ("effusion", "effusion-synovitis"), ("total", "total")):
        rows.append([f"HIMRISS-style slices, {label}", *both(lambda s, k=key: s["himriss"][k], "{}")])
    return rows


def _fmt(value: Any, fmt: str) -> str:
    return "-" if value is None else fmt.format(value)


def _slice_range(slices: Sequence[int]) -> str:
    return f"{min(slices)}-{max(slices)} ({len(slices)})" if slices else "none"


def _lesion_volume(volumes: Mapping[str, float], region: str) -> Optional[float]:
    # Keys are the segment names of that side ('Right femoral BME'); match by region suffix.
    for name, value in volumes.items():
        if name.lower().endswith(region.lower()):
            return float(value)
    return None


def hip_summary(sides: Mapping[str, Mapping[str, Any]]) -> str:
    """One line per side: UNet-score and HIMRISS-style total, or why the side was not scored."""
    lines = []
    for side in ("right", "left"):
        s = sides[side]
        if not s["femoral_head_found"]:
            lines.append(f"{side.capitalize()}: not scored ({s.get('reason') or 'no femoral head'})")
            continue
        lines.append(f"{side.capitalize()}: UNet-score {s['unet_score']['gray_value']:.3f}, "
                     f"HIMRISS-style total {s['himriss']['total']}")
    return "\n".join(lines)


def match_hip_segments(masks: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Masks keyed by the canonical hip segment names, matched case- and space-insensitively (a user
    may type 'right femoral head'), and the names that match none (ignored, reported to the user)."""
    from axspa.segments import HIP_SEGMENTS

    canonical = {" ".join(s.name.lower().split()): s.name for s in HIP_SEGMENTS}
    matched: dict[str, Any] = {}
    ignored: list[str] = []
    for name, mask in masks.items():
        key = canonical.get(" ".join(str(name).lower().split()))
        if key is None or key in matched:
            ignored.append(name)
        else:
            matched[key] = mask
    return matched, ignored
