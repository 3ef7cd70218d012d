"""Figures of the HTML report: site thumbnails coloured by grade and cohort histograms."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

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


def site_thumbnail(pixels: np.ndarray | None, sites: Sequence[dict], path: PathLike, title: str = "",
                   size_px: int = 320) -> Path:
    """A small view of the radiograph (when given) with each located site as a dot coloured by grade.
    ``sites`` are spine.json site entries: {"id", "point": [x, y] or None, "grade"}."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(size_px / 100, size_px / 100))
    if pixels is not None:
        lo, hi = np.percentile(pixels, [1, 99])
        ax.imshow(pixels, cmap="gray", vmin=lo, vmax=hi if hi > lo else lo + 1)
    else:
        ax.set_facecolor("black")
        points = [s["point"] for s in sites if s.get("point")]
        if points:
            xs, ys = zip(*points)
            ax.set_xlim(min(xs) - 50, max(xs) + 50)
            ax.set_ylim(max(ys) + 50, min(ys) - 50)
    for site in sites:
        if site.get("point"):
            x, y = site["point"]
            ax.scatter([x], [y], s=22, color=GRADE_COLORS.get(site.get("grade"), "#9e9e9e"),
                       edgecolors="white", linewidths=0.5)
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=8)
    fig.tight_layout(pad=0.2)
    return save(fig, path)
