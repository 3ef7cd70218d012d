"""The AxSpA Scoring Logic's methods, as three mixins of AxSpAScoringLogic (so they are called as
``slicer.util.getModuleLogic("AxSpAScoring").newReading(...)``):

- ReadingLogic needs no model: a site table re-scored, a manual reading (new, graded, saved), the result
  exported in the command line's files, and the comparison with a reader's grades;
- ModelLogic scores with the models: the spine (landmarks and corner findings) and the sacroiliac joints;
- CohortLogic scores a cohort's spine and pelvis films as ``axspa batch`` does (processCohort) and loads a
  finished case into the scene (loadCase).

From the Python console:

    logic = slicer.util.getModuleLogic("AxSpAScoring")
    result = logic.process(getNode("cspine"), region="auto")        # models -> control points + table
    result = logic.process(cspine, otherVolume=lspine)               # a cervical + lumbar visit: study total
    score = logic.rescoreFromTable(result["table"])                  # after typing grades into the table
    logic.regradeMovedSites(cspine, result["markups"][0], result["table"])  # after moving control points
    logic.exportResults("/tmp/out", cspine, result["markups"][0], result["table"])
    reading = logic.newReading(cspine, "cervical", reader="R1", study="P01-V1")  # by hand, no model
    indices = logic.computeClinicalIndices({"basdai_q1": 5, "crp": 12.0}, cspine)  # ASDAS, BASDAI, BASFI
    score = logic.setSiteGrade(reading["table"], "C4i", 2)           # or logic.setSiteFinding(..., "bridging")
    logic.saveReading("/tmp/reading", cspine, reading["table"], reading["markups"][0])
    doc, heat = logic.scorePelvis(pelvis)                             # sacroiliac grades, heat map, joint points
    doc, heat = logic.regradePelvisAtPoints(pelvis)                   # after moving "right SIJ" / "left SIJ"
    batch = logic.processCohort("/data/cohort.csv", "/data/out")    # a cohort, as `axspa batch` scores it
    case = logic.loadCase("/data/out", "P001-V1-lumbar")            # one scored case: film, points, table

process() returns scoreSpine's dict (documents, markups, table, score, warnings) and creates or updates
the nodes: the markups and the table an earlier run made for the same radiograph (found through their
node references, axspa.slicer.outputs) are reused. What the user edited there is never overwritten:
points moved, placed or locked keep their position (and are re-graded where they are), grades typed
into the table are kept and marked "reader" in its source column. overwrite=True replaces the moved
points and typed grades with the models' (locked points are still kept). modelDir is a folder of the
user's own bundles; a bundle that would run its own code is loaded only after the user agrees.

MRML classes and vtk only (plus slicer.i18n and slicer.util's confirmation), so it runs under slicer-core too.
"""

import slicer
from slicer.i18n import tr as _


def _dicomDatabase():
    """Slicer's DICOM database, when the application has one open."""
    return getattr(slicer, "dicomDatabase", None)


