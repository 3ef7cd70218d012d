"""Contact sheets of phantom cases with their truth drawn on top (``axspa phantom ... --montage``).

Tiles are made from the files as written (the DICOM or JPEG read back through
axspa.io.radiograph, the hip series through axspa.phantom.hip), so a montage also shows that the
written files read back correctly. Spine tiles mark every site's true corner coloured by grade
(unscorable sites hollow) and list the findings; pelvis tiles draw each SI joint line with its grade.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

GRADE_COLOURS = {0: (60, 200, 60), 1: (240, 220, 40), 2: (255, 140, 0), 3: (230, 40, 40), None: (80, 160, 255)}
SHORT = {"erosion": "E", "sclerosis": "Sc", "squaring": "Sq", "syndesmophyte": "Sy", "bridging": "B",
         "osteophyte": "O", "other": "Ot", "not_visible": "NV"}


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def _grey_tile(pixels: np.ndarray) -> Image.Image:
    lo, hi = np.percentile(pixels[::4, ::4], [0.5, 99.5])
    v = np.clip((pixels - lo) / max(hi - lo, 1e-6), 0, 1)
    return Image.fromarray((v * 255).astype(np.uint8)).convert("RGB")


def spine_tile(dcm: Path, truth: dict, size: int = 384, label: bool = True) -> Image.Image:
    """The radiograph with each site's true corner, coloured by grade, and its findings."""
    from axspa.io.radiograph import read_radiograph

    im = _grey_tile(read_radiograph(dcm).pixels)
    scale = size / max(im.size)
    im = im.resize((max(int(im.width * scale), 1), max(int(im.height * scale), 1)), Image.Resampling.LANCZOS)
    d = ImageDraw.Draw(im)
    f = _font(max(size // 40, 8))
    for v in truth["vertebrae"]:
        if v["center"]:
            x, y = (c * scale for c in v["center"])
            d.text((x - 6, y - 5), v["name"], fill=(120, 200, 255), font=f)
    for s in truth["sites"]:
        if not s["point"]:
            continue
        x, y = (c * scale for c in s["point"])
        col = GRADE_COLOURS.get(s["grade"], GRADE_COLOURS[None])
        r = max(size / 110, 2.5)
        if s["grade"] is None:
            d.ellipse([x - r, y - r, x + r, y + r], outline=col, width=2)
        else:
            d.ellipse([x - r, y - r, x + r, y + r], fill=col)
        flags = [SHORT[k] for k, v in s["findings"].items() if v]
        if flags and label:
            d.text((x + 2 * r, y - r), ",".join(flags), fill=col, font=f)
    score = truth["score"]
    imputed = "missing" if score["imputed"] is None else f"{score['imputed']:.1f}"
    d.text((4, 4), f"{truth['region']} raw {score['raw']} imputed {imputed}", fill=(255, 255, 0),
           font=_font(max(size // 28, 9)))
    return im


def pelvis_tile(image: Path, truth: dict, size: int = 384) -> Image.Image:
    """The pelvis (or its photo) with each SI joint line and grade."""
    from axspa.io.radiograph import read_radiograph

    im = _grey_tile(read_radiograph(image).pixels)
    scale = size / max(im.size)
    im = im.resize((max(int(im.width * scale), 1), max(int(im.height * scale), 1)), Image.Resampling.LANCZOS)
    d = ImageDraw.Draw(im)
    f = _font(max(size // 22, 10))
    lines = (truth.get("phantom") or {}).get("joint_lines_px") or {}
    for side in ("right", "left"):
        g = truth["sides"][side]["grade"]
        col = GRADE_COLOURS.get(min(g, 3))
        pts = lines.get(side)
        if pts:
            d.line([(x * scale, y * scale) for x, y in pts], fill=col, width=2)
            x, y = pts[len(pts) // 2]
            d.text((x * scale + (-40 if side == "right" else 12), y * scale), f"{g}", fill=col, font=f)
        else:
            d.text((size * (0.15 if side == "right" else 0.75), 4), f"{side[0].upper()} {g}", fill=col, font=f)
    verdict = "definite" if truth["definite"] else "not definite"
    d.text((4, im.height - size // 18 - 4), f"R {truth['sides']['right']['grade']} / L "
           f"{truth['sides']['left']['grade']}: {verdict}", fill=(255, 255, 0), font=_font(max(size // 28, 9)))
    return im


def hip_tile(case_dir: Path, size: int = 384) -> Image.Image:
    from axspa.phantom.hip import hip_montage_tile

    im = Image.fromarray(hip_montage_tile(case_dir))
    scale = size / max(im.size)
    return im.resize((max(int(im.width * scale), 1), max(int(im.height * scale), 1)), Image.Resampling.LANCZOS)


def tile_for(kind: str, out_dir: Path, case_id: str, size: int = 384) -> Image.Image:
    out_dir = Path(out_dir)
    if kind == "hip":
        return hip_tile(out_dir / case_id, size)
    truth = json.loads((out_dir / f"{case_id}.truth.json").read_text())
    image = out_dir / truth["input"]["path"]
    return spine_tile(image, truth, size) if kind == "spine" else pelvis_tile(image, truth, size)


def contact_sheet(tiles: list[Image.Image], titles: list[str], size: int = 384, columns: int | None = None,
                  path: Path | None = None) -> Image.Image:
    """Tiles on a dark grid, each centred in a size x size cell with its title underneath."""
    n = len(tiles)
    cols = columns or max(1, int(np.ceil(np.sqrt(n))))
    rows = int(np.ceil(n / cols)) if n else 1
    title_h = max(size // 20, 12)
    sheet = Image.new("RGB", (cols * size, rows * (size + title_h)), (20, 20, 20))
    d = ImageDraw.Draw(sheet)
    f = _font(max(title_h - 3, 8))
    for i, (t, title) in enumerate(zip(tiles, titles)):
        x0, y0 = (i % cols) * size, (i // cols) * (size + title_h)
        sheet.paste(t, (x0 + (size - t.width) // 2, y0 + (size - t.height) // 2))
        d.text((x0 + 4, y0 + size), title, fill=(220, 220, 220), font=f)
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        sheet.save(path, optimize=True)
    return sheet


def write_montage(kind: str, out_dir: Path, case_ids: list[str], path: Path, size: int = 320,
                  max_tiles: int = 36, overwrite: bool = False) -> Path:
    """Contact sheet of the first ``max_tiles`` cases of ``out_dir`` written to ``path`` (PNG; atomically,
    a different existing file kept unless ``overwrite``)."""
    from axspa.results import write_output

    ids = case_ids[:max_tiles]
    tiles = [tile_for(kind, out_dir, cid, size) for cid in ids]
    write_output(path, lambda tmp: contact_sheet(tiles, ids, size, path=tmp), overwrite)
    return Path(path)
