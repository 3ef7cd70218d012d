"""axspa.jobs: cancel flag, progress and CLI batches (the panels' job runner: Testing/slicer_roof/test_panel_job.py)."""

from __future__ import annotations

from axspa import jobs

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


