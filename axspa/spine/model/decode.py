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


def region_from_anchor(anchor: np.ndarray, centers: np.ndarray) -> tuple[str, float]:
    """("cervical" | "lumbar", confidence 0.5-1): C2 tops the cervical column, S1 ends the lumbar one.

    The anchor's position along the column's main axis (read upright: the axis points down the film),
    from -1 (top end) to +1 (bottom end), decides; the confidence grows with how clearly it is an end."""
    if len(centers) < 2:
        return ("cervical" if anchor[1] < 0 else "lumbar"), 0.5
    pts = centers[:, :2]
    mean = pts.mean(axis=0)
    _, _, vt = np.linalg.svd(pts - mean, full_matrices=False)
    axis = vt[0] if vt[0][1] >= 0 else -vt[0]
    proj = (pts - mean) @ axis
    half = max(float(proj.max() - proj.min()) / 2, 1e-6)
    t = float(np.clip((anchor[:2] - mean) @ axis / half, -1, 1))
    return ("cervical" if t < 0 else "lumbar"), round(0.5 + 0.5 * abs(t), 4)


def chain_vertebrae(centers: np.ndarray, anchor: Optional[np.ndarray], region: str,
                    image_size: float = 160.0) -> list[Optional[np.ndarray]]:
    """Centres (x, y, value) -> the region's vertebrae top to bottom (rows or None when missed).

    A beam search from the anchor centre picks the path of peaks that is most column-like: strong
    peaks, even steps (one vertebral pitch, or two where one vertebra was missed) and a smooth course,
    so that posterior elements or a neighbour's pedicle between two bodies are not taken for a body.
    Without an anchor the path starts where the anchor lies on an upright film: the top-most centre for
    C2, the bottom-most for S1."""
    n = len(VERTEBRAE[region])
    if len(centers) == 0:
        return [None] * n
    pts, vals = centers[:, :2], centers[:, 2]
    if anchor is None:
        start = int(np.argmin(pts[:, 1]) if region == "cervical" else np.argmax(pts[:, 1]))
    else:
        start = int(np.argmin(np.linalg.norm(pts - anchor[:2], axis=1)))
        if np.linalg.norm(pts[start] - anchor[:2]) > 0.06 * image_size:  # the anchor itself starts
            centers = np.vstack([[anchor[0], anchor[1], anchor[2]], centers])
            pts, vals, start = centers[:, :2], centers[:, 2], 0
    down = np.array([0.0, 1.0]) if region == "cervical" else np.array([0.0, -1.0])  # away from the anchor
    best = _beam_search(pts, vals, start, n, down, image_size)
    chain: list[Optional[np.ndarray]] = [None if k is None else centers[k] for k in best]
    chain += [None] * (n - len(chain))
    return chain if region == "cervical" else chain[::-1]


def _beam_search(pts: np.ndarray, vals: np.ndarray, start: int, n: int, down: np.ndarray, size: float,
                 width: int = 40) -> list[Optional[int]]:
    lo, hi = 0.04 * size, 0.3 * size  # a vertebral pitch in a letterboxed film, generously
    beams = [(float(vals[start]), [start], [])]  # (score, path with None for a missed vertebra, step lengths)
    finished = []
    while beams:
        grown = []
        for score, path, steps in beams:
            if len(path) >= n:
                finished.append((score, path))
                continue
            finished.append((score - 0.6 * (n - len(path)), path))  # stopping early costs per vertebra left
            last = [k for k in path if k is not None][-1]
            cur = pts[last]
            prev = _last_step(pts, path)
            for k in range(len(pts)):
                if k in path:
                    continue
                v = pts[k] - cur
                d = float(np.linalg.norm(v))
                for skip in (1, 2):
                    if skip == 2 and len(path) + 2 > n:
                        continue
                    step = d / skip
                    if not lo <= step <= hi:
                        continue
                    ref = float(np.median(steps)) if steps else step
                    cos = float(np.dot(v, prev if prev is not None else down) / max(d, 1e-9))
                    if cos < (0.75 if prev is not None else 0.0):
                        continue
                    s = (score + vals[k] - 2.0 * abs(step / ref - 1.0) - 1.5 * (1.0 - cos)
                         - (0.8 if skip == 2 else 0.0))
                    grown.append((s, path + [None] * (skip - 1) + [k], steps + [step]))
        grown.sort(key=lambda b: -b[0])
        beams = grown[:width]
    return max(finished, key=lambda b: b[0])[1]


def _last_step(pts: np.ndarray, path: list) -> Optional[np.ndarray]:
    found = [k for k in path if k is not None]
    if len(found) < 2:
        return None
    v = pts[found[-1]] - pts[found[-2]]
    return v / max(np.linalg.norm(v), 1e-9)


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


def anterior_side(chain: list[Optional[np.ndarray]], axes: list, corner_peaks: np.ndarray, pitch: float) -> float:
    """+1 or -1: on which side of the column (relative to its downward axis) the anterior corners lie,
    by a vote of each vertebra's nearest corner peak (the film may face either way)."""
    vote = 0.0
    for c, u in zip(chain, axes):
        if c is None or not len(corner_peaks):
            continue
        v = corner_peaks[:, :2] - c[:2]
        d = np.linalg.norm(v, axis=1)
        ring = (d > 0.25 * pitch) & (d < 0.95 * pitch)  # corners, not the middle of the body
        if ring.any():
            perp = v[ring] @ np.array([-u[1], u[0]])
            vote += float(np.sum(np.sign(perp) * corner_peaks[ring, 2]))
    return 1.0 if vote >= 0 else -1.0


def assign_corners(chain: list[Optional[np.ndarray]], axes: list, corner_peaks: np.ndarray, superior: bool,
                   pitch: float, side: float = 0.0) -> list[Optional[np.ndarray]]:
    """For each vertebra the nearest corner peak on its superior (or inferior) side, and on the anterior
    ``side`` (see ``anterior_side``; 0 = either); each peak used once."""
    options = []
    for k, (c, u) in enumerate(zip(chain, axes)):
        if c is None:
            continue
        normal = np.array([-u[1], u[0]])
        for j, p in enumerate(corner_peaks):
            v = p[:2] - c[:2]
            along = float(np.dot(v, u))
            if side and float(np.dot(v, normal)) * side < 0.1 * pitch:
                continue  # a posterior corner, or the centre of the body
            if (along < -0.1 * pitch if superior else along > 0.1 * pitch) and np.linalg.norm(v) < 0.95 * pitch:
                options.append((float(np.linalg.norm(v)) - 0.2 * pitch * p[2], k, j))
    out: list[Optional[np.ndarray]] = [None] * len(chain)
    taken = set()
    for _, k, j in sorted(options):
        if out[k] is None and j not in taken:
            out[k] = corner_peaks[j]
            taken.add(j)
    return out
