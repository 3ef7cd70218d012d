"""Hip results against a reference: scores computed from a segmentation checked against the phantom's
ground truth (``truth.json``), as ``axspa demo`` does with the sample data."""

from __future__ import annotations

from typing import Any, Mapping

# Gray-value UNet-scores are sums of float ratios: equal within this.
UNET_TOLERANCE = 1e-6


def matches_truth(result: Mapping[str, Any], truth: Mapping[str, Any]) -> bool:
    """True when both sides' HIMRISS-style sums equal the truth's and the gray-value UNet-scores agree."""
    ours, true = result["sides"], truth["sides"]
    return all(ours[s]["himriss"] == true[s]["himriss"] and
               abs(ours[s]["unet_score"]["gray_value"] - true[s]["unet_score"]["gray_value"]) < UNET_TOLERANCE
               for s in ("right", "left"))
