"""The report opened in a real headless browser (Chromium, over the DevTools protocol): at desktop and phone
width the page has no horizontal overflow (wide tables scroll in their own box), every image loads, and a
thumbnail enlarges to the whole window when clicked. Skipped, saying how to install Chromium, when there is none
(`make test` installs it when run as root)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser import Browser, find_chromium
from spine_results import cohort, spine_json

from axspa.cli import main
from axspa.spine.sites import CERVICAL_SITES, LUMBAR_SITES

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "Resources" / "SampleData"

CHECK = """(async () => {
  const images = Array.from(document.images);
  await Promise.all(images.map(i => i.decode().catch(() => null)));
  const width = window.innerWidth;
  const sticking_out = Array.from(document.querySelectorAll('body *'))
    .filter(e => !e.closest('.scroll') && e.getBoundingClientRect().right > width + 0.5)
    .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')).slice(0, 10);
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: width, images: images.length,
          broken: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt), sticking_out};
})()"""

ENLARGE = """(() => {
  const image = document.querySelector('figure.card img');
  image.click();
  const box = image.getBoundingClientRect();
  const big = image.classList.contains('big');
  image.click();
  return {big, width: box.width, height: box.height, innerWidth: window.innerWidth,
          innerHeight: window.innerHeight, back: !image.classList.contains('big')};
})()"""


@pytest.fixture(scope="module")
def chromium() -> str:
    path, why = find_chromium()
    if not path:
        pytest.skip(f"headless browser test skipped: {why}")
    return path


def _rich_report(folder: Path, capsys) -> Path:
    """Everything a report shows: a demo run with skipped jobs, a radiograph with its sites, one whose image
    has gone, agreement and progression with their figures, a failed case."""
    assert main(["demo", "--out", str(folder)]) == 0
    spine_json(folder / "film.spine.json", "cervical", {"C5i": 2, "C6s": 3, "C4s": None})
    doc = json.loads((folder / "film.spine.json").read_text())
    truth = json.loads((SAMPLE / "AxSpA-CervicalSpine.truth.json").read_text())
    doc["input"]["path"] = str(SAMPLE / "AxSpA-CervicalSpine.dcm")
    doc["sites"] = truth["sites"]
    (folder / "film.spine.json").write_text(json.dumps(doc))
    spine_json(folder / "a-result-whose-image-has-gone-with-a-long-name.spine.json", "lumbar", {"L2i": 3})
    assert main(["progression", str(cohort(folder.parent)), "--out", str(folder / "progression")]) == 0
    table = "study,site,grade\n" + "".join(f"S{i},{s},{i % 4}\n" for i in range(6)
                                           for s in CERVICAL_SITES + LUMBAR_SITES)
    (folder.parent / "r1.csv").write_text(table)
    (folder.parent / "r2.csv").write_text(table.replace(",3\n", ",2\n"))
    assert main(["agree", "scores", str(folder.parent / "r1.csv"), str(folder.parent / "r2.csv"), "--bootstrap",
                 "200", "--plot", str(folder / "agreement")]) == 0
    (folder / "batch").mkdir()
    (folder / "batch" / "failures.csv").write_text(
        "input,reason\n/a/very/long/path/that/goes/on/and/on/to/a/file/that/is/not/a/dicom/file/at/all.dcm,"
        "not a DICOM file: no preamble and no recognisable data elements at the start of the file\n")
    assert main(["report", str(folder), "--overwrite"]) == 0
    capsys.readouterr()
    return folder / "report.html"


@pytest.mark.slow
def test_report_renders_at_desktop_and_phone_width_with_every_image(chromium, tmp_path, capsys, no_shipped_models):
    report = _rich_report(tmp_path / "run", capsys)
    with Browser.start(chromium) as browser:
        for width, height, mobile in ((1280, 900, False), (375, 812, True)):
            page = browser.open(report.as_uri(), width, height, mobile)
            seen = page.evaluate(CHECK)
            assert seen["innerWidth"] == width
            assert seen["scrollWidth"] <= seen["innerWidth"], seen  # no sideways scrolling of the page
            assert seen["sticking_out"] == [], seen
            assert seen["images"] >= 4 and seen["broken"] == [], seen
            enlarged = page.evaluate(ENLARGE)
            assert enlarged["big"] and enlarged["back"], enlarged
            assert enlarged["width"] == enlarged["innerWidth"] and enlarged["height"] == enlarged["innerHeight"]
