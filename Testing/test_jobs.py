"""axspa.jobs: cancel flag, progress, a model job's outcome, the panels' job runner and CLI batches."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from axspa import jobs
from axspa.bundles import ModelMissingError
from axspa.jobs import CancelledError, DependencyError, run_model_job

# ------------------------------------------------------------------------------------ cancel and progress

def test_cancel_flag_is_the_engine_callback():
    flag = jobs.CancelFlag()
    assert flag() is False
    flag.cancel()
    assert flag() is True and flag.is_set
    flag.reset()
    assert flag() is False


def test_progress_is_clamped_and_scaled():
    assert [jobs.progress_percent(f) for f in (-1, 0, 0.333, 1, 7, float("nan"))] == [0, 0, 33, 100, 100, 0]
    seen = []
    second_image = jobs.scaled_progress(lambda f, m: seen.append((round(f, 3), m)), 0.5, 1.0)
    second_image(0.0, "locating")
    second_image(0.5, "grading")
    second_image(2.0, "done")
    assert seen == [(0.5, "locating"), (0.75, "grading"), (1.0, "done")]
    jobs.scaled_progress(None, 0, 1)(0.5, "no bar")  # console use: no callback, no error


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


# ------------------------------------------------------------------------------------------ panel job

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
    job = jobs.PanelJob(slicer, ui, busy.append, "Hip Inflammation", "Draw a segmentation instead.")
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
        jobs.report(job.progress, 0.5, "grading", job.cancel)

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


# ---------------------------------------------------------------------------------------- CLI batches

def test_batch_goes_on_past_a_bad_case_and_says_why(tmp_path, capsys):
    from axspa.image import InputError

    def work(item: str) -> str:
        if item == "bad":
            raise InputError("bad: not an image")
        return f"{item}: ok"

    assert jobs.run_batch(["a", "bad", "b"], tmp_path, work, "test") == 1
    out, err = capsys.readouterr()
    assert out == "a: ok\nb: ok\n" and "FAILED bad" in err
    assert (tmp_path / "failures.csv").read_text().splitlines() == ["input,reason", "bad,bad: not an image"]
    assert jobs.run_batch(["a"], tmp_path, work, "test") == 0
    assert not (tmp_path / "failures.csv").exists()  # a clean re-run leaves no stale list


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
