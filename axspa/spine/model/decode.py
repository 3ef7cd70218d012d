"""From heatmaps to named corners: peaks, the chain of vertebrae counted from an anchor, corners.

Identity is solved explicitly, not by the network: the coarse network marks every vertebral centre
and the anchor vertebra (C2 in a cervical film, S1 in a lumbar one); the chain walks from the anchor
centre to the nearest next centre in the direction of the column, one pitch at a time (bridging a
single missed vertebra), and names vertebrae by their count from the anchor. Each corner is the
nearest corner peak on the correct side (superior or inferior) of its vertebra's centre.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch
import torch.nn.functional as nnf

from axspa.spine.sites import VERTEBRAE


def peaks(heatmap: np.ndarray, threshold: float, radius: int = 2) -> np.ndarray:
    """Local maxima above ``threshold`` as rows (x, y, value), sub-pixel by a 3x3 weighted centroid."""
    t = torch.from_numpy(np.ascontiguousarray(heatmap, dtype=np.float32))[None, None]
    mx = nnf.max_pool2d(t, 2 * radius + 1, 1, radius)
    ys, xs = torch.nonzero((t == mx)[0, 0] & (t[0, 0] > threshold), as_tuple=True)
    out = [refine_peak(heatmap, int(x), int(y)) for x, y in zip(xs.tolist(), ys.tolist())]
    return np.array(out, float).reshape(-1, 3)


def refine_peak(heatmap: np.ndarray, x: int, y: int, r: int = 1) -> tuple[float, float, float]:
    h, w = heatmap.shape
    y0, y1, x0, x1 = max(0, y - r), min(h, y + r + 1), max(0, x - r), min(w, x + r + 1)
    win = np.clip(heatmap[y0:y1, x0:x1].astype(float), 0, None)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    s = win.sum()
    if s <= 0:
        return float(x), float(y), float(heatmap[y, x])
    return float((xx * win).sum() / s), float((yy * win).sum() / s), float(heatmap[y, x])


def chain_vertebrae(centers: np.ndarray, anchor: Optional[np.ndarray], region: str) -> list[Optional[np.ndarray]]:
    """Centres (x, y, value) -> the region's vertebrae top to bottom (rows or None when missed).

    Without an anchor (not found) the chain starts at the end where the anchor lies on an upright film:
    the top-most centre for C2, the bottom-most for S1."""
    n = len(VERTEBRAE[region])
    if len(centers) == 0:
        return [None] * n
    pts = centers[:, :2]
    if len(pts) >= 2:
        d = np.linalg.norm(pts[:, None] - pts[None], axis=2) + np.eye(len(pts)) * 1e9
        pitch = float(np.median(d.min(1)))
    else:
        pitch = 1e9
    if anchor is None:
        start = int(np.argmin(pts[:, 1]) if region == "cervical" else np.argmax(pts[:, 1]))
    else:
        start = int(np.argmin(np.linalg.norm(pts - anchor[:2], axis=1)))
    if anchor is not None and np.linalg.norm(pts[start] - anchor[:2]) > 0.6 * pitch:  # the anchor starts
        centers = np.vstack([[anchor[0], anchor[1], anchor[2]], centers])
        pts, start = centers[:, :2], 0
    # Away from the anchor: down the film from C2, up from S1 (films are read upright).
    direction = np.array([0.0, 1.0]) if region == "cervical" else np.array([0.0, -1.0])
    chain: list[Optional[np.ndarray]] = [centers[start]]
    used = {start}
    cur, min_cos = pts[start], 0.0
    while len(chain) < n:
        nxt = _next_centre(pts, used, cur, direction, pitch, min_cos)
        if nxt is None:
            break
        k, gap = nxt
        step = pts[k] - cur
        if gap:  # one vertebra missed between: keep its place so that the names stay right
            chain.append(None)
            if len(chain) == n:
                break
        chain.append(centers[k])
        used.add(k)
        pitch = float(np.linalg.norm(step) / (2 if gap else 1))
        direction, cur, min_cos = step / np.linalg.norm(step), pts[k], 0.6
    chain += [None] * (n - len(chain))
    return chain if region == "cervical" else chain[::-1]


def _next_centre(pts: np.ndarray, used: set, cur: np.ndarray, direction: np.ndarray, pitch: float,
                 min_cos: float) -> Optional[tuple[int, bool]]:
    best = None
    for gap, (lo, hi) in ((False, (0.5, 1.6)), (True, (1.6, 2.7))):
        for k in range(len(pts)):
            if k in used:
                continue
            v = pts[k] - cur
            dist = float(np.linalg.norm(v))
            if not lo * pitch <= dist <= hi * pitch or np.dot(v, direction) / max(dist, 1e-9) < min_cos:
                continue
            if best is None or dist < best[0]:
                best = (dist, k)
        if best is not None:
            return best[1], gap
    return None


def fill_missing_centres(chain: list[Optional[np.ndarray]]) -> list[Optional[np.ndarray]]:
    """Interpolate a missed vertebra between two found ones (value 0), so its corners can be looked for."""
    out = list(chain)
    for k in range(1, len(chain) - 1):
        if chain[k] is None and chain[k - 1] is not None and chain[k + 1] is not None:
            mid = (chain[k - 1][:2] + chain[k + 1][:2]) / 2
            out[k] = np.array([mid[0], mid[1], 0.0])
    return out


def inferior_axes(chain: list[Optional[np.ndarray]]) -> list[Optional[np.ndarray]]:
    """Unit vector pointing down the column at each vertebra, from its neighbours."""
    axes: list[Optional[np.ndarray]] = []
    for k, c in enumerate(chain):
        if c is None:
            axes.append(None)
            continue
        above = next((chain[j] for j in range(k - 1, -1, -1) if chain[j] is not None), None)
        below = next((chain[j] for j in range(k + 1, len(chain)) if chain[j] is not None), None)
        a = above[:2] if above is not None else c[:2]
        b = below[:2] if below is not None else c[:2]
        v = b - a
        axes.append(v / np.linalg.norm(v) if np.linalg.norm(v) > 0 else np.array([0.0, 1.0]))
    return axes


def assign_corners(chain: list[Optional[np.ndarray]], axes: list, corner_peaks: np.ndarray, superior: bool,
                   pitch: float) -> list[Optional[np.ndarray]]:
    """For each vertebra the nearest corner peak on its superior (or inferior) side; each peak used once."""
    options = []
    for k, (c, u) in enumerate(zip(chain, axes)):
        if c is None:
            continue
        for j, p in enumerate(corner_peaks):
            v = p[:2] - c[:2]
            along = float(np.dot(v, u))
            if (along < -0.1 * pitch if superior else along > 0.1 * pitch) and np.linalg.norm(v) < 0.95 * pitch:
                options.append((float(np.linalg.norm(v)) - 0.2 * pitch * p[2], k, j))
    out: list[Optional[np.ndarray]] = [None] * len(chain)
    taken = set()
    for _, k, j in sorted(options):
        if out[k] is None and j not in taken:
            out[k] = corner_peaks[j]
            taken.add(j)
    return out
