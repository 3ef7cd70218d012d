"""Figures of the HTML report: site thumbnails coloured by grade (labelled) and cohort histograms."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from axspa.evaluation.figures import pyplot, save
from axspa.results import PathLike

# Grade colours (0 -> 3): green, yellow, orange, red; unscorable grey. Shared by thumbnails and the report.
GRADE_COLORS = {0: "#2ca02c", 1: "#f2c500", 2: "#ff7f0e", 3: "#d62728", None: "#9e9e9e"}


def histogram(values: Sequence[float], path: PathLike, title: str, xlabel: str, bins: int = 12) -> Path:
    """Distribution of a cohort measure."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.5))
    data = np.asarray([v for v in values if v is not None], float)
    ax.hist(data, bins=bins if len(data) else 1, color="#1f77b4", edgecolor="white")
    ax.set_title(f"{title} (n = {len(data)})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("studies")
    fig.tight_layout()
    return save(fig, path)


def site_thumbnail(pixels: Optional[np.ndarray], sites: Sequence[dict], path: PathLike, title: str = "",
                   size_px: int = 560, missing_text: str = "image could not be opened") -> Path:
    """The radiograph (when given) with each located site as a dot coloured by grade and its id written
    beside it. ``sites`` are spine.json site entries: {"id", "point": [x, y] or None, "grade"}. Without
    pixels the dots stand on a grey background that says ``missing_text``, never on a bare black square."""
    plt = pyplot()
    points = [s["point"] for s in sites if s.get("point")]
    if pixels is not None:
        rows, cols = pixels.shape[:2]
    elif points:
        xs, ys = zip(*points)
        cols, rows = max(xs) - min(xs) + 200, max(ys) - min(ys) + 200
    else:
        rows = cols = 1
    aspect = rows / cols if cols else 1.0
    width = size_px / 100
    height = min(max(width * aspect, 2.5), 2.2 * width)
    fig, ax = plt.subplots(figsize=(width, height))
    if pixels is not None:
        lo, hi = np.percentile(pixels, [1, 99])
        ax.imshow(pixels, cmap="gray", vmin=lo, vmax=hi if hi > lo else lo + 1)
    else:
        ax.set_facecolor("#5a5a5a")
        if points:
            ax.set_xlim(min(xs) - 100, max(xs) + 100)
            ax.set_ylim(max(ys) + 100, min(ys) - 100)
        ax.text(0.5, 0.98, missing_text, transform=ax.transAxes, ha="center", va="top", color="white",
                fontsize=10, bbox={"facecolor": "#b00020", "edgecolor": "none", "pad": 4})
    span = (ax.get_xlim()[1] - ax.get_xlim()[0]) if pixels is None else cols
    for site in sites:
        if site.get("point"):
            x, y = site["point"]
            color = GRADE_COLORS.get(site.get("grade"), "#9e9e9e")
            ax.scatter([x], [y], s=40, color=color, edgecolors="white", linewidths=0.8, zorder=3)
            grade = "–" if site.get("grade") is None else str(site["grade"])
            # The label sits to the right of the dot (anterior corners face the right on these films).
            ax.annotate(f"{site['id']} {grade}", (x, y), xytext=(x + 0.025 * abs(span), y), fontsize=8,
                        color="black", va="center", zorder=4,
                        bbox={"facecolor": color, "edgecolor": "none", "alpha": 0.85, "pad": 1.2})
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout(pad=0.2)
    return save(fig, path)


# The heat map's colours in the report: matplotlib's "jet" (blue low, red high) as Slicer's heat-map colour table
# (axspa.slicer.volumes.heat_map_color_node); values at or below HEAT_MAP_FLOOR are transparent there too.
HEAT_MAP_CMAP = "jet"
HEAT_MAP_FLOOR = 1.0 / 255


def heatmap_thumbnail(pixels: Optional[np.ndarray], heatmap: np.ndarray, path: PathLike, title: str = "",
                      joints: Optional[dict] = None, size_px: int = 460, alpha: float = 0.5) -> Path:
    """The heat map ([rows, columns], 0..1 on the radiograph's grid) in colour over the grey radiograph (when
    ``pixels`` are given; else on black, alone), zero transparent, with a colour bar; ``joints`` ({"right": [x, y],
    "left": [x, y]} in pixels) are marked and named."""
    plt = pyplot()
    heat = np.asarray(heatmap, dtype=float)
    rows, cols = heat.shape[:2]
    width = size_px / 100
    fig, ax = plt.subplots(figsize=(width, min(max(width * rows / max(cols, 1), 2.5), 2.2 * width)))
    if pixels is not None and np.shape(pixels)[:2] == heat.shape[:2]:
        lo, hi = np.percentile(pixels, [1, 99])
        ax.imshow(pixels, cmap="gray", vmin=lo, vmax=hi if hi > lo else lo + 1)
        shown = ax.imshow(np.ma.masked_less_equal(heat, HEAT_MAP_FLOOR), cmap=HEAT_MAP_CMAP, vmin=0.0,
                          vmax=max(1.0, float(np.nanmax(heat)) if heat.size else 1.0), alpha=alpha)
    else:
        ax.set_facecolor("black")
        shown = ax.imshow(np.ma.masked_less_equal(heat, HEAT_MAP_FLOOR), cmap=HEAT_MAP_CMAP, vmin=0.0,
                          vmax=max(1.0, float(np.nanmax(heat)) if heat.size else 1.0))
    for side, point in (joints or {}).items():
        if point is not None:
            ax.scatter([point[0]], [point[1]], s=60, marker="+", color="white", linewidths=1.5, zorder=3)
            ax.annotate(f"{side} SIJ", (point[0], point[1]), xytext=(4, 4), textcoords="offset points", fontsize=7,
                        color="white", zorder=4)
    fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.02, label="heat map (0-1)")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=9)
    fig.tight_layout(pad=0.2)
    return save(fig, path)
