"""What the command line and the Hip Inflammation panel say about hip scores: the per-side lines, the
results table rows and the panel's summary."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional, Sequence

from axspa.texts import number


def side_lines(doc: Mapping[str, Any]) -> str:
    """``axspa hip``: one line per side with the UNet-score (both variants) and the HIMRISS-style total."""
    lines = []
    for side in ("right", "left"):
        s = doc["sides"][side]
        lines.append(f"{side}: UNet-score {number(s['unet_score']['gray_value'], '.3f')} (gray value), "
                     f"{number(s['unet_score']['area_fraction'], '.3f')} (area), "
                     f"HIMRISS-style total {s['himriss']['total']}")
    return "\n".join(lines)


HIP_TABLE_COLUMNS: tuple[str, ...] = ("Measure", "Right", "Left")


def hip_result_rows(sides: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    """Rows (Measure, Right, Left) of the hip results table from ``hip_scores`` output."""
    right, left = sides["right"], sides["left"]

    def both(get: Callable[[Mapping[str, Any]], Any], fmt: str = ".3f") -> tuple[str, str]:
        return tuple(number(get(s), fmt, missing="-") for s in (right, left))

    # Labels of at most 28 characters: with the two value columns the table fits a 400 px module panel.
    rows = [["Femoral head found", *both(lambda s: "yes" if s["femoral_head_found"] else "no", "")],
            ["Scoring slices", *both(lambda s: _slice_range(s["scoring_slices"]), "")],
            ["UNet-score, gray value", *both(lambda s: s["unet_score"]["gray_value"])],
            ["UNet-score, area fraction", *both(lambda s: s["unet_score"]["area_fraction"])]]
    for region, label in (("femoral BME", "Femoral BME"), ("acetabular BME", "Acetabular BME"),
                          ("effusion-synovitis", "Effusion-synovitis")):
        rows.append([f"{label} (mL)",
                     *both(lambda s, r=region: _lesion_volume(s["lesion_volume_ml"], r), ".2f")])
    for key, label in (("femoral_bme", "femoral BME"), ("acetabular_bme", "acetabular BME"),
                       ("effusion", "effusion"), ("total", "total")):
        rows.append([f"HIMRISS-style {label}", *both(lambda s, k=key: s["himriss"][k], "")])
    if any("edema_probability" in s for s in (right, left)):  # the model's lesion decision, per side
        for key, label in (("femoral_bme", "femoral BME"), ("acetabular_bme", "acetabular BME"),
                           ("effusion", "effusion")):
            rows.append([f"P(any {label})",
                         *both(lambda s, k=key: s.get("edema_probability", {}).get(k), ".2f")])
    return rows


def _slice_range(slices: Sequence[int]) -> str:
    return f"{min(slices)}-{max(slices)} ({len(slices)})" if slices else "none"


def _lesion_volume(volumes: Mapping[str, float], region: str) -> Optional[float]:
    # Keys are the segment names of that side ('Right femoral BME'); match by region suffix.
    for name, value in volumes.items():
        if name.lower().endswith(region.lower()):
            return float(value)
    return None


def hip_summary(sides: Mapping[str, Mapping[str, Any]]) -> str:
    """The panel: one line per side, UNet-score and HIMRISS-style total, or why the side was not scored."""
    lines = []
    for side in ("right", "left"):
        s = sides[side]
        if not s["femoral_head_found"]:
            lines.append(f"{side.capitalize()}: not scored ({s.get('reason') or 'no femoral head'})")
            continue
        lines.append(f"{side.capitalize()}: UNet-score {number(s['unet_score']['gray_value'], '.3f')}, "
                     f"HIMRISS-style total {s['himriss']['total']}")
    return "\n".join(lines)
