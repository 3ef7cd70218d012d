"""Settings of the pelvis phantom and the modified New York grade drawn for each sacroiliac joint."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEFAULT_GRADE_PROBS: tuple[float, ...] = (0.35, 0.15, 0.15, 0.2, 0.15)
GENERATORS = {1: "axspa.phantom.pelvis", 2: "axspa.phantom.pelvis3d"}


@dataclass
class PelvisConfig:
    grade_probs: tuple[float, ...] = DEFAULT_GRADE_PROBS  # per side, grades 0..4
    symmetry: float = 0.6  # probability that the second side copies the first side's grade
    photo_fraction: float = 0.1  # cases written as a smartphone photo of a screen (JPEG)
    size: str = "full"
    generator: int = 2  # 2: projection of 3-D anatomy (axspa.phantom.pelvis3d); 1: the 2-D painter


    def __post_init__(self) -> None:
        p = np.asarray(self.grade_probs, dtype=float)
        if p.shape != (5,) or (p < 0).any() or abs(p.sum() - 1) > 1e-6:
            raise ValueError(f"grade_probs must be 5 probabilities summing to 1, got {self.grade_probs}")
        if self.generator not in GENERATORS:
            raise ValueError(f"pelvis phantom generator {self.generator!r}: choose from {sorted(GENERATORS)}")


def sample_grades(rng: np.random.Generator, config: PelvisConfig) -> dict[str, int]:
    """Per-side grades. The first side is drawn from grade_probs; the second copies it with
    probability ``symmetry``, else is drawn independently, so both sides follow grade_probs."""
    p = np.asarray(config.grade_probs, dtype=float)
    first = int(rng.choice(5, p=p))
    second = first if rng.random() < config.symmetry else int(rng.choice(5, p=p))
    if rng.random() < 0.5:
        return {"right": first, "left": second}
    return {"right": second, "left": first}
