"""Write the acquisition variants of a folder of annotated spine films (model-card robustness figures).

    python Utilities/make_spine_variants.py TEST_DIR OUT_DIR
"""

import sys
from pathlib import Path

from axspa.spine.variants import write_variants

if __name__ == "__main__":
    counts = write_variants(Path(sys.argv[1]), Path(sys.argv[2]))
    print(", ".join(f"{k}: {v} films" for k, v in counts.items()))
