"""What the two Slicer modules share about sample data and package installs, with neither Qt nor the
Slicer application (jobs, progress and cancel are in axspa/jobs.py, display text in each family's texts.py).

Everything Slicer-specific is passed in (the ``slicer`` module, confirmation and install callbacks,
the PyTorchUtils module), so this file imports nothing from Slicer and is tested with plain pytest:

- sample data: read ``Resources/SampleData/manifest.json`` into the arguments of
  ``SampleData.SampleDataLogic.registerCustomSampleDataSource`` (``file://`` URIs + SHA256 checksums);
- packages: find what is missing, ask before installing, install torch only through the PyTorch
  extension, never at module load and never into the extension's install folder; before a model runs,
  ``ensure_model_dependencies`` checks its bundles first and then asks for what is missing;
- cohorts: ``process_cohort_for`` is the modules' ``processCohort`` (axspa.batch in this process, plain
  values back), ``cohort_bundles`` the bundles to install torch and MONAI for first (loading a finished case
  into the scene is axspa.mrml.cohort);
- a module's Reload: ``forget_modules`` (what it needs to read its Lib and the engine again).

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
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Optional, Sequence

from axspa.image import InputError
from axspa.jobs import DependencyError
from axspa.results import sha256_file

MANIFEST_NAME = "manifest.json"
DEFAULT_CATEGORY = "AxSpA"
# Packages the model-backed paths need beyond torch (torch itself comes from the PyTorch extension).
MODEL_REQUIREMENTS: tuple[str, ...] = ("monai>=1.3",)
TORCH_REQUIREMENT = ">=2.0"


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

    def register_kwargs(self, register: Optional[Callable] = None) -> dict:
        """Keyword arguments for SampleData.SampleDataLogic.registerCustomSampleDataSource (``register``;
        by default the one of the running Slicer): ``loadFileTypes`` where it takes it (``loadFileType`` is
        deprecated there), ``loadFileType`` in the Slicer releases that know only that."""
        kwargs = {"category": self.category, "sampleName": self.sample_name, "uris": self.uri,
                  "fileNames": self.file_name, "nodeNames": self.node_name, "checksums": self.checksum,
                  load_file_types_keyword(register): self.load_file_type, "thumbnailFileName": self.thumbnail}
        if self.properties:
            kwargs["loadFileProperties"] = dict(self.properties)
        return kwargs


def load_file_types_keyword(register: Optional[Callable] = None) -> str:
    """``loadFileTypes`` when ``register`` (default: Slicer's registerCustomSampleDataSource) takes it,
    else ``loadFileType``."""
    import inspect

    if register is None:
        try:
            import SampleData  # only inside Slicer

            register = SampleData.SampleDataLogic.registerCustomSampleDataSource
        except (ImportError, AttributeError):
            return "loadFileType"
    try:
        parameters = inspect.signature(register).parameters
    except (TypeError, ValueError):
        return "loadFileType"
    return "loadFileTypes" if "loadFileTypes" in parameters else "loadFileType"


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
    else:
        question = (f"{requester} needs these Python packages, which are not installed:\n\n"
                    f"{chr(10).join(missing)}\n\nInstall them now? This may take a few minutes.")
        if not confirm(question):
            raise DependencyError(f"{requester} needs {', '.join(missing)}; installation was declined")
        install(" ".join(missing))
    # Success is what is installed now, not what the installer said: Slicer's pip_ensure returns without
    # installing anything in testing mode (Slicer 5.12), and an install can fail quietly.
    importlib.invalidate_caches()
    still = missing_requirements(missing, version_of)
    if still:
        raise DependencyError(f"{requester} needs {', '.join(still)}, which is still not installed after the "
                              f"installation step (Slicer in testing mode skips installs); install it from "
                              f"Slicer's Python console with slicer.util.pip_install")
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


def ensure_model_dependencies(slicer_module: Any, bundles: Sequence[str], requester: str,
                              model_dir: Optional[Path] = None) -> None:
    """Before a model runs in Slicer: check its bundles are installed (in ``model_dir`` when given; no point
    installing torch otherwise), then install torch (PyTorch extension) and the other packages, asking the
    user first. Raises axspa.bundles.ModelMissingError or axspa.jobs.DependencyError."""
    from axspa.bundles import find_bundle

    for name in bundles:
        find_bundle(name, model_dir)
    ensure_torch(lambda: importlib.import_module("PyTorchUtils"))
    ensure_packages(MODEL_REQUIREMENTS, confirm=slicer_module.util.confirmOkCancelDisplay,
                    install=slicer_module.util.pip_install, pip_ensure=find_pip_ensure(slicer_module),
                    requester=requester)


# ------------------------------------------------------------------------------------------------ cohorts

def process_cohort_for(jobs: Iterable[str], source: Any, out: Any, progress: Optional[Callable] = None,
                       cancel: Optional[Callable] = None, overwrite: bool = False, model_dir: Any = None,
                       threshold: float = 0.5, half_width: int = 7, min_area: float = 5.0,
                       trust_code: bool = False) -> dict:
    """Score the ``jobs`` cases of a manifest (CSV) or a folder (scanned) into ``out`` with
    axspa.batch.run.process_cohort: in this process, one case after another (no worker processes, no Dask,
    no tqdm). Cases of other jobs are listed in "planNotRun" as not selected.

    Returns {"scored": [case ids], "unchanged": [case ids done before with the same input, options and
    models], "failures": {case id: reason}, "planNotRun": [(path, status, reason)] (rows and files that do not
    run: failed, excluded, unassigned, ...), "summary" and "cohort" (paths of summary.csv and cohort.csv),
    "exitStatus" (1 when anything failed) and "text" (one line saying all that)}. ``cancel()`` returning True
    raises axspa.jobs.CancelledError between cases; the tables of the cases finished by then are written, and
    the same call again goes on from there (finished cases are not scored again)."""
    from axspa.batch.run import process_cohort
    from axspa.batch.work import Options

    if not source or not str(source).strip():
        raise InputError("Select a manifest (a CSV file) or a folder of images to score.")
    if not out or not str(out).strip():
        raise InputError("Select a folder for the batch's results.")
    options = Options(threshold=float(threshold), half_width=int(half_width), min_area=float(min_area),
                      model_dir=str(model_dir) if model_dir else None, trust_code=bool(trust_code))
    outcome = process_cohort(source, out, set(jobs), options, overwrite, progress, cancel)
    return {"scored": list(outcome.scored), "unchanged": list(outcome.unchanged),
            "failures": dict(outcome.failures),
            "planNotRun": [(line.path, line.status, line.reason) for line in outcome.plan.lines],
            "summary": str(outcome.out / "summary.csv"), "cohort": str(outcome.out / "cohort.csv"),
            "exitStatus": outcome.exit_status, "text": outcome.text()}


def cohort_bundles(jobs: Iterable[str], model_dir: Optional[Path] = None) -> list[str]:
    """The model bundles of those ``jobs`` whose bundles are all installed (in ``model_dir`` when given): what
    torch and MONAI are installed for before a cohort runs. A job missing a bundle is left out: its cases fail
    naming the bundle, and nothing is installed for it."""
    from axspa.batch.store import JOB_BUNDLES
    from axspa.bundles import ModelMissingError, find_bundle

    found: list[str] = []
    for job in dict.fromkeys(jobs):
        try:
            for name in JOB_BUNDLES[job]:
                find_bundle(name, model_dir)
        except ModelMissingError:
            continue
        found += [name for name in JOB_BUNDLES[job] if name not in found]
    return found


# ------------------------------------------------------------------------------------------ bundle code

def load_trusting(load: Callable[[bool], Any], confirm: Callable[[str], bool], trusted: set,
                  key: str = "") -> Any:
    """``load(trust_code)`` a model, asking before it may run a bundle's own code.

    Bundles are data passed between labs: ``load(False)`` raises axspa.bundles.BundleCodeError when a
    bundle would run code outside axspa/MONAI. Then ``confirm(reason)`` asks the user (``reason`` names the
    bundle and its code; the caller words and translates the question); yes loads with ``load(True)`` and
    remembers ``key`` (the model folder) in ``trusted`` so the question is not asked again this session;
    no raises BundleCodeError saying so (a ModelMissingError: the panels report it calmly)."""
    from axspa.bundles import BundleCodeError

    if key in trusted:
        return load(True)
    try:
        return load(False)
    except BundleCodeError as exc:
        reason = re.sub(r"\s*\([^()]*--trust-bundle-code[^()]*\)", "", str(exc))  # the command line's way
        if not confirm(reason):
            raise BundleCodeError(f"{reason}; you chose not to run its code") from exc
    trusted.add(key)
    return load(True)


PARAMETER_NAME_PROPERTY = "SlicerParameterName"  # the .ui property that binds a widget to a parameter


def connect_parameters_to_gui(parameter_node: Any, ui: Any) -> Any:
    """Bind every widget of ``ui`` (``slicer.util.childWidgetVariables``) that names a parameter and
    return the tag ``disconnectGui`` needs. ``connectGui`` returns None in Slicer 5.8, so a panel that
    used it could never disconnect and bound its widgets again on every enter."""
    mapping = {}
    for widget in vars(ui).values():
        name = widget.property(PARAMETER_NAME_PROPERTY) if hasattr(widget, "property") else None
        if name:
            mapping[str(name)] = widget
    return parameter_node.connectParametersToGui(mapping)


# ------------------------------------------------------------------------------------------------- reloading

def forget_modules(packages: Iterable[str], modules: Optional[dict] = None) -> list[str]:
    """Remove ``packages`` and their submodules from ``modules`` (``sys.modules``), so that the next import reads
    them from disk again: Slicer's Reload (and Reload and Test) re-runs only the module's own file, and would
    otherwise keep the module's Lib and the axspa engine as they were first imported. Returns the names removed."""
    modules = sys.modules if modules is None else modules
    packages = tuple(packages)
    names = [name for name in list(modules) if any(name == p or name.startswith(p + ".") for p in packages)]
    for name in names:
        del modules[name]
    return names
