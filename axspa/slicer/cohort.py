"""A case of a cohort batch (``axspa batch``, the modules' ``processCohort``) loaded into the scene: what both
modules' ``loadCase`` does with ``axspa.batch.run.case_outputs(out, case_id)``.

``load_case(outputs, slicer_util, scene)`` reads the case's input (a radiograph or volume file, or the files of
its DICOM series) and the files the batch wrote into nodes. With ``slicer_util`` (Slicer's ``slicer.util``,
when the application can read files: see ``application_util``) the application's readers load them (display
defaults, DICOM as Add Data reads it); without it MRML storage nodes read them into ``scene`` (what the
slicer-core wheel has). Output nodes go under the input's study (axspa.slicer.hierarchy.place_under_study).

Running the batch: ``process_cohort_for`` is the modules' ``processCohort`` (axspa.batch in this process, plain
values back), ``cohort_bundles`` the bundles to install torch and MONAI for first. The batch code is imported
inside those two functions only, so loading a case costs no batch import.

``slicer`` is imported inside functions, as everywhere in axspa.slicer; nothing here needs Qt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from axspa.image import InputError

# What load_case returns besides the volume, in the order loaded: key -> (kind in case_outputs' files, label
# of the node's name after the case id).
OUTPUT_NODES = (("markups", "markups", "sites"), ("table", "table", "site table"),
                ("segmentation", "segmentation", "segmentation"), ("slices", "slices", "slices"),
                ("heatmap", "heatmap", "heat map"))


# ------------------------------------------------------------------------------------------------ a case

def application_util(slicer_module: Any) -> Any:
    """``slicer_module.util`` when the Slicer application is there to read files (its IO manager), else None:
    load_case then reads through MRML storage nodes (slicer-core, the tests)."""
    app = getattr(slicer_module, "app", None)
    return slicer_module.util if hasattr(app, "coreIOManager") else None


def load_case(outputs: dict, slicer_util: Any = None, scene: Any = None) -> dict:
    """Load a finished case into the scene: ``outputs`` is what axspa.batch.run.case_outputs returns for it
    ({"case", "summary", "files": {kind: path}}). Its input (a radiograph or volume file, or the files of its
    DICOM series) and what the batch wrote (control points, site table, segmentation, per-slice table, heat
    map) are read, the outputs placed under the input's study.

    Returns {"volume": node, "markups", "table", "segmentation", "slices", "heatmap": node or None (what the
    case's job does not write is None), "summary": the case's summary (its row of summary.csv), "case": the
    case as planned (path, job, patient, visit, series UID)}. Nodes are named after the case id. Raises
    InputError naming the input when it is not there any more, or a file that cannot be read."""
    from axspa.slicer.hierarchy import place_under_study

    case, files = outputs["case"], outputs["files"]
    case_id = case["case_id"]
    if slicer_util is not None:
        readers: Any = _ApplicationReaders(slicer_util)
    else:
        if scene is None:
            import slicer

            scene = slicer.mrmlScene
        readers = _StorageReaders(scene)
    volume = _load_input(case, readers, case_id)
    result: dict = {"volume": volume}
    for key, kind, label in OUTPUT_NODES:
        path = files.get(kind)
        node = getattr(readers, kind)(path, f"{case_id} {label}") if path else None
        if node is not None:
            place_under_study(volume.GetScene(), node, volume)
        result[key] = node
    result["summary"] = dict(outputs["summary"])
    result["case"] = dict(case)
    return result


def _load_input(case: dict, readers: Any, name: str) -> Any:
    path = Path(case["path"])
    if not path.exists():
        raise InputError(f"{path}: the input of case {case['case_id']!r} is not there any more (moved or "
                         "deleted since the batch scored it)")
    if path.is_dir():
        files = series_files(path, case.get("series_uid") or "")
        return readers.volume(files[0], name, files)
    return readers.volume(str(path), name)


def series_files(folder: Path, series_uid: str) -> list[str]:
    """The DICOM files of series ``series_uid`` under ``folder`` (headers read without pixels); with no UID,
    those of the folder's only series. InputError when the series is not there."""
    from axspa.io.volume import list_series

    series = list_series(folder)
    chosen = [s for s in series if s.uid == series_uid] if series_uid else series if len(series) == 1 else []
    if not chosen:
        found = "; ".join(s.describe() for s in series) or "no DICOM series"
        wanted = f"series {series_uid}" if series_uid else "one DICOM series"
        raise InputError(f"{folder}: {wanted} not found there (found: {found})")
    return [str(p) for p in chosen[0].files]


class _ApplicationReaders:
    """The Slicer application's readers (slicer.util.load*): as Add Data loads the files."""

    def __init__(self, util: Any) -> None:
        self.util = util

    def volume(self, path: str, name: str, files: Optional[list[str]] = None, show: bool = True) -> Any:
        # One file is one image (a radiograph in a folder of other films); a series is the files listed.
        properties: dict = {"name": name, "singleFile": files is None, "show": show}
        if files is not None:
            properties["fileNames"] = list(files)
        return self.util.loadVolume(path, properties)

    def heatmap(self, path: str, name: str) -> Any:
        return self.volume(path, name, show=False)  # the radiograph stays in the slice views

    def markups(self, path: str, name: str) -> Any:
        return _named(self.util.loadMarkups(path), name)

    def table(self, path: str, name: str) -> Any:
        return _named(self.util.loadTable(path), name)

    slices = table

    def segmentation(self, path: str, name: str) -> Any:
        return _named(self.util.loadSegmentation(path), name)


class _StorageReaders:
    """MRML storage nodes reading into new nodes of ``scene`` (no application needed)."""

    def __init__(self, scene: Any) -> None:
        self.scene = scene

    def volume(self, path: str, name: str, files: Optional[list[str]] = None) -> Any:
        def setup(storage: Any) -> None:
            storage.SetSingleFile(0 if files else 1)
            if files:
                storage.ResetFileNameList()
                for file in files:
                    storage.AddFileName(file)

        # A colour image (a photo of a film) reads into a vector volume, as Slicer's volume reader does.
        for node_class in ("vtkMRMLScalarVolumeNode", "vtkMRMLVectorVolumeNode"):
            try:
                return self._read(node_class, "vtkMRMLVolumeArchetypeStorageNode", path, name, setup)
            except InputError:
                continue
        raise InputError(f"{path}: could not be read as a volume"
                         + (f" (DICOM series of {len(files)} files)" if files else ""))

    def heatmap(self, path: str, name: str) -> Any:
        return self.volume(path, name)

    def markups(self, path: str, name: str) -> Any:
        return self._read("vtkMRMLMarkupsFiducialNode", "vtkMRMLMarkupsJsonStorageNode", path, name)

    def table(self, path: str, name: str) -> Any:
        return self._read("vtkMRMLTableNode", "vtkMRMLTableStorageNode", path, name)

    slices = table

    def segmentation(self, path: str, name: str) -> Any:
        return self._read("vtkMRMLSegmentationNode", "vtkMRMLSegmentationStorageNode", path, name)

    def _read(self, node_class: str, storage_class: str, path: str, name: str,
              setup: Optional[Callable[[Any], None]] = None) -> Any:
        from axspa.slicer import ensure_node_class

        ensure_node_class(self.scene, storage_class)
        node = self.scene.AddNewNodeByClass(node_class, name)
        storage = self.scene.AddNewNodeByClass(storage_class)
        storage.SetFileName(str(path))
        if setup is not None:
            setup(storage)
        if not storage.ReadData(node):
            self.scene.RemoveNode(node)
            self.scene.RemoveNode(storage)
            raise InputError(f"{path}: could not be read (as {node_class})")
        node.SetAndObserveStorageNodeID(storage.GetID())
        node.SetName(name)  # some readers name the node after the file
        if hasattr(node, "CreateDefaultDisplayNodes"):
            node.CreateDefaultDisplayNodes()
        return node


def _named(node: Any, name: str) -> Any:
    if node is not None:
        node.SetName(name)
    return node


# ------------------------------------------------------------------------------ running a cohort

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