class ReadingLogic:
    """Scoring and saving what the site table holds, whoever graded it (see the module docstring)."""

    def exportResults(self, outputDir, inputVolume, outputMarkups, outputTable, otherVolume=None, otherMarkups=None,
                      overwrite: bool = False) -> dict:
        """Write the command line's files (axspa spine) of the result as it stands in the nodes: moved points,
        typed grades (with "source": "reader") and re-graded sites included. <stem>.spine.json, .mrk.json and
        .sites.csv per radiograph, study.json for a cervical + lumbar pair. A file in outputDir that differs
        is kept unless ``overwrite`` (listed in "kept"). Returns {"documents", "study", "files", "kept"}. A manual
        reading is written as saveReading writes it, without its reading table."""
        from AxSpAScoringLib.export import exportResults
        from AxSpAScoringLib.reading import readingInfo

        if not outputDir:
            raise ValueError(_("Select a folder to export to."))
        if inputVolume is None or outputTable is None:
            raise ValueError(_("Score a radiograph first: there is no result to export."))
        reading = readingInfo(outputTable)
        regions = (reading or {}).get("regions") or []
        pairs = [(inputVolume, outputMarkups)]
        if otherVolume is not None and (otherMarkups is not None or len(regions) > 1):
            pairs.append((otherVolume, otherMarkups))
        return exportResults(outputDir, pairs, outputTable, overwrite, _dicomDatabase(), regions or None, reading)

    def rescoreFromTable(self, tableNode) -> dict:
        """mSASSS (TotalScore.to_dict()) of the grades in a site table, e.g. after the user edited them.
        Grades that differ from the models' are marked "reader" in the table's source column."""
        from axspa.image import InputError
        from axspa.slicer.tables import mark_grade_sources, table_to_grades
        from axspa.spine.rules import total_score
        from AxSpAScoringLib.reading import isEmptyTable

        if tableNode is None:
            raise ValueError(_("Select the table that holds the site grades."))
        if isEmptyTable(tableNode):
            raise InputError(_("The table '{name}' lists no sites yet. Press 'New reading' to fill it with the "
                               "sites of the region (C2i ... T1s or T12i ... S1s), then choose a grade per site; "
                               "or 'Score with model'.").format(name=tableNode.GetName()))
        score = total_score(table_to_grades(tableNode)).to_dict()
        mark_grade_sources(tableNode)
        return score

    # ------------------------------------------------------------------------------ a manual reading

    def newReading(self, inputVolume, region: str, reader: str = "", study: str = "", otherVolume=None,
                   points: bool = True, outputTable=None, outputMarkups=None, otherMarkups=None) -> dict:
        """Start a reading by hand, without any model: the site table of ``region`` (with ``otherVolume``, the
        other region's too: 24 sites) for ``reader`` and ``study`` (default: the radiograph's name) and, with
        ``points``, one point list per radiograph whose next placed points are labelled C2i, C3s, ... in order.
        Nodes given are reused only when empty. Returns {"table", "markups": [nodes], "regions"}."""
        from AxSpAScoringLib.reading import newReading

        if inputVolume is None:
            raise ValueError(_("Select the radiograph to read."))
        if region not in ("cervical", "lumbar"):
            raise ValueError(_("A new reading needs the region of the radiograph: choose cervical or lumbar."))
        return newReading(inputVolume, region, reader or "", study or "", otherVolume, points, outputTable,
                          outputMarkups, otherMarkups)

    def setSiteGrade(self, tableNode, site: str, grade) -> dict:
        """The grade a reader chose for a site (0-3, None = unscorable, "" = not graded); returns the new score."""
        from AxSpAScoringLib.reading import setSiteGrade

        setSiteGrade(tableNode, site, grade)
        return self.rescoreFromTable(tableNode)

    def setSiteFinding(self, tableNode, site: str, finding: str, present: bool = True, threshold: float = 0.5) -> dict:
        """Tick (or untick) a finding of a site: its grade follows the rules (a disc partner's too for bridging);
        returns the new score."""
        from AxSpAScoringLib.reading import setSiteFinding

        setSiteFinding(tableNode, site, finding, present, threshold)
        return self.rescoreFromTable(tableNode)

    def saveReading(self, outputDir, inputVolume, outputTable, outputMarkups=None, otherVolume=None,
                    otherMarkups=None, reader=None, study=None, readerTable=None, overwrite: bool = False) -> dict:
        """Write a reading as the command line writes a result (<stem>.spine.json, .mrk.json, .sites.csv per
        radiograph, study.json for a pair) and <study>.reading.csv (study, reader, site, grade), what axspa
        msasss, agree scores, progression and train read; with ``readerTable`` (a CSV path) the study is also
        added to that reader's table. A file that differs is kept unless ``overwrite`` (listed in "kept").
        Returns exportResults' dict plus "reading" (the reading table's path) and "not_graded" (sites)."""
        from AxSpAScoringLib.reading import readingInfo, saveReading

        if not outputDir:
            raise ValueError(_("Select a folder to save the reading to."))
        if inputVolume is None or outputTable is None:
            raise ValueError(_("Start a reading first ('New reading'): there is nothing to save."))
        reading = dict(readingInfo(outputTable) or {}, **{k: v for k, v in (("reader", reader), ("study", study)) if v})
        regions = reading.get("regions") or []
        pairs = [(inputVolume, outputMarkups)]
        if otherVolume is not None and (len(regions) > 1 or otherMarkups is not None):
            pairs.append((otherVolume, otherMarkups))
        return saveReading(outputDir, pairs, outputTable, reading, overwrite, _dicomDatabase(), readerTable)

    def computeClinicalIndices(self, values: dict, inputVolume=None, outputTable=None) -> dict:
        """ASDAS-CRP/ESR with their disease-activity states, BASDAI, BASFI and the high-risk flags of one visit from
        the values entered (axspa.clinical_panel.clinical_indices: keys basdai_q1 ... basdai_q6, basfi_1 ...
        basfi_10, crp, esr, back_pain, patient_global, peripheral; None = not given), written into the "Clinical
        indices" table (outputTable, else the one of inputVolume, else a new one under its study) that Export
        saves as clinical.csv and clinical.json. Returns {"document", "text" (what the panel shows), "table"}.
        Raises axspa.image.InputError for a value off its scale."""
        from axspa.clinical_panel import panel_indices
        from AxSpAScoringLib.clinical import writeClinicalTable

        document, text = panel_indices(values)
        table = writeClinicalTable(slicer.mrmlScene, document, inputVolume, outputTable)
        return {"document": document, "text": text, "table": table}

    def compareWithReader(self, resultTable, readerCsvPath, outputTable=None, markups=(), study=None) -> dict:
        """Compare the grades of a site table with a reader's CSV (site,grade or the finding columns).

        Writes the disagreement table ("mSASSS disagreements": site, ours, reader, difference, agree;
        disagreeing sites first), reusing outputTable when given, and highlights the disagreeing control
        points of the given markups nodes. Returns the counts ("n_compared", "n_agree", "exact_agreement",
        "disagreeing_sites", "reader_total", "our_total", ...; see axspa.spine.agreement.compare_grades)
        with "table" and "marked". ``study`` picks one study of a reader-study table (study, site, grade).
        Raises axspa.image.InputError naming the file for a bad CSV.
        """
        from axspa.spine.readings import read_reading_table
        from AxSpAScoringLib.compare import compareWithReaderGrades

        if not readerCsvPath:
            raise ValueError(_("Select the reader's CSV file."))
        grades = read_reading_table(readerCsvPath, study=study)
        return compareWithReaderGrades(resultTable, grades, str(readerCsvPath), outputTable, markups)

    def compareWithReaderTable(self, resultTable, readerTableNode, outputTable=None, markups=(), study=None) -> dict:
        """As compareWithReader, with the reader's grades in a table node (columns site, grade; study picks one
        study of a table with a study column)."""
        from AxSpAScoringLib.compare import compareWithReaderGrades, readerGradesFromTable

        grades = readerGradesFromTable(readerTableNode, study)
        return compareWithReaderGrades(resultTable, grades, f"table '{readerTableNode.GetName()}'", outputTable,
                                       markups)


