"""Hip STIR segments: names (SPEC: Hip inflammation), label values, fixed colours, terminology."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SegmentDef:
    name: str
    label: int
    color: tuple[float, float, float]  # RGB 0-1, fixed so every case looks the same
    side: str  # 'right' or 'left' (patient side)
    region: str  # 'femoral_head', 'acetabulum', 'femoral_bme', 'acetabular_bme', 'effusion'
    parent: str | None  # bone a BME segment lies inside


def _rgb(r: int, g: int, b: int) -> tuple[float, float, float]:
    return (r / 255.0, g / 255.0, b / 255.0)


HIP_SEGMENTS: tuple[SegmentDef, ...] = (
    SegmentDef("Right femoral head", 1, _rgb(241, 214, 145), "right", "femoral_head", None),
    SegmentDef("Left femoral head", 2, _rgb(230, 190, 110), "left", "femoral_head", None),
    SegmentDef("Right acetabulum", 3, _rgb(177, 122, 101), "right", "acetabulum", None),
    SegmentDef("Left acetabulum", 4, _rgb(150, 98, 83), "left", "acetabulum", None),
    SegmentDef("Right femoral BME", 5, _rgb(216, 101, 79), "right", "femoral_bme", "Right femoral head"),
    SegmentDef("Left femoral BME", 6, _rgb(200, 60, 60), "left", "femoral_bme", "Left femoral head"),
    SegmentDef("Right acetabular BME", 7, _rgb(230, 130, 40), "right", "acetabular_bme", "Right acetabulum"),
    SegmentDef("Left acetabular BME", 8, _rgb(210, 110, 20), "left", "acetabular_bme", "Left acetabulum"),
    SegmentDef("Right effusion-synovitis", 9, _rgb(111, 184, 210), "right", "effusion", None),
    SegmentDef("Left effusion-synovitis", 10, _rgb(70, 140, 200), "left", "effusion", None),
)
SEGMENT_BY_NAME: dict[str, SegmentDef] = {s.name: s for s in HIP_SEGMENTS}
LESION_REGIONS: tuple[str, ...] = ("femoral_bme", "acetabular_bme", "effusion")


def segment(side: str, region: str) -> SegmentDef:
    """The segment for a patient side ('right'/'left') and region name."""
    for s in HIP_SEGMENTS:
        if s.side == side and s.region == region:
            return s
    raise KeyError((side, region))
