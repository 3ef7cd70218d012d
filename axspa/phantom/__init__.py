"""Synthetic phantoms with exact truth: shared physics (xray, shapes, mri, montage), one subpackage per kind."""

from __future__ import annotations

import sys
from pathlib import Path


def generate(kind: str, out: Path, n: int, seed: int, start: int = 0, config=None,
             overwrite: bool = False) -> list[str]:
    """Write cases start..start+n-1 of ``kind`` into ``out``; return their ids. Case i comes from
    np.random.default_rng([seed, i, ...]), so the same seed gives the same bytes whatever ``n``.
    Every file is written atomically (a hip case folder appears only when complete); files (folders)
    that differ from the new case are kept unless ``overwrite``."""
    try:
        from tqdm import tqdm
    except ImportError:  # 3D Slicer's Python has no tqdm: no bar
        from axspa.progress import tqdm

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ids = []
    # A progress bar on a terminal: thousands of training cases take minutes.
    for i in tqdm(range(start, start + n), desc=f"phantom {kind}", unit="case",
                  disable=n < 2 or not sys.stderr.isatty()):
        case_id = f"{kind}-{i:05d}"
        if kind == "spine":
            from axspa.phantom.spine import make_spine_case, write_spine_case

            write_spine_case(make_spine_case(case_id, seed, i, config), out, overwrite)
        elif kind == "pelvis":
            from axspa.phantom.pelvis import make_pelvis_case, write_pelvis_case

            write_pelvis_case(make_pelvis_case(case_id, seed, i, config), out, overwrite)
        else:
            from axspa.phantom.hip import generate_hip_case

            generate_hip_case(out, case_id, [seed, i], config, overwrite)
        ids.append(case_id)
    return ids
