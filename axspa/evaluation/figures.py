"""PNG figures of agreement and progression (Bland–Altman, cumulative probability), and the matplotlib
set-up every figure shares (the report's own are in axspa/report/figures.py). matplotlib is imported
lazily with the Agg backend, so the engine imports without it and nothing here needs a display.

matplotlib is optional (the ``report`` extra; 3D Slicer's Python does not bundle it): without it the agreement and
progression figures are not drawn (their functions return None and the documents say so), while the HTML
report, which is made of figures, refuses with a message saying how to install it."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from axspa.image import InputError
from axspa.results import PathLike

MISSING = "matplotlib is not installed (pip install 'axspa[report]')"


def available() -> bool:
    """Whether matplotlib can be imported (it is not in 3D Slicer's Python)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def pyplot():
    """matplotlib.pyplot on the Agg backend; InputError saying how to install it when it is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=True)
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("figures need matplotlib: pip install 'axspa[report]'") from None
    return plt


def save(fig, path: PathLike, overwrite: bool = True) -> Path:
    """Write ``fig`` as PNG (folders made, no software stamp; atomically, results.write_output: a different
    existing file is kept unless ``overwrite``) and close it."""
    from axspa.results import write_output

    path = Path(path)
    # No software/version stamp: the same data give the same PNG bytes across matplotlib versions.
    try:
        write_output(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png", metadata={"Software": None}),
                     overwrite)
    finally:
        pyplot().close(fig)
    return path


def bland_altman_plot(a: Sequence[float], b: Sequence[float], path: PathLike, label_a: str = "reader 1",
                      label_b: str = "reader 2", units: str = "mSASSS", overwrite: bool = True) -> Optional[Path]:
    """Bland–Altman plot: difference (b − a) against the mean, with the bias and 95% limits of agreement.
    None, and nothing written, without matplotlib."""
    if not available():
        return None
    plt = pyplot()
    a, b = np.asarray(a, float), np.asarray(b, float)
    mean, diff = (a + b) / 2.0, b - a
    bias, sd = diff.mean(), diff.std(ddof=1)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.scatter(mean, diff, s=18, color="#1f77b4", alpha=0.8)
    lower, upper = bias - 1.96 * sd, bias + 1.96 * sd
    for y, style, text in ((bias, "-", f"bias {bias:.2f}"), (lower, "--", f"−1.96 SD {lower:.2f}"),
                           (upper, "--", f"+1.96 SD {upper:.2f}")):
        ax.axhline(y, linestyle=style, color="#444444", linewidth=1)
        ax.annotate(text, xy=(1.0, y), xycoords=("axes fraction", "data"), ha="right", va="bottom", fontsize=8)
    ax.set_xlabel(f"mean of {label_a} and {label_b} ({units})")
    ax.set_ylabel(f"{label_b} − {label_a} ({units})")
    ax.set_title(f"Bland–Altman: {label_b} vs {label_a} (n = {len(a)})")
    fig.tight_layout()
    return save(fig, path, overwrite)


def cumulative_probability_plot(changes: Sequence[float], path: PathLike, sdc: float = 2.0,
                                units: str = "mSASSS units", overwrite: bool = True) -> Optional[Path]:
    """Cumulative probability plot of change scores (the standard figure of AS trials): each patient's change
    against its cumulative probability, smallest first, with the smallest detectable change marked. None, and
    nothing written, without matplotlib."""
    if not available():
        return None
    plt = pyplot()
    values = np.sort(np.asarray(changes, float))
    n = len(values)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    if n:
        # Plotting position (i - 0.5) / n puts the i-th smallest change at the middle of its probability step.
        prob = (np.arange(1, n + 1) - 0.5) / n
        ax.plot(prob, values, marker="o", markersize=3, linewidth=1, color="#1f77b4")
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.axhline(sdc, color="#d62728", linestyle="--", linewidth=1, label=f"progression threshold ({sdc:g})")
    ax.set_xlim(0, 1)
    ax.set_xlabel("cumulative probability")
    ax.set_ylabel(f"change ({units})")
    ax.set_title(f"Cumulative probability of change (n = {n})")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return save(fig, path, overwrite)
