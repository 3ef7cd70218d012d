"""Write the acquisition variants of a folder of annotated spine films (model-card robustness figures).

    python Utilities/make_spine_variants.py TEST_DIR OUT_DIR [FIRST_N]

then, for each folder V of OUT_DIR (original and the five variants):
    axspa spine OUT_DIR/V/*.dcm (or *.jpg) --out PRED/V --model-dir BUNDLES
    axspa evaluate spine --truth OUT_DIR/V --pred PRED/V --json
"""

import sys
from pathlib import Path

from axspa.spine.variants import write_variants

if __name__ == "__main__":
    first = int(sys.argv[3]) if len(sys.argv) > 3 else None
    counts = write_variants(Path(sys.argv[1]), Path(sys.argv[2]), first=first)
    print(", ".join(f"{k}: {v} films" for k, v in counts.items()))
