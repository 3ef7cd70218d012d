"""The Hip Inflammation Logic's methods, as three mixins of HipInflammationLogic (so they are called as
``slicer.util.getModuleLogic("HipInflammation").process(...)``):

- ModelLogic loads the hip-segmenter model (installed, or a folder of the user's own), asking before a bundle
  runs its own code;
- ScoringLogic segments and scores: the console's process() and recompute(), the panel's segmentWithModel()
  and scoreSegmentation(), the output nodes of a volume, the user's edited segments and the export;
- CohortLogic scores a cohort's hip series as ``axspa batch`` does (processCohort) and loads a finished case
  into the scene (loadCase).

From the Python console:

    logic = slicer.util.getModuleLogic("HipInflammation")
    doc = logic.process(getNode("STIR"))              # model -> segments, tables, plot; the axspa.hip/1 document
    doc["sides"]["right"]["unet_score"]["gray_value"]
    # ... edit the segments in Segment Editor, then, with no model run:
    doc = logic.recompute(getNode("STIR"))
    logic.exportResults("/path/to/folder", getNode("STIR"), logic.outputNodes(getNode("STIR"))["segmentation"])
    batch = logic.processCohort("/data/cohort.csv", "/data/out")    # a cohort's hip series, as `axspa batch`
    case = logic.loadCase("/data/out", "P001-V1-hip")               # one scored case: STIR, segments, slices

process() and recompute() find the nodes an earlier run made for the same volume (node references) and
update them; segments the user edited are never overwritten (onEdited="keep" leaves them as they are,
"new" writes the model's segments into a new segmentation). modelDir is a folder of the user's own
bundle; a bundle that would run its own code is loaded only after the user agrees.

MRML classes and vtk only (plus slicer.i18n and slicer.util's confirmation), so it runs under slicer-core too.
"""

import logging
import os

import slicer
from slicer.i18n import tr as _

# Output parameters of the parameter node: (parameter name, node class, output kind).
OUTPUT_PARAMETERS = (("outputSegmentation", "vtkMRMLSegmentationNode", "segmentation"),
                     ("resultsTable", "vtkMRMLTableNode", "scores"), ("slicesTable", "vtkMRMLTableNode", "slices"),
                     ("plotChart", "vtkMRMLPlotChartNode", "plot"))


class ModelLogic:
    """The hip-segmenter model: its dependencies, loading it, and the user's consent to a bundle's own code
    (its folder then trusted for the session: ``_trustedModelDirs``)."""

    HIP_BUNDLES = ("hip-segmenter",)

    def ensureModelDependencies(self, modelDir=None) -> None:
        """Check the bundle is there, then install torch (PyTorch extension) and MONAI after asking."""
        from axspa.slicer.packages import ensure_model_dependencies, model_folder

        ensure_model_dependencies(slicer, self.HIP_BUNDLES, "Hip Inflammation", model_folder(modelDir))

    def loadModel(self, modelDir=None):
        """The hip-segmenter predictor (installed, or in ``modelDir``), asking before running a bundle's own code."""
        from axspa.bundles import load_predictor
        from axspa.slicer.packages import model_folder
        from axspa.slicer.trust import load_trusting

        return load_trusting(lambda trust: load_predictor(self.HIP_BUNDLES[0], model_folder(modelDir), trust),
                             self.confirmBundleCode, self._trustedModelDirs, str(modelDir or ""))

    def confirmBundleCode(self, reason: str) -> bool:
        """Ask the user whether a bundle may run its own code (BundleCodeError's reason)."""
        from axspa.slicer.trust import confirm_bundle_code

        return confirm_bundle_code(slicer, reason, _("Hip Inflammation"), _)


