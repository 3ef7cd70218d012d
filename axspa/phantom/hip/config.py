"""Settings of the hip STIR phantom: tissue values (fluid = 1), the generator id and HipPhantomConfig."""

from __future__ import annotations

from dataclasses import dataclass

SIDES = {"right": 1.0, "left": -1.0}  # patient side -> sign of its x in the patient frame
GENERATORS = (2, 3)  # 2: the phantoms as first shipped; 3: plus the confounders of real hips (confounders.py)
GENERATOR = "axspa.phantom.hip/3"  # the default generator's id


def generator_id(generator: int) -> str:
    """The id written to truth.json (and into the DICOM UIDs' seed) for a generator number."""
    return f"axspa.phantom.hip/{generator}"

# STIR tissue values relative to free fluid.
FAT = 0.05
CORTEX = 0.015
CARTILAGE = 0.3
LABRUM = 0.03
CAPSULE = 0.06
URINE = 0.97
EDEMA_OUTLINE = 0.4  # fraction of an edema's peak signal above which a reader outlines it




@dataclass
class HipPhantomConfig:
    """Lesion prevalences are per hip (each side drawn independently)."""

    bme_prevalence: float = 0.4
    acetabular_bme_prevalence: float = 0.3
    effusion_prevalence: float = 0.35
    oblique_probability: float = 0.3
    size: str = "full"  # "full": 256-512 matrix, 0.6-1.0 mm; "small": 128-160 matrix for tests/training
    generator: int = 3  # 2 reproduces axspa.phantom.hip/2 byte for byte; 3 adds the non-edema confounders

    def __post_init__(self) -> None:
        if isinstance(self.generator, bool) or self.generator not in GENERATORS:
            raise ValueError(f"generator must be one of {', '.join(map(str, GENERATORS))} "
                             f"(axspa.phantom.hip/2 or /3), got {self.generator!r}")
        if self.size not in ("full", "small"):
            raise ValueError(f"size must be 'full' or 'small', got {self.size!r}")
        for name in ("bme_prevalence", "acetabular_bme_prevalence", "effusion_prevalence",
                     "oblique_probability"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1], got {value}")
