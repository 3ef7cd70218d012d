"""Images for the sacroiliac-joint networks (numpy only, shared by training and the predictor): the whole film
letterboxed for the locator, a square crop around one joint for the grader, and their inverse mappings."""

from __future__ import annotations

from typing import Optional, Tuple

import numpy as np
from PIL import Image
from scipy import ndimage

from axspa.sij.model.network import CROP_MM, CROP_PX, LOCATOR_SIZE

# Both joint centres of an adult AP film lie about this far apart on the detector (phantom median; the card
# says so): the scale of a photo without a pixel spacing comes from the joints the locator finds.
TYPICAL_JOINT_DISTANCE_MM = 92.0


def normalise(img: np.ndarray, mask: Optional[np.ndarray] = None) -> np.ndarray:
    """Percentiles 1-99 of the image (or of ``mask``) -> 0..1, float32."""
    step = (max(1, img.shape[0] // 256), max(1, img.shape[1] // 256))
    ref = img[mask] if mask is not None and mask.any() else img[:: step[0], :: step[1]]
    lo, hi = np.percentile(ref, [1, 99])
    return np.clip((img - lo) / max(hi - lo, 1e-6), 0, 1).astype(np.float32)


def letterbox(pixels: np.ndarray, size: int = LOCATOR_SIZE) -> Tuple[np.ndarray, float, Tuple[float, float]]:
    """The film scaled to fit size x size (aspect kept, zero padding): (image, scale, (x0, y0)) where a pixel
    (column c, row r) of the film lands at (x0 + c * scale, y0 + r * scale)."""
    rows, cols = pixels.shape
    scale = size / max(rows, cols)
    w, h = max(int(round(cols * scale)), 1), max(int(round(rows * scale)), 1)
    small = np.asarray(Image.fromarray(np.asarray(pixels, np.float32)).resize((w, h), Image.Resampling.BOX))
    out = np.zeros((size, size), np.float32)
    x0, y0 = (size - w) // 2, (size - h) // 2
    out[y0:y0 + h, x0:x0 + w] = normalise(small)
    return out, scale, (float(x0), float(y0))


def crop_matrix(centre: Tuple[float, float], mm_per_px: float, mirror: bool, size_px: int = CROP_PX,
                side_mm: float = CROP_MM, angle_deg: float = 0.0, zoom: float = 1.0) -> np.ndarray:
    """3x3 matrix from crop (column, row, 1) to film (column, row, 1): a side_mm square centred on the joint,
    mirrored left-right for the right joint, turned by ``angle_deg`` and magnified by ``zoom`` (augmentation)."""
    step = side_mm / size_px / mm_per_px / zoom  # film pixels per crop pixel
    a = np.deg2rad(angle_deg)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) * step
    if mirror:
        rot = rot @ np.diag([-1.0, 1.0])
    half = (size_px - 1) / 2
    m = np.eye(3)
    m[:2, :2] = rot
    m[:2, 2] = np.asarray(centre, float) - rot @ np.array([half, half])
    return m


def crop(pixels: np.ndarray, matrix: np.ndarray, size_px: int = CROP_PX) -> np.ndarray:
    """Sample the film through ``crop_matrix`` (anti-aliased when it shrinks), normalised to 0..1."""
    step = float(np.sqrt(abs(np.linalg.det(matrix[:2, :2]))))
    corners = matrix @ np.array([[0, 0, 1], [size_px, 0, 1], [0, size_px, 1], [size_px, size_px, 1]], float).T
    c0, r0 = np.floor(corners[:2].min(1)).astype(int) - 2
    c1, r1 = np.ceil(corners[:2].max(1)).astype(int) + 3
    rows, cols = pixels.shape
    src = np.zeros((r1 - r0, c1 - c0), np.float32)
    sr0, sc0, sr1, sc1 = max(r0, 0), max(c0, 0), min(r1, rows), min(c1, cols)
    if sr1 > sr0 and sc1 > sc0:
        src[sr0 - r0:sr1 - r0, sc0 - c0:sc1 - c0] = pixels[sr0:sr1, sc0:sc1]
        inside = np.zeros(src.shape, bool)
        inside[sr0 - r0:sr1 - r0, sc0 - c0:sc1 - c0] = True
        fill = float(np.median(src[inside]))
        src[~inside] = fill
    if step > 1.3:
        src = ndimage.gaussian_filter(src, 0.45 * step)
    # (row, col) of the crop -> (row, col) of src
    lin = matrix[:2, :2][::-1, ::-1]
    off = matrix[:2, 2][::-1] - np.array([r0, c0])
    out = ndimage.affine_transform(src, lin, offset=off, output_shape=(size_px, size_px), order=1, mode="nearest")
    return normalise(out)


def to_film(matrix: np.ndarray, points_crop: np.ndarray) -> np.ndarray:
    """Crop (column, row) points -> film (column, row)."""
    p = np.atleast_2d(points_crop)
    return (matrix[:2, :2] @ p.T).T + matrix[:2, 2]


def paste_back(values: np.ndarray, matrix: np.ndarray, shape: Tuple[int, int]) -> np.ndarray:
    """A crop-grid map laid back onto the film grid (zero outside the crop), float32."""
    inv = np.linalg.inv(matrix)
    lin = inv[:2, :2][::-1, ::-1]
    off = inv[:2, 2][::-1]
    return ndimage.affine_transform(np.asarray(values, np.float32), lin, offset=off, output_shape=shape, order=1,
                                    mode="constant", cval=0.0).astype(np.float32)


def heat_targets(points: np.ndarray, size: int = LOCATOR_SIZE, sigma: float = 3.0) -> np.ndarray:
    """Gaussian peaks (max 1) at each (x, y) of ``points`` on a size x size grid: [len(points), size, size]."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    return np.stack([np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * sigma * sigma)) for x, y in points])