class ModelLogic:
    """Scoring with the models: the spine (process, scoreSpine, regradeMovedSites) and the sacroiliac joints
    (scorePelvis), each model loaded from the installed bundles or a folder of the user's own, and a bundle's own
    code run only after the user agrees (its folder then trusted for the session: ``_trustedModelDirs``)."""

    SPINE_BUNDLES = ("spine-landmarks", "spine-corners")
    CORNER_BUNDLES = ("spine-corners",)
    SIJ_BUNDLES = ("sij-grader",)

    # ------------------------------------------------------------------------------------------ models

    def ensureModelDependencies(self, bundles=SPINE_BUNDLES, modelDir=None) -> None:
        """Check the bundles are there, then install torch (PyTorch extension) and MONAI after asking."""
        from axspa.slicer.packages import ensure_model_dependencies, model_folder

        ensure_model_dependencies(slicer, bundles, "AxSpA Scoring", model_folder(modelDir))

    def loadSpineModels(self, modelDir=None):
        """Both spine predictors (axspa.spine.pipeline.SpineModels), asking before running a bundle's own code."""
        from axspa.slicer.packages import model_folder
        from axspa.spine.pipeline import SpineModels

        return self._loadTrusting(lambda trust: SpineModels(model_folder(modelDir), trust), modelDir)

    def loadCornerModel(self, modelDir=None):
        """The corner predictor alone (re-grading), asking before running a bundle's own code."""
        from axspa.bundles import load_predictor
        from axspa.slicer.packages import model_folder
        from axspa.spine.pipeline import CORNER_BUNDLE

        return self._loadTrusting(lambda trust: load_predictor(CORNER_BUNDLE, model_folder(modelDir), trust), modelDir)

    def _loadTrusting(self, load, modelDir):
        from axspa.slicer.trust import load_trusting

        return load_trusting(load, self.confirmBundleCode, self._trustedModelDirs, str(modelDir or ""))

    def confirmBundleCode(self, reason: str) -> bool:
        """Ask the user whether a bundle may run its own code (BundleCodeError's reason)."""
        from axspa.slicer.trust import confirm_bundle_code

        return confirm_bundle_code(slicer, reason, _("AxSpA Scoring"), _)

    # ------------------------------------------------------------------------------------------- spine

    def process(self, volumeNode, region: str = "auto", otherVolume=None, overwrite: bool = False, modelDir=None,
                threshold: float = 0.5, progress=None, cancel=None) -> dict:
        """Score a radiograph (and the other region's, for the study total) into new or earlier nodes;
        see the class docstring. Returns scoreSpine's dict."""
        from axspa.slicer.outputs import find_output
        from AxSpAScoringLib.nodes import MARKUPS, TABLE

        if volumeNode is None:
            raise ValueError(_("Select a spine radiograph to score."))
        self.ensureModelDependencies(self.SPINE_BUNDLES, modelDir)
        return self.scoreSpine(
            volumeNode, region, otherVolume=otherVolume,
            outputMarkups=find_output(volumeNode, "vtkMRMLMarkupsFiducialNode", MARKUPS),
            otherMarkups=find_output(otherVolume, "vtkMRMLMarkupsFiducialNode", MARKUPS),
            outputTable=find_output(volumeNode, "vtkMRMLTableNode", TABLE), threshold=threshold, progress=progress,
            cancel=cancel, modelDir=modelDir, overwrite=overwrite)

    def scoreSpine(self, inputVolume, region: str = "auto", otherVolume=None, outputMarkups=None,
                   otherMarkups=None, outputTable=None, threshold: float = 0.5, progress=None,
                   cancel=None, modelDir=None, overwrite: bool = False, models=None) -> dict:
        """Score one radiograph, or a cervical + lumbar pair for the study total, with the models.

        Returns {"documents": [axspa.spine/1 dicts], "markups": [nodes], "table": node,
        "score": TotalScore.to_dict(), "warnings": [str]}. Output nodes given are reused (points and
        grades the user edited are kept unless ``overwrite``; kept points are re-graded where they are);
        missing ones, and those of a manual reading, are created under the input's study. The documents are
        the models' output; the table holds the grades as they stand (exportResults writes those). ``models``:
        loaded already (loadSpineModels), else loaded from ``modelDir`` or the installed bundles.
        """
        from AxSpAScoringLib.scoring import scoreSpineNodes

        if inputVolume is None:
            raise ValueError(_("Select a spine radiograph to score."))
        models = models if models is not None else self.loadSpineModels(modelDir)
        result = scoreSpineNodes(models, inputVolume, region, otherVolume, outputMarkups,
                                 otherMarkups, outputTable, threshold, progress, cancel, overwrite, _dicomDatabase())
        result["score"] = self.rescoreFromTable(result["table"])  # grades the user had edited are kept there
        return result

    def movedSites(self, markupsNodes) -> list:
        """Sites whose control points were moved or placed since they were graded (to re-grade)."""
        from AxSpAScoringLib.regrade import movedSites

        return [site for node in markupsNodes if node is not None for site in movedSites(node)]

    def regradeMovedSites(self, volume, markups, table, modelDir=None, threshold: float = 0.5, progress=None,
                          cancel=None, corners=None, model_dir=None) -> dict:
        """Run the corner model at the control points the user moved or placed, and only there.

        Those sites' rows of the table get the new findings, confidence, review flag and grade (through the
        engine's rules; a disc partner's grade follows when the bridging rule changes it); a grade the user
        typed is kept; every other row stays as it is. ``corners`` is a loaded corner predictor (or a
        function returning one); otherwise it is loaded from ``modelDir`` (``model_dir`` is the same) or
        the installed bundles, only when a point moved. Returns {"regraded", "changed", "kept",
        "partners"} (see AxSpAScoringLib.regrade) and "score" (rescoreFromTable).
        """
        from AxSpAScoringLib.regrade import regradeMovedSites

        folder = modelDir if modelDir is not None else model_dir
        if volume is None or markups is None:
            raise ValueError(_("Select the radiograph and its output sites (markups)."))
        result = regradeMovedSites(volume, markups, table, corners or (lambda: self.loadCornerModel(folder)),
                                   threshold, progress=progress, cancel=cancel, dicomDatabase=_dicomDatabase())
        result["score"] = self.rescoreFromTable(table)
        return result

    def loadSijModel(self):
        """The sacroiliac grader (installed bundle), asking before running a bundle's own code."""
        from axspa.bundles import load_predictor
        from axspa.sij.pipeline import SIJ_BUNDLE

        return self._loadTrusting(lambda trust: load_predictor(SIJ_BUNDLE, None, trust), None)

    def scorePelvis(self, pelvisVolume, heatmapVolume=None, progress=None, cancel=None, model=None,
                    jointsMarkups=None, joints=None) -> tuple:
        """Modified New York grades of both sacroiliac joints; returns (axspa.sij/1 dict, heat map node).

        The heat map goes to ``heatmapVolume``, else the radiograph's earlier one, else a new one under its study;
        the joints graded to the "Sacroiliac joints" control points (``jointsMarkups``, else the radiograph's
        earlier ones, else new ones under its study; sacroiliacJoints(pelvisVolume) finds them). ``model``: loaded
        already (loadSijModel), else loaded here. ``joints``: {"right": (column, row), "left": (column, row)} in
        pixels of the radiograph, where the grader grades instead of where it finds the joints."""
        from axspa.sij.pipeline import score_pelvis
        from axspa.slicer.outputs import find_output, link_output
        from AxSpAScoringLib.nodes import HEATMAP, JOINTS, radiographFromNode, showHeatmap, writeJointMarkups

        if pelvisVolume is None:
            raise ValueError(_("Select a pelvic radiograph to grade."))
        model = model if model is not None else self.loadSijModel()
        where = {"joints": {side: (float(x), float(y)) for side, (x, y) in joints.items()}} if joints else {}
        doc, heatmap = score_pelvis(radiographFromNode(pelvisVolume, _dicomDatabase()), model=model,
                                    progress=progress, cancel=cancel, **where)
        node = heatmapVolume or find_output(pelvisVolume, "vtkMRMLScalarVolumeNode", HEATMAP)
        if heatmap is not None:
            node = showHeatmap(pelvisVolume, heatmap, node)
            link_output(node, pelvisVolume, HEATMAP)
        markups = jointsMarkups or find_output(pelvisVolume, "vtkMRMLMarkupsFiducialNode", JOINTS)
        writeJointMarkups(pelvisVolume, doc, markups)
        return doc, node

    def sacroiliacJoints(self, pelvisVolume):
        """The radiograph's "Sacroiliac joints" control points (scorePelvis made them), or None."""
        from axspa.slicer.outputs import find_output
        from AxSpAScoringLib.nodes import JOINTS

        return find_output(pelvisVolume, "vtkMRMLMarkupsFiducialNode", JOINTS)

    def regradePelvisAtPoints(self, pelvisVolume, jointsMarkups=None, heatmapVolume=None, progress=None,
                              cancel=None, model=None) -> tuple:
        """Grade both joints again where the user put the "right SIJ" and "left SIJ" control points (their RAS
        taken to pixels of the radiograph); returns scorePelvis's (document, heat map node)."""
        from AxSpAScoringLib.nodes import jointsFromMarkups

        if pelvisVolume is None:
            raise ValueError(_("Select a pelvic radiograph to grade."))
        markups = jointsMarkups or self.sacroiliacJoints(pelvisVolume)
        if markups is None:
            raise ValueError(_("Grade the sacroiliac joints first: there are no joint points to move."))
        joints = jointsFromMarkups(pelvisVolume, markups)
        return self.scorePelvis(pelvisVolume, heatmapVolume, progress, cancel, model, markups, joints)

    def showHeatmapLayers(self, heatmapVolume, opacity: float = 0.5, visible: bool = True, background=None) -> int:
        """The heat map over the radiograph in the slice views at ``opacity``, or hidden (nodes.showHeatmapLayers)."""
        from AxSpAScoringLib.nodes import showHeatmapLayers

        if heatmapVolume is None:
            return 0
        return showHeatmapLayers(heatmapVolume, opacity, visible, background)


