"""Settings of the spine phantom (prevalences per finding) and the findings drawn at every site of a case."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from axspa.spine.sites import FINDINGS, REGIONS, VERTEBRAE, disc_levels

DEFAULT_PREVALENCE: dict[str, float] = {
    # Expected fraction of sites carrying each finding (bridging per disc level, squaring per vertebra).
    "erosion": 0.06, "sclerosis": 0.06, "squaring": 0.08, "syndesmophyte": 0.10, "bridging": 0.08,
    "osteophyte": 0.04, "other": 0.02, "not_visible": 0.03,
}
# Findings whose frequency scales with the patient's AS severity; the others (degenerative
# osteophytes, "other", obscured corners) do not.
SEVERITY_DRIVEN = ("erosion", "sclerosis", "squaring", "syndesmophyte", "bridging")


@dataclass
class SpineConfig:
    prevalence: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PREVALENCE))
    normal_fraction: float = 0.3  # patients without any AS lesion
    implant_prob: float = 0.03  # per image: an anterior plate over one disc level (not_visible)
    cutoff_prob: float = 0.12  # per image: the field of view cuts off the top or bottom site
    size: str = "full"  # "full" (0.1-0.2 mm spacing) or "small" (longest side ~512 px)
    region: str | None = None  # None: cervical and lumbar mixed


def _severity_multiplier(rng: np.random.Generator, normal_fraction: float) -> float:
    """Patient-level multiplier with mean 1: zero for normal patients, a skewed spread otherwise,
    so most corners are normal and a few patients are advanced (several bridged levels)."""
    if rng.random() < normal_fraction:
        return 0.0
    return float(rng.beta(0.8, 1.6) * 3.0 / (1.0 - normal_fraction))


def sample_findings(rng: np.random.Generator, region: str, config: SpineConfig) -> dict:
    """Findings 0/1 for every site of ``region`` plus the drawing plan (which lesion where).

    not_visible here covers obscured corners and implants; sites cut off by the field of view are
    added later, from the geometry."""
    prev = {**DEFAULT_PREVALENCE, **config.prevalence}
    m = _severity_multiplier(rng, config.normal_fraction)
    sites = REGIONS[region]
    findings = {s: dict.fromkeys(FINDINGS, 0) for s in sites}
    p = {k: min(prev[k] * (m if k in SEVERITY_DRIVEN else 1.0), 0.95) for k in prev}

    bridged = [lvl for lvl in disc_levels(region) if rng.random() < p["bridging"]]
    bridged_sites = {s for _, a, b in bridged for s in (a, b)}
    squared = [v for v in VERTEBRAE[region] if rng.random() < p["squaring"]]
    for _, a, b in bridged:
        findings[a]["bridging"] = findings[b]["bridging"] = 1
    for v in squared:
        for s in (v + "s", v + "i"):
            if s in findings:
                findings[s]["squaring"] = 1
    # Syndesmophyte and osteophyte are outgrowths of the same corner: drawn only where no bridge
    # is, with probabilities raised so that their overall frequency still equals the prevalence.
    free = max(1.0 - p["bridging"], 1e-6)
    q_syn, q_ost = min(p["syndesmophyte"] / free, 0.95), min(p["osteophyte"] / free, 0.95)
    for s in sites:
        f = findings[s]
        f["erosion"] = int(rng.random() < p["erosion"])
        f["sclerosis"] = int(rng.random() < p["sclerosis"])
        u = rng.random()
        if s not in bridged_sites:
            if u < q_syn:
                f["syndesmophyte"] = 1
            elif u < q_syn + q_ost:
                f["osteophyte"] = 1
        f["other"] = int(rng.random() < p["other"])
        f["not_visible"] = int(rng.random() < p["not_visible"])
    implant = None
    if rng.random() < config.implant_prob:
        implant = disc_levels(region)[int(rng.integers(0, 6))]
        for s in implant[1:]:
            findings[s]["not_visible"] = 1
    return {"findings": findings, "severity": m, "bridged": [lvl[0] for lvl in bridged],
            "squared": squared, "implant": implant[0] if implant else None}
