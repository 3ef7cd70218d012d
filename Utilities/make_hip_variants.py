"""Write the acquisition variants of a folder of hip phantom cases (model-card robustness figures).

    python Utilities/make_hip_variants.py TEST_DIR OUT_DIR [FIRST_N]

TEST_DIR is a folder written by ``axspa phantom hip``. OUT_DIR gets original/ (the first N cases as they
are) and one folder per variant (bias, field3t, fatsat_fail, thin_inplane, coarse_inplane, thick_slices,
many_slices, oblique; see axspa/hip/variants.py), each with the phantom's layout. Then, for each folder V:
    axspa hip OUT_DIR/V/<case>/dicom --out PRED/V/<case> --model-dir BUNDLES   (for each case)
    axspa evaluate hip --truth OUT_DIR/V --pred PRED/V
"""

import sys
import time
from pathlib import Path

from axspa.hip.variants import write_variants

if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    first = int(sys.argv[3]) if len(sys.argv) > 3 else None
    start = time.perf_counter()
    counts = write_variants(Path(sys.argv[1]), Path(sys.argv[2]), first=first)
    print(", ".join(f"{k}: {v} cases" for k, v in counts.items()) + f" ({time.perf_counter() - start:.1f} s)")