class CohortLogic:
    """A cohort from the console: its spine and pelvic films scored as ``axspa batch`` scores them, in this
    process (axspa.slicer.cohort.process_cohort_for), and a finished case loaded into the scene
    (axspa.slicer.cohort.load_case)."""

    COHORT_JOBS = ("spine", "sij")

    def processCohort(self, manifestOrFolder, outDir, progress=None, cancel=None, overwrite: bool = False,
                      modelDir=None, threshold: float = 0.5, trustCode: bool = False) -> dict:
        """Score the spine and sij cases of a manifest (CSV: case_id, patient_id, visit_date, job, path[,
        region]) or of a folder (scanned: a job per file from its DICOM tags) into ``outDir``: one folder per
        case (cases/<case_id>/) and summary.csv, cohort.csv, plan.csv (+ failures.csv). Cases already scored
        there with the same input, options and models are not scored again; files edited in a case folder
        are kept unless ``overwrite``. ``progress(fraction, message)`` hears each finished case; ``cancel()``
        returning True stops the batch between cases with axspa.jobs.CancelledError (the tables then list
        the cases finished so far; the same call again goes on from there). ``threshold`` is the finding
        probability that counts; ``trustCode`` lets bundles of ``modelDir`` run their own code (as do model
        folders trusted earlier this session). torch and MONAI are installed first, after asking, when the
        jobs' bundles are there. Returns axspa.slicer.cohort.process_cohort_for's dict (scored, unchanged,
        failures, planNotRun, summary, cohort, exitStatus, text)."""
        from axspa.slicer.cohort import cohort_bundles, process_cohort_for
        from axspa.slicer.packages import model_folder

        bundles = cohort_bundles(self.COHORT_JOBS, model_folder(modelDir))
        if bundles:
            self.ensureModelDependencies(tuple(bundles), modelDir)
        trusted = bool(trustCode) or str(modelDir or "") in getattr(self, "_trustedModelDirs", ())
        return process_cohort_for(self.COHORT_JOBS, manifestOrFolder, outDir, progress, cancel, overwrite,
                                  modelDir, threshold=threshold, trust_code=trusted)

    def loadCase(self, outDir, caseId) -> dict:
        """Load a case that processCohort (or ``axspa batch``) scored into ``outDir``: the radiograph, its
        control points and site table (spine) or its heat map (sij), the outputs under the radiograph's
        study. Returns {"volume", "markups", "table", "segmentation", "slices", "heatmap" (None where the
        job writes none), "summary", "case"}; see axspa.slicer.cohort.load_case. InputError names the folder
        when the case was not scored there, or the input when it is gone."""
        from axspa.batch.run import case_outputs
        from axspa.slicer.cohort import application_util, load_case

        return load_case(case_outputs(outDir, caseId), application_util(slicer), slicer.mrmlScene)