class ScoringLogic:
    """Segmenting and scoring the hips, from the console and from the panel (see the module docstring)."""

    # ---------------------------------------------------------------------------------------- console

    def process(self, volumeNode, segmentationNode=None, tableNode=None, modelDir=None, progress=None, cancel=None,
                onEdited: str = "keep", halfWidth: int = 7, minLesionAreaMm2: float = 5.0) -> dict:
        """Segment ``volumeNode`` with the model and score it; returns the axspa.hip/1 document. Output nodes
        not given (``tableNode`` is the per-slice table) are the ones an earlier run made for this volume, or new."""
        if volumeNode is None:
            raise ValueError(_("Select a coronal STIR volume."))
        self.ensureModelDependencies(modelDir)
        nodes = self.outputNodes(volumeNode, segmentation=segmentationNode, slices=tableNode)
        result = self.segmentWithModel(
            volumeNode, nodes["segmentation"], halfWidth, minLesionAreaMm2, nodes["scores"], progress, cancel,
            slicesTable=nodes["slices"], plotChart=nodes["plot"], modelDir=modelDir, onEdited=onEdited)
        self._log(result)
        self.showResults(volumeNode, result)
        return result["document"]

    def recompute(self, volumeNode, segmentationNode=None, tableNode=None, halfWidth: int = 7,
                  minLesionAreaMm2: float = 5.0) -> dict:
        """Score the segments as they are now (after edits; no model runs) into the nodes of this volume;
        returns the axspa.hip/1 document."""
        nodes = self.outputNodes(volumeNode, segmentation=segmentationNode, slices=tableNode)
        result = self.scoreSegmentation(volumeNode, nodes["segmentation"], halfWidth, minLesionAreaMm2,
                                        nodes["scores"], slicesTable=nodes["slices"], plotChart=nodes["plot"])
        self._log(result)
        self.showResults(volumeNode, result)
        return result["document"]

    def outputNodes(self, volumeNode, **given) -> dict:
        """{"segmentation", "scores", "slices", "plot"}: the nodes given, else those holding results of the volume."""
        from axspa.slicer.outputs import find_output

        return {kind: given.get(kind) or find_output(volumeNode, className, kind)
                for _name, className, kind in OUTPUT_PARAMETERS}

    # ------------------------------------------------------------------------------------------ panel

    def segmentWithModel(self, inputVolume, outputSegmentation=None, halfWidth: int = 7,
                         minLesionAreaMm2: float = 5.0, resultsTable=None, progress=None, cancel=None,
                         slicesTable=None, plotChart=None, modelDir=None, onEdited: str = "keep", model=None) -> dict:
        """Segment the hips with the model into ``outputSegmentation`` (or a new node under the input's study),
        then score them. Segments the user edited there are kept (``onEdited="keep"``, named in the warnings)
        or the model writes into a new node (``"new"``). Returns what scoreSegmentation returns."""
        from axspa.jobs import report
        from HipInflammationLib.scoring import segmentNodes

        if inputVolume is None:
            raise ValueError(_("Select a coronal STIR volume."))
        if onEdited not in ("keep", "new"):
            raise ValueError(f"onEdited must be 'keep' or 'new', not {onEdited!r}")
        if outputSegmentation is not None and onEdited == "new" and self.editedSegments(inputVolume,
                                                                                         outputSegmentation):
            outputSegmentation = None
        model = model or self.loadModel(modelDir)
        segmentation, kept = segmentNodes(inputVolume, model, outputSegmentation, progress, cancel)
        report(progress, 0.9, _("scoring"))
        result = self.scoreSegmentation(inputVolume, segmentation, halfWidth, minLesionAreaMm2, resultsTable,
                                        slicesTable=slicesTable, plotChart=plotChart)
        if kept:
            result["warnings"].insert(0, _("Segments you edited were kept (not replaced by the model's): ")
                                      + ", ".join(kept))
        report(progress, 1.0, _("done"))
        return result

    def scoreSegmentation(self, inputVolume, segmentationNode, halfWidth: int = 7,
                          minLesionAreaMm2: float = 5.0, resultsTable=None, slicesTable=None, plotChart=None) -> dict:
        """Scores of a hip segmentation as it is now, on the STIR volume (no model needed).

        Returns {"document": axspa.hip/1 dict, "segmentation", "table" (per side), "slices" (per slice),
        "plot" (nodes), "warnings": [str], "masks"}. Segments are matched to the hip segment names ignoring case.
        """
        from axspa.hip.scores import HipScoreConfig
        from HipInflammationLib.scoring import scoreNodes

        if inputVolume is None or segmentationNode is None:
            raise ValueError(_("Select the STIR volume and the hip segmentation to score."))
        config = HipScoreConfig(half_width=int(halfWidth), min_lesion_area_mm2=float(minLesionAreaMm2))
        return scoreNodes(inputVolume, segmentationNode, config, resultsTable, slicesTable, plotChart)

    def editedSegments(self, volumeNode, segmentationNode) -> list:
        """Hip segments of the segmentation that the user edited or drew (never overwritten by the model)."""
        from HipInflammationLib.nodes import editedSegments

        return editedSegments(segmentationNode, volumeNode)

    def exportResults(self, outputDir, volumeNode, segmentationNode=None, overwrite: bool = False, halfWidth: int = 7,
                      minLesionAreaMm2: float = 5.0, resultsTable=None, slicesTable=None, plotChart=None) -> dict:
        """Score the segments as they are now (updating the tables and plot) and write the files of
        ``axspa hip`` into ``outputDir``: hip.json, <stem>.slices.csv and <stem>.seg.nrrd. A file there that
        differs is kept unless ``overwrite``. Returns scoreSegmentation's dict plus "files" and "kept"."""
        from HipInflammationLib.export import checkOutputFolder, exportFiles

        checkOutputFolder(outputDir, self.installFolders())
        nodes = self.outputNodes(volumeNode, segmentation=segmentationNode, scores=resultsTable, slices=slicesTable,
                                 plot=plotChart)
        result = self.scoreSegmentation(volumeNode, nodes["segmentation"], halfWidth, minLesionAreaMm2,
                                        nodes["scores"], slicesTable=nodes["slices"], plotChart=nodes["plot"])
        result.update(exportFiles(outputDir, volumeNode, result["document"], result["masks"], overwrite,
                                  self.installFolders()))
        return result

    def installFolders(self) -> list:
        """Folders results are never written into: this module's, the engine's and its resources, Slicer's."""
        import axspa
        from axspa.bundles import shipped_models_dir

        # The module's folder: the one above this Lib folder (HipInflammation.py sits there).
        moduleFolder = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        folders = [moduleFolder, os.path.dirname(os.path.abspath(axspa.__file__)),
                   str(shipped_models_dir().parent)]
        app = getattr(slicer, "app", None)
        for attribute in ("slicerHome", "extensionsInstallPath"):
            value = getattr(app, attribute, None)
            if isinstance(value, str) and value:
                folders.append(value)
        return folders

    def showResults(self, volumeNode, result: dict) -> None:
        """The volume in the slice views and the plot in the layout (inside the Slicer application only)."""
        if not hasattr(getattr(slicer, "app", None), "layoutManager") or not hasattr(slicer, "modules"):
            return
        slicer.util.setSliceViewerLayers(background=volumeNode)
        slicer.modules.plots.logic().ShowChartInLayout(result["plot"])

    def _log(self, result: dict) -> None:
        for warning in result["warnings"]:
            logging.warning(f"Hip Inflammation: {warning}")


