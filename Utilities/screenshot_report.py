"""Screenshots of the HTML report for the README: the top of the report of `axspa demo` at desktop width
(1280 px) and at phone width (390 px, emulated as a mobile device), in headless Chromium.

    .venv/bin/python Utilities/screenshot_report.py [--folder DIR] [--name after] [--out docs/screenshots]

Without --folder it runs `axspa demo` into a temporary folder first. Writes report-<name>-desktop.png and
report-<name>-phone.png (256 colours, the first --height CSS px of the page). Needs Chromium
(`apt-get install -y chromium`).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "Testing"))  # the DevTools-over-a-pipe driver the browser test uses

from browser import Browser  # noqa: E402
from PIL import Image  # noqa: E402

from axspa.cli import main as axspa  # noqa: E402


def shrink(path: Path, scale: float = 1.0) -> None:
    """256 colours (and optionally smaller): screenshots of text stay sharp and the files small."""
    with Image.open(path) as image:
        image = image.convert("RGB")
        if scale != 1.0:
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.LANCZOS)
        image.quantize(256, method=Image.Quantize.FASTOCTREE).save(path, optimize=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, help="an output folder holding report.html (default: run the demo)")
    parser.add_argument("--name", default="after", help="the file names' middle part (default after)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    parser.add_argument("--height", type=int, default=2000, help="CSS px of the page to keep (default 2000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder
        if folder is None:
            folder = Path(tmp) / "demo"
            axspa(["demo", "--out", str(folder)])
        report = (folder / "report.html").resolve()
        args.out.mkdir(parents=True, exist_ok=True)
        with Browser.start() as browser:
            for kind, width, height, mobile, scale in (("desktop", 1280, 900, False, 0.75),
                                                       ("phone", 390, 844, True, 1.0)):
                path = args.out / f"report-{args.name}-{kind}.png"
                browser.open(report.as_uri(), width, height, mobile).screenshot(path, max_height=args.height)
                shrink(path, scale)
                print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
