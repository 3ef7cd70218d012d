"""The few pydicom calls whose spelling changed between pydicom 2 and 3.

Slicer 5.8 runs Python 3.9, where pydicom 2.4 is the newest release; newer Slicer and this
repository's own environment have pydicom 3. Everything else the engine uses is the same in both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pydicom

PYDICOM_MAJOR = int(pydicom.__version__.split(".")[0])


def save_part10(ds: Any, path: str | Path) -> None:
    """Write a conformant Part-10 file (preamble, file meta) whatever the pydicom version; atomically
    (temporary name, then rename), so a crash never leaves a slice cut short."""
    from axspa.results import write_file_safely

    def save(tmp: Path) -> None:
        if PYDICOM_MAJOR >= 3:
            ds.save_as(tmp, enforce_file_format=True)
        else:
            ds.save_as(str(tmp), write_like_original=False)

    write_file_safely(path, save, overwrite=True)


def ybr_to_rgb(arr: np.ndarray, photometric: str) -> np.ndarray:
    """RGB pixels of a YBR_* image: pydicom 3's pixel_array already returns RGB, pydicom 2's the stored YBR."""
    if PYDICOM_MAJOR >= 3:
        return arr
    from pydicom.pixel_data_handlers.util import convert_color_space

    return convert_color_space(arr, photometric, "RGB")


def apply_modality_lut(arr: np.ndarray, ds: Any) -> np.ndarray:
    """Modality LUT (Sequence or rescale): ``pydicom.pixels`` in pydicom 3, ``pixel_data_handlers.util`` in 2."""
    if PYDICOM_MAJOR >= 3:
        from pydicom.pixels import apply_modality_lut as apply
    else:
        from pydicom.pixel_data_handlers.util import apply_modality_lut as apply
    return apply(arr, ds)


def apply_color_lut(arr: np.ndarray, ds: Any) -> np.ndarray:
    if PYDICOM_MAJOR >= 3:
        from pydicom.pixels import apply_color_lut as apply
    else:
        from pydicom.pixel_data_handlers.util import apply_color_lut as apply
    return apply(arr, ds)
