"""`axspa report`: one self-contained HTML report of an output folder."""

from __future__ import annotations

import re

from spine_results import cohort, spine_json

from axspa.cli import main
from axspa.spine.sites import CERVICAL_SITES, LUMBAR_SITES


def test_report_embeds_everything(tmp_path, capsys):
    batch = tmp_path / "batch"
    batch.mkdir()
    spine_json(batch / "case1.spine.json", "cervical", {"C5i": 2, "C6s": 3, "C4s": None})
    assert main(["progression", str(cohort(tmp_path)), "--out", str(batch / "progression")]) == 0
    r = "study,site,grade\n" + "".join(f"S{i},{s},{i % 4}\n" for i in range(6) for s in CERVICAL_SITES + LUMBAR_SITES)
    (tmp_path / "r1.csv").write_text(r)
    (tmp_path / "r2.csv").write_text(r.replace(",3\n", ",2\n"))
    assert main(["agree", "scores", str(tmp_path / "r1.csv"), str(tmp_path / "r2.csv"), "--bootstrap", "200",
                 "--plot", str(batch / "agreement")]) == 0
    capsys.readouterr()
    assert main(["report", str(batch)]) == 0
    html = (batch / "report.html").read_text(encoding="utf-8")
    for heading in ("mSASSS per image", "Thumbnails", "Reader agreement", "Progression"):
        assert heading in html
    # Self-contained: every image is a data URI, nothing is fetched from elsewhere.
    sources = re.findall(r"src='([^']*)'", html)
    assert len(sources) >= 4 and all(s.startswith("data:image/png;base64,") for s in sources)
    assert "http://" not in html and "https://" not in html


def test_report_of_an_empty_folder(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "no results found" in capsys.readouterr().err
