"""The mSASSS rules (docs/scoring.md): grade each anterior vertebral corner from its
findings, sum the segments with the imputation rule, average readers and measure progression.

Everything here is plain Python: it scores model output, a hand reading or phantom ground truth alike.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Mapping, Sequence, Union

from axspa.spine.sites import ALL_SITES, FINDINGS, REGIONS, UNSCORABLE_FINDINGS, disc_levels, region_of

DEFAULT_RULESET = "msasss-chen2024"

Grade = Union[int, float, None]


@dataclass(frozen=True)
class RuleSet:
    """How findings become a grade and how missing sites are handled; every rule set names itself in
    results so a score can be traced to the rules that produced it."""

    name: str
    # Squaring is not counted at C3: its anterior border is naturally straight.
    squaring_excluded_sites: tuple[str, ...] = ("C3s", "C3i")
    bridging_grade: int = 3
    syndesmophyte_grade: int = 2
    minor_grade: int = 1  # erosion, sclerosis or squaring
    max_unscorable_imputed: int = 3  # more unscorable sites than this: the segment score is missing


RULESETS: dict[str, RuleSet] = {DEFAULT_RULESET: RuleSet(DEFAULT_RULESET)}


def get_ruleset(ruleset: str | RuleSet) -> RuleSet:
    """The RuleSet itself, or the registered one of that name (ValueError naming the known ones)."""
    if isinstance(ruleset, RuleSet):
        return ruleset
    try:
        return RULESETS[ruleset]
    except KeyError:
        raise ValueError(f"unknown mSASSS rule set {ruleset!r}; known: {', '.join(RULESETS)}") from None


# ----------------------------------------------------------------------------------------- grading

def _flags(site: str, findings: Mapping[str, float], threshold: float) -> set[str]:
    """Names of the findings at or above the threshold; unknown names and bad values are errors
    because a misspelt finding would otherwise silently grade 0."""
    unknown = set(findings) - set(FINDINGS)
    if unknown:
        raise ValueError(f"site {site}: unknown finding(s) {', '.join(sorted(unknown))}; "
                         f"expected {', '.join(FINDINGS)}")
    flags = set()
    for name, value in findings.items():
        v = float(value)
        if not (0.0 <= v <= 1.0):
            raise ValueError(f"site {site}: finding {name} = {value!r} is not a probability in [0, 1]")
        if v >= threshold:
            flags.add(name)
    return flags


def _grade_from_flags(site: str, flags: set[str], rs: RuleSet) -> int | None:
    if "bridging" in flags:
        return rs.bridging_grade
    if flags & set(UNSCORABLE_FINDINGS):
        return None
    if "syndesmophyte" in flags:
        return rs.syndesmophyte_grade
    minor = {"erosion", "sclerosis"}
    if site not in rs.squaring_excluded_sites:
        minor.add("squaring")
    return rs.minor_grade if flags & minor else 0


def grade_site(site: str, findings: Mapping[str, float], threshold: float = 0.5,
               ruleset: str | RuleSet = DEFAULT_RULESET) -> int | None:
    """Grade one site on its own (no disc context): 3 bridging, None unscorable, 2 syndesmophyte,
    1 erosion/sclerosis/squaring (squaring not at C3), else 0. A finding counts when >= threshold."""
    region_of(site)  # ValueError for an unknown site id
    return _grade_from_flags(site, _flags(site, findings, threshold), get_ruleset(ruleset))


def grade_sites(findings_by_site: Mapping[str, Mapping[str, float]], threshold: float = 0.5,
                ruleset: str | RuleSet = DEFAULT_RULESET) -> dict[str, int | None]:
    """Grade many sites with rule 1: bridging at either site of a disc level makes both sites of that
    level the bridging grade, even when the partner is unscorable or missing from the input (for a
    region the input covers). Sites are returned in the canonical order."""
    rs = get_ruleset(ruleset)
    flags = {}
    for site, findings in findings_by_site.items():
        region_of(site)
        flags[site] = _flags(site, findings, threshold)
    grades: dict[str, int | None] = {s: _grade_from_flags(s, f, rs) for s, f in flags.items()}
    regions = {region_of(s) for s in flags}
    for region in regions:
        for _name, upper, lower in disc_levels(region):
            if "bridging" in flags.get(upper, ()) or "bridging" in flags.get(lower, ()):
                grades[upper] = grades[lower] = rs.bridging_grade
    return {s: grades[s] for s in ALL_SITES if s in grades}


# ----------------------------------------------------------------------------------------- scores

def _check_grade(site: str, grade: Grade) -> None:
    if grade is None:
        return
    # NaN fails the range test too.
    if isinstance(grade, bool) or not isinstance(grade, numbers.Real) or not (0 <= grade <= 3):
        raise ValueError(f"site {site}: grade {grade!r} is not a number from 0 to 3 (or None if unscorable)")


@dataclass
class SegmentScore:
    """Score of one segment (cervical or lumbar). ``raw`` sums the scored sites; ``imputed`` adds the
    segment mean for each of 1..max unscorable sites, None when the segment is missing."""

    region: str
    raw: int | float
    imputed: float | None
    imputed_sites: list[str] = field(default_factory=list)
    missing: bool = False
    unscorable: list[str] = field(default_factory=list)
    n_scored: int = 0

    def to_dict(self) -> dict:
        return {"raw": self.raw, "imputed": self.imputed, "imputed_sites": list(self.imputed_sites),
                "missing": self.missing}


def segment_score(grades: Mapping[str, Grade], region: str,
                  ruleset: str | RuleSet = DEFAULT_RULESET) -> SegmentScore:
    """Score one segment. Sites of the region absent from ``grades`` count as unscorable; a region with
    no site in ``grades`` at all is missing. Grades of other regions are ignored. Grades may be reader
    means (floats 0-3)."""
    rs = get_ruleset(ruleset)
    if region not in REGIONS:
        raise ValueError(f"unknown region {region!r}; expected one of {', '.join(REGIONS)}")
    sites = REGIONS[region]
    for site in grades:
        region_of(site)
    present = [s for s in sites if s in grades]
    for s in present:
        _check_grade(s, grades[s])
    scored = [grades[s] for s in present if grades[s] is not None]
    unscorable = [s for s in sites if grades.get(s) is None]
    raw = sum(scored) if scored else 0
    if not present:
        return SegmentScore(region, raw, None, [], True, list(sites), 0)
    if not unscorable:
        return SegmentScore(region, raw, float(raw), [], False, [], len(scored))
    if len(unscorable) > rs.max_unscorable_imputed or not scored:
        return SegmentScore(region, raw, None, [], True, unscorable, len(scored))
    # Each unscorable site takes the mean grade of the scored sites of the same segment.
    mean = raw / len(scored)
    return SegmentScore(region, raw, float(raw + len(unscorable) * mean), list(unscorable), False,
                        unscorable, len(scored))


@dataclass
class TotalScore:
    cervical: SegmentScore
    lumbar: SegmentScore
    total: float | None  # cervical + lumbar imputed scores; None when either is missing

    def to_dict(self) -> dict:
        return {"cervical": self.cervical.to_dict(), "lumbar": self.lumbar.to_dict(), "total": self.total}


def total_score(grades: Mapping[str, Grade], ruleset: str | RuleSet = DEFAULT_RULESET) -> TotalScore:
    """Both segments and the 0-72 total."""
    cervical = segment_score(grades, "cervical", ruleset)
    lumbar = segment_score(grades, "lumbar", ruleset)
    total = None
    if cervical.imputed is not None and lumbar.imputed is not None:
        total = cervical.imputed + lumbar.imputed
    return TotalScore(cervical, lumbar, total)


def mean_of_readers(readings: Sequence[Mapping[str, Grade]]) -> dict[str, float | None]:
    """Per-site mean over the readers who scored the site; None where no reader did. Every site any
    reader listed appears, in canonical order."""
    listed = set()
    for reading in readings:
        for site, grade in reading.items():
            region_of(site)
            _check_grade(site, grade)
            listed.add(site)
    out: dict[str, float | None] = {}
    for site in ALL_SITES:
        if site not in listed:
            continue
        values = [r[site] for r in readings if r.get(site) is not None]
        out[site] = float(sum(values)) / len(values) if values else None
    return out


# ----------------------------------------------------------------------------------------- progression

@dataclass
class Progression:
    baseline_total: float | None
    followup_total: float | None
    change: float | None
    progressor: bool | None  # None when either total is missing
    new_syndesmophytes: list[str] = field(default_factory=list)
    new_bridges: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"baseline_total": self.baseline_total, "followup_total": self.followup_total,
                "change": self.change, "progressor": self.progressor,
                "new_syndesmophytes": list(self.new_syndesmophytes), "new_bridges": list(self.new_bridges)}


def _new_sites(baseline: Mapping[str, Grade], followup: Mapping[str, Grade], level: float) -> list[str]:
    # A site unscorable (or absent) at baseline is not known to have reached the level, so it counts.
    out = []
    for site in ALL_SITES:
        before, after = baseline.get(site), followup.get(site)
        if after is not None and after >= level and (before is None or before < level):
            out.append(site)
    return out


def progression(baseline: Mapping[str, Grade], followup: Mapping[str, Grade], sdc: float = 2.0,
                ruleset: str | RuleSet = DEFAULT_RULESET) -> Progression:
    """Change in total mSASSS between two visits; a progressor changes by >= sdc (2 units, the smallest
    detectable change used in the literature). New syndesmophyte: grade < 2 (or unscorable) at baseline
    and >= 2 at follow-up; new bridge: < 3 (or unscorable) -> 3."""
    rs = get_ruleset(ruleset)
    before = total_score(baseline, rs).total
    after = total_score(followup, rs).total
    change = None if before is None or after is None else after - before
    progressor = None if change is None else change >= sdc
    return Progression(before, after, change, progressor,
                       _new_sites(baseline, followup, rs.syndesmophyte_grade),
                       _new_sites(baseline, followup, rs.bridging_grade))
