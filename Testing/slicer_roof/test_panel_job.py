"""axspa.slicer.panel_job: a model job's outcome and the panels' job runner (Slicer passed in as a stand-in)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from axspa.bundles import ModelMissingError
from axspa.jobs import CancelledError, DependencyError, report
from axspa.slicer.panel_job import PanelJob, run_model_job


def test_model_job_outcomes_cancel_missing_model_and_errors():
    assert run_model_job(lambda: 42).result == 42

    def cancelled():
        raise CancelledError("grading corners")

    def missing():
        raise ModelMissingError("model bundle 'hip-segmenter' is not installed")

    def declined():
        raise DependencyError("needs monai>=1.3; installation was declined")

    def broken():
        raise ValueError("bad volume")

    assert run_model_job(cancelled).cancelled and run_model_job(cancelled).result is None
    assert "hip-segmenter" in run_model_job(missing).unavailable
    assert "declined" in run_model_job(declined).unavailable
    with pytest.raises(ValueError, match="bad volume"):  # real errors still reach Slicer's error display
        run_model_job(broken)


def _panel(slicer_calls: list):
    from contextlib import contextmanager

    @contextmanager
    def try_with_error_display(message, waitCursor=False):
        try:
            yield
        except Exception as exc:  # Slicer shows the error and re-raises it (slicer/util.py)
            slicer_calls.append(("error", message, str(exc)))
            raise

    slicer = SimpleNamespace(
        util=SimpleNamespace(tryWithErrorDisplay=try_with_error_display,
                             warningDisplay=lambda text, windowTitle: slicer_calls.append(("warning", windowTitle,
                                                                                           text))),
        app=SimpleNamespace(processEvents=lambda: slicer_calls.append(("events",))))
    ui = SimpleNamespace(progressBar=SimpleNamespace(value=-1), statusLabel=SimpleNamespace(text=""))
    busy: list = []
    job = PanelJob(slicer, ui, busy.append, "Hip Inflammation", "Draw a segmentation instead.")
    return job, ui, busy


def test_panel_job_shows_progress_and_returns_the_result():
    calls: list = []
    job, ui, busy = _panel(calls)

    def work():
        job.progress(0.5, "segmenting")
        assert job.running and (ui.progressBar.value, ui.statusLabel.text) == (50, "segmenting")
        return {"scores": 1}

    assert job.run(work) == {"scores": 1}
    assert busy == [True, False] and not job.running and ("events",) in calls


def test_panel_job_cancel_and_missing_model_are_calm():
    calls: list = []
    job, ui, busy = _panel(calls)

    def cancelled_work():
        job.request_cancel()  # the user pressed Cancel while the model ran
        assert ui.statusLabel.text == "Cancelling..."
        report(job.progress, 0.5, "grading", job.cancel)

    def no_model():
        raise ModelMissingError("bundle 'hip-segmenter' missing")

    assert job.run(cancelled_work) is None and ui.statusLabel.text == "Cancelled."
    assert job.run(no_model) is None and ui.statusLabel.text == "No model run."
    [warning] = [c for c in calls if c[0] == "warning"]
    assert warning[1] == "Hip Inflammation" and "hip-segmenter" in warning[2] and "Draw a segmentation" in warning[2]
    assert job.run(lambda: 1) == 1 and not job.cancel.is_set  # a new run starts with the flag cleared
    assert job.run(lambda: 1 / 0) is None and calls[-1][0] == "error" and busy[-1] is False


def test_a_failed_panel_job_ends_calmly_with_the_reason_in_the_status_line():
    """Slicer's tryWithErrorDisplay re-raises: the failure is shown once, then the panel lives on with the
    status saying why and the progress bar reset (issue 8, items 11 and 15)."""
    calls: list = []
    job, ui, busy = _panel(calls)

    def odd_image():
        job.progress(0.6, "segmenting")
        raise RuntimeError("predictor: odd image")

    assert job.run(odd_image) is None
    assert ui.statusLabel.text == "Failed: predictor: odd image" and ui.progressBar.value == 0
    assert busy[-1] is False and not job.running and [c[0] for c in calls].count("error") == 1
    assert job.run(lambda: 2) == 2  # and the next job runs


def test_panel_job_sets_the_wait_cursor_only_around_computation():
    """Issue 17, item 6: run() no longer puts the whole job under the wait cursor (its questions would show the
    hourglass); computing() does, around the computation only, and run(job, waitCursor=True) for a job that asks
    nothing. The cursor is restored when the job fails."""
    calls: list = []
    job, ui, busy = _panel(calls)

    class WaitCursor:  # Slicer's slicer.util.WaitCursor
        def __enter__(self):
            calls.append("wait")

        def __exit__(self, *exc):
            calls.append("normal")

    job.slicer.util.WaitCursor = WaitCursor

    def asks_then_computes():
        calls.append("question")
        with job.computing():
            calls.append("computing")
        return 1

    assert job.run(asks_then_computes) == 1 and calls == ["question", "wait", "computing", "normal"]
    calls.clear()
    assert job.run(lambda: calls.append("computing") or 2, waitCursor=True) == 2
    assert calls == ["wait", "computing", "normal"]
    calls.clear()
    assert job.run(lambda: 1 / 0, waitCursor=True) is None
    assert calls[:2] == ["wait", "normal"] and calls[2][0] == "error"  # restored before the error is shown
