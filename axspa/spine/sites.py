"""The 24 mSASSS sites, their disc levels and the findings a site can carry (docs/scoring.md)."""

from __future__ import annotations

CERVICAL_SITES: tuple[str, ...] = (
    "C2i", "C3s", "C3i", "C4s", "C4i", "C5s", "C5i", "C6s", "C6i", "C7s", "C7i", "T1s",
)
LUMBAR_SITES: tuple[str, ...] = (
    "T12i", "L1s", "L1i", "L2s", "L2i", "L3s", "L3i", "L4s", "L4i", "L5s", "L5i", "S1s",
)
REGIONS: dict[str, tuple[str, ...]] = {"cervical": CERVICAL_SITES, "lumbar": LUMBAR_SITES}
ALL_SITES: tuple[str, ...] = CERVICAL_SITES + LUMBAR_SITES

# Findings that grade a corner, and those that make it unscorable.
GRADING_FINDINGS: tuple[str, ...] = ("erosion", "sclerosis", "squaring", "syndesmophyte", "bridging")
UNSCORABLE_FINDINGS: tuple[str, ...] = ("osteophyte", "other", "not_visible")
FINDINGS: tuple[str, ...] = GRADING_FINDINGS + UNSCORABLE_FINDINGS

# Vertebrae whose anterior corners appear in each region, top to bottom.
VERTEBRAE: dict[str, tuple[str, ...]] = {
    "cervical": ("C2", "C3", "C4", "C5", "C6", "C7", "T1"),
    "lumbar": ("T12", "L1", "L2", "L3", "L4", "L5", "S1"),
}


def region_of(site: str) -> str:
    """Return 'cervical' or 'lumbar' for a site id; ValueError for an unknown id."""
    for region, sites in REGIONS.items():
        if site in sites:
            return region
    raise ValueError(f"unknown mSASSS site {site!r}; expected one of {', '.join(ALL_SITES)}")


def disc_levels(region: str) -> list[tuple[str, str, str]]:
    """Disc levels of a region as (name, upper site, lower site), e.g. ('C2/3', 'C2i', 'C3s')."""
    sites = REGIONS[region]
    return [(_disc_name(upper[:-1], lower[:-1]), upper, lower)
            for upper, lower in zip(sites[0::2], sites[1::2])]


def _disc_name(upper: str, lower: str) -> str:
    # Same letter: 'L1/2'; across a junction: 'C7/T1', 'L5/S1'.
    return f"{upper}/{lower[1:]}" if upper[0] == lower[0] else f"{upper}/{lower}"


def disc_of(site: str) -> tuple[str, str, str]:
    """The disc level (name, upper, lower) a site belongs to."""
    for level in disc_levels(region_of(site)):
        if site in level[1:]:
            return level
    raise ValueError(site)  # unreachable: every site is on a level


_SITE_BY_LOWER = {s.lower(): s for s in ALL_SITES}


def canonical_site(text: str) -> str | None:
    """The site id for a cell as readers type it ('c3S ' -> 'C3s'); None when it is no site."""
    return _SITE_BY_LOWER.get(text.strip().lower())