class CohortLogic:
    """A cohort from the console: its hip series scored as ``axspa batch`` scores them, in this process
    (axspa.slicer.cohort.process_cohort_for), and a finished case loaded into the scene (axspa.slicer.cohort)."""

    COHORT_JOBS = ("hip",)

    def processCohort(self, manifestOrFolder, outDir, progress=None, cancel=None, overwrite: bool = False,
                      modelDir=None, halfWidth: int = 7, minArea: float = 5.0, trustCode: bool = False) -> dict:
        """Score the hip cases of a manifest (CSV: case_id, patient_id, visit_date, job, path[, series_uid]) or
        of a folder (scanned: coronal STIR series) into ``outDir``: one folder per case (cases/<case_id>/) and
        summary.csv, cohort.csv, plan.csv (+ failures.csv). Cases already scored there with the same input,
        options and model are not scored again; files edited in a case folder are kept unless ``overwrite``.
        ``progress(fraction, message)`` hears each finished case; ``cancel()`` returning True stops the batch
        between cases with axspa.jobs.CancelledError (the tables then list the cases finished so far; the same
        call again goes on from there). ``halfWidth`` and ``minArea`` (mm2) are process()'s halfWidth and
        minLesionAreaMm2; ``trustCode`` lets a bundle in ``modelDir`` run its own code (as do model folders
        trusted earlier this session). torch and MONAI are installed first, after asking, when the bundle is
        there. Returns axspa.slicer.cohort.process_cohort_for's dict (scored, unchanged, failures, planNotRun,
        summary, cohort, exitStatus, text)."""
        from axspa.slicer.cohort import cohort_bundles, process_cohort_for
        from axspa.slicer.packages import model_folder

        if cohort_bundles(self.COHORT_JOBS, model_folder(modelDir)):
            self.ensureModelDependencies(modelDir)
        trusted = bool(trustCode) or str(modelDir or "") in getattr(self, "_trustedModelDirs", ())
        return process_cohort_for(self.COHORT_JOBS, manifestOrFolder, outDir, progress, cancel, overwrite,
                                  modelDir, half_width=halfWidth, min_area=minArea, trust_code=trusted)

    def loadCase(self, outDir, caseId) -> dict:
        """Load a case that processCohort (or ``axspa batch``) scored into ``outDir``: the STIR volume (a file,
        or the files of its DICOM series), its hip segmentation and per-slice table, under the volume's study.
        Returns {"volume", "segmentation", "slices", "markups", "table", "heatmap" (None: the hip job writes
        none of these three), "summary", "case"}; see axspa.slicer.cohort.load_case. InputError names the folder
        when the case was not scored there, or the input when it is gone."""
        from axspa.batch.run import case_outputs
        from axspa.slicer.cohort import application_util, load_case

        return load_case(case_outputs(outDir, caseId), application_util(slicer), slicer.mrmlScene)
