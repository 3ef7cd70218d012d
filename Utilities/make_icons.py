"""Draw the extension and module icons (128x128 PNG) with numpy + Pillow.

Run from the repository root: ``.venv/bin/python Utilities/make_icons.py``. The output is
deterministic, so re-running it leaves the committed icons unchanged.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 128
SCALE = 4  # draw large, then downsample: smooth edges without antialiasing support in ImageDraw
BONE = (236, 226, 200, 255)
BONE_EDGE = (150, 130, 95, 255)
DISC = (120, 170, 210, 255)
LESION = (214, 64, 52, 255)
BACKGROUND = (32, 48, 72, 255)


def _canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGBA", (SIZE * SCALE, SIZE * SCALE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle([0, 0, SIZE * SCALE - 1, SIZE * SCALE - 1], radius=22 * SCALE, fill=BACKGROUND)
    return image, draw


def _s(*values: float) -> list[float]:
    return [v * SCALE for v in values]


def _vertebrae(draw: ImageDraw.ImageDraw, x0: float, count: int, top: float, height: float) -> None:
    # Lateral view: stacked bodies with discs between them and the anterior corners marked.
    step = height / count
    for n in range(count):
        y = top + n * step
        shift = 4 * ((n - count / 2) / count) ** 2 * 6  # a gentle lordosis
        box = _s(x0 + shift, y + 2, x0 + shift + 34, y + step - 4)
        draw.rounded_rectangle(box, radius=4 * SCALE, fill=BONE, outline=BONE_EDGE, width=2 * SCALE)
        if n < count - 1:
            draw.rectangle(_s(x0 + shift + 3, y + step - 4, x0 + shift + 31, y + step + 2), fill=DISC)
        for cy in (y + 4, y + step - 6):
            r = 3.2
            colour = LESION if n == 1 and cy > y + 5 else BONE_EDGE
            draw.ellipse(_s(x0 + shift - r, cy - r, x0 + shift + r, cy + r), fill=colour)


def _hip(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    # Coronal view: acetabular roof, femoral head with an oedema blob, neck and shaft.
    draw.arc(_s(cx - r - 7, cy - r - 7, cx + r + 7, cy + r + 7), 190, 350, fill=BONE, width=int(6 * SCALE))
    draw.polygon(_s(cx - 6, cy + 4, cx + 12, cy + r + 6, cx + 22, cy + r + 30, cx + 8, cy + r + 34,
                    cx - 4, cy + r + 10), fill=BONE, outline=BONE_EDGE)
    draw.ellipse(_s(cx - r, cy - r, cx + r, cy + r), fill=BONE, outline=BONE_EDGE, width=2 * SCALE)
    draw.ellipse(_s(cx - r * 0.55, cy - r * 0.6, cx + r * 0.15, cy + r * 0.1), fill=LESION)


def _save(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.resize((SIZE, SIZE), Image.LANCZOS).save(path, format="PNG", optimize=True)


def main(root: Path) -> None:
    image, draw = _canvas()
    _vertebrae(draw, 46, 6, 10, 108)
    _save(image, root / "AxSpAScoring" / "Resources" / "Icons" / "AxSpAScoring.png")

    image, draw = _canvas()
    _hip(draw, 58, 52, 24)
    _save(image, root / "HipInflammation" / "Resources" / "Icons" / "HipInflammation.png")

    image, draw = _canvas()
    _vertebrae(draw, 18, 6, 10, 108)
    _hip(draw, 88, 48, 18)
    _save(image, root / "Resources" / "Icons" / "SlicerAxSpA.png")


if __name__ == "__main__":
    main(Path(__file__).resolve().parent.parent)
