"""Scalar NRRD files that Slicer and ITK place where they belong (heat maps, probability maps).

Arrays are [k, j, i] (or [j, i]) as in the rest of the engine; the file's first axis is i. Files are
written in LPS like Slicer itself writes them; reading accepts RAS, LPS, LAS and no space at all.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from axspa.image import InputError

_LPS_FROM_RAS = np.diag([-1.0, -1.0, 1.0])
# Sign that turns each named space's axes into RAS.
_SPACE_TO_RAS = {
    "right-anterior-superior": (1.0, 1.0, 1.0), "ras": (1.0, 1.0, 1.0),
    "left-posterior-superior": (-1.0, -1.0, 1.0), "lps": (-1.0, -1.0, 1.0),
    "left-anterior-superior": (-1.0, 1.0, 1.0), "las": (-1.0, 1.0, 1.0),
}


def nrrd_geometry_header(ijk_to_ras: np.ndarray) -> dict:
    """space / space directions / space origin (LPS) for a 3D grid, rows = file axes i, j, k."""
    m = np.asarray(ijk_to_ras, dtype=float)
    if m.shape != (4, 4):
        raise ValueError(f"ijk_to_ras must be 4x4, got {m.shape}")
    return {
        "space": "left-posterior-superior",
        "space directions": (_LPS_FROM_RAS @ m[:3, :3]).T,
        "space origin": _LPS_FROM_RAS @ m[:3, 3],
    }


def ijk_to_ras_from_header(header: dict, n_space_axes: int | None = None) -> np.ndarray:
    """IJK-to-RAS from a NRRD header (axspa.io.nrrd_format.read); ``n_space_axes`` domain rows of 'space directions'."""
    space = str(header.get("space", "")).lower()
    m = np.eye(4)
    dirs = header.get("space directions")
    if dirs is not None and space:
        if space not in _SPACE_TO_RAS:
            raise ValueError(f"NRRD space {space!r} is not supported (use RAS, LPS or LAS)")
        rows = [np.asarray(r, dtype=float) for r in dirs if r is not None and np.all(np.isfinite(
            np.asarray(r, dtype=float)))]
        if n_space_axes is not None:
            rows = rows[:n_space_axes]
        to_ras = np.diag(_SPACE_TO_RAS[space])
        dim = len(rows[0]) if rows else 3
        for c, row in enumerate(rows):
            m[:dim, c] = (to_ras[:dim, :dim] @ row)
        origin = header.get("space origin")
        if origin is not None:
            origin = np.asarray(origin, dtype=float)
            m[: origin.size, 3] = to_ras[: origin.size, : origin.size] @ origin
        return m
    spacings = header.get("spacings")
    if spacings is not None:
        for c, s in enumerate(np.asarray(spacings, dtype=float)[:3]):
            m[c, c] = s if np.isfinite(s) else 1.0
    return m


def write_nrrd_file(path: str | Path, array: np.ndarray, header: dict, compression_level: int = 9) -> None:
    """Write ``array`` (C order) with ``header`` (axspa.io.nrrd_format; no time stamp, so equal inputs give
    equal bytes)."""
    from axspa.io.nrrd_format import to_bytes
    from axspa.results import write_file_safely

    raw = to_bytes(array, header, compression_level)
    # atomic (temporary name, then rename); whether to replace is the caller's decision
    write_file_safely(path, lambda tmp: Path(tmp).write_bytes(raw), overwrite=True)


def write_nrrd(path: str | Path, array: np.ndarray, ijk_to_ras: np.ndarray, *, compress: bool = True) -> None:
    """Write a scalar image [k, j, i] or [j, i] (a 2D grid is stored as one slice, as Slicer does)."""
    array = np.asarray(array)
    if array.ndim == 2:
        array = array[np.newaxis]
    if array.ndim != 3:
        raise ValueError(f"array must be [k, j, i] or [j, i], got shape {array.shape}")
    if array.dtype == bool:
        array = array.astype(np.uint8)
    if array.dtype == np.float16:
        array = array.astype(np.float32)
    header = {
        "dimension": 3,
        "kinds": ["domain", "domain", "domain"],
        "endian": "little",
        "encoding": "gzip" if compress else "raw",
        **nrrd_geometry_header(ijk_to_ras),
    }
    write_nrrd_file(path, np.ascontiguousarray(array), header)


def read_nrrd(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read a scalar NRRD -> (array [k, j, i] or [j, i] for a 2D file, IJK-to-RAS 4x4)."""
    from axspa.io import nrrd_format

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: file not found")
    try:
        data, header = nrrd_format.read(path)
    except Exception as e:  # NrrdFormatError (a ValueError) for headers and data, OSError, MemoryError
        raise InputError(f"{path}: not a readable NRRD file ({e})") from e
    kinds = [str(k).lower() for k in header.get("kinds", ["domain"] * data.ndim)]
    if any(k not in ("domain", "space", "time") for k in kinds) or data.ndim not in (2, 3):
        raise InputError(f"{path}: NRRD has kinds {kinds} and shape {tuple(data.shape)}; expected a 2D or "
                         f"3D scalar image")
    try:
        m = ijk_to_ras_from_header(header, data.ndim)
    except ValueError as e:
        raise InputError(f"{path}: {e}") from e
    return data, m
