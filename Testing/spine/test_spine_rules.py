"""mSASSS rules (docs/scoring.md), each checked on a case worked by hand."""

from __future__ import annotations

import dataclasses

import pytest

from axspa.spine.rules import (
    DEFAULT_RULESET,
    RULESETS,
    RuleSet,
    grade_site,
    grade_sites,
    mean_of_readers,
    progression,
    segment_score,
    total_score,
)
from axspa.spine.sites import CERVICAL_SITES, LUMBAR_SITES

NONE = {}  # no finding flagged


def f(*names: str, value: float = 1.0) -> dict[str, float]:
    return {n: value for n in names}


# ----------------------------------------------------------------------------------- one site


@pytest.mark.parametrize("findings, grade", [
    (NONE, 0),
    (f("erosion"), 1),
    (f("sclerosis"), 1),
    (f("squaring"), 1),
    (f("syndesmophyte"), 2),
    (f("syndesmophyte", "erosion"), 2),
    (f("bridging"), 3),
    (f("bridging", "osteophyte"), 3),  # rule 1 wins over an unscorable flag
    (f("osteophyte"), None),
    (f("other"), None),
    (f("not_visible", "syndesmophyte"), None),  # rule 2 before rule 3
])
def test_grade_site_rules(findings, grade):
    assert grade_site("L3s", findings) == grade


def test_squaring_not_counted_at_c3_but_at_c4():
    assert grade_site("C3s", f("squaring")) == 0
    assert grade_site("C3i", f("squaring")) == 0
    assert grade_site("C4s", f("squaring")) == 1
    assert grade_site("C3i", f("squaring", "erosion")) == 1  # erosion still counts at C3


def test_threshold_on_probabilities():
    assert grade_site("L1s", {"syndesmophyte": 0.49, "erosion": 0.51}) == 1
    assert grade_site("L1s", {"syndesmophyte": 0.49}, threshold=0.4) == 2
    assert grade_site("L1s", {"syndesmophyte": 0.5}) == 2  # at the threshold counts


def test_bad_site_or_finding_is_an_error():
    with pytest.raises(ValueError, match="unknown mSASSS site"):
        grade_site("C1s", NONE)
    with pytest.raises(ValueError, match="unknown finding"):
        grade_site("C2i", {"syndesmophyt": 1.0})
    with pytest.raises(ValueError, match="probability"):
        grade_site("C2i", {"erosion": 1.5})
    with pytest.raises(ValueError, match="unknown mSASSS rule set"):
        grade_site("C2i", NONE, ruleset="nope")


def test_custom_ruleset_counts_squaring_at_c3():
    rs = RuleSet("no-c3-exception", squaring_excluded_sites=())
    assert grade_site("C3s", f("squaring"), ruleset=rs) == 1
    assert RULESETS[DEFAULT_RULESET].squaring_excluded_sites == ("C3s", "C3i")


# ----------------------------------------------------------------------------------- disc levels


def test_bridging_with_osteophyte_makes_both_sites_of_the_level_3():
    # C4/5 = C4i + C5s. Bridging flagged on C4i only, C5s carries an osteophyte (unscorable alone).
    grades = grade_sites({"C4i": f("bridging"), "C5s": f("osteophyte"), "C5i": f("osteophyte")})
    assert grades == {"C4i": 3, "C5s": 3, "C5i": None}


def test_bridging_fills_a_partner_absent_from_the_input():
    grades = grade_sites({"L5i": NONE, "S1s": f("bridging")})
    assert grades == {"L5i": 3, "S1s": 3}
    grades = grade_sites({"L2s": f("bridging")})
    assert grades == {"L1i": 3, "L2s": 3}  # L1/2 = L1i + L2s


def test_bridging_does_not_cross_disc_levels():
    # C3s and C3i belong to different levels (C2/3 and C3/4): bridging at C2i leaves C3i alone.
    grades = grade_sites({"C2i": f("bridging"), "C3s": NONE, "C3i": f("erosion")})
    assert grades == {"C2i": 3, "C3s": 3, "C3i": 1}


# ----------------------------------------------------------------------------------- segments


def grades_of(sites, values):
    return dict(zip(sites, values))


def test_segment_all_scored():
    g = grades_of(CERVICAL_SITES, [0, 1, 2, 3, 0, 0, 0, 0, 2, 2, 1, 0])  # sum 11
    s = segment_score(g, "cervical")
    assert (s.raw, s.imputed, s.imputed_sites, s.missing, s.n_scored) == (11, 11.0, [], False, 12)


def test_imputation_two_unscorable_of_twelve():
    # 10 scored sites summing to 15 (mean 1.5); 2 unscorable -> 15 + 2 * 1.5 = 18.
    values = [3, 3, 2, 2, 1, 1, 1, 1, 1, 0, None, None]
    s = segment_score(grades_of(LUMBAR_SITES, values), "lumbar")
    assert s.raw == 15
    assert s.imputed == pytest.approx(18.0)
    assert s.imputed_sites == ["L5i", "S1s"]
    assert not s.missing and s.n_scored == 10
    assert s.to_dict() == {"raw": 15, "imputed": pytest.approx(18.0), "imputed_sites": ["L5i", "S1s"],
                           "missing": False}


def test_three_unscorable_imputed_four_missing():
    # 3 unscorable: 9 scored of grade 1 (sum 9, mean 1) -> 9 + 3 = 12.
    three = [1] * 9 + [None] * 3
    s3 = segment_score(grades_of(CERVICAL_SITES, three), "cervical")
    assert (s3.raw, s3.imputed, s3.missing) == (9, 12.0, False)
    assert s3.imputed_sites == ["C7s", "C7i", "T1s"]
    # 4 unscorable: missing, nothing imputed, raw still the sum of the 8 scored.
    four = [1] * 8 + [None] * 4
    s4 = segment_score(grades_of(CERVICAL_SITES, four), "cervical")
    assert (s4.raw, s4.imputed, s4.missing, s4.imputed_sites) == (8, None, True, [])
    assert s4.unscorable == ["C6i", "C7s", "C7i", "T1s"]


def test_non_integer_mean_imputation():
    # 9 scored summing to 7 (mean 7/9), 3 absent sites count as unscorable -> 7 + 3 * 7/9 = 9.333...
    values = grades_of(CERVICAL_SITES[:9], [2, 2, 1, 1, 1, 0, 0, 0, 0])
    s = segment_score(values, "cervical")
    assert s.imputed == pytest.approx(7 + 3 * 7 / 9)
    assert s.imputed_sites == ["C7s", "C7i", "T1s"]


def test_every_site_unscorable():
    s = segment_score(grades_of(LUMBAR_SITES, [None] * 12), "lumbar")
    assert (s.raw, s.imputed, s.missing, len(s.unscorable), s.n_scored) == (0, None, True, 12, 0)
    t = total_score(grades_of(LUMBAR_SITES, [None] * 12) | grades_of(CERVICAL_SITES, [0] * 12))
    assert t.total is None


def test_region_without_rows_is_missing():
    t = total_score(grades_of(CERVICAL_SITES, [1] * 12))
    assert t.cervical.imputed == 12.0
    assert t.lumbar.missing and t.lumbar.imputed is None and t.lumbar.raw == 0
    assert t.total is None
    assert t.to_dict()["lumbar"] == {"raw": 0, "imputed": None, "imputed_sites": [], "missing": True}


def test_total_adds_imputed_segments():
    cervical = grades_of(CERVICAL_SITES, [2] * 11 + [None])  # 22 + 1 * 2 = 24
    lumbar = grades_of(LUMBAR_SITES, [3] * 12)  # 36
    t = total_score(cervical | lumbar)
    assert t.total == pytest.approx(60.0)
    assert set(t.to_dict()) == {"cervical", "lumbar", "total"}


def test_bad_grade_rejected():
    with pytest.raises(ValueError, match="0 to 3"):
        segment_score({"C2i": 4}, "cervical")
    with pytest.raises(ValueError, match="unknown mSASSS site"):
        segment_score({"C1i": 1}, "cervical")


def test_max_unscorable_is_configurable():
    strict = dataclasses.replace(RULESETS[DEFAULT_RULESET], name="strict", max_unscorable_imputed=0)
    s = segment_score(grades_of(CERVICAL_SITES, [1] * 11 + [None]), "cervical", ruleset=strict)
    assert s.missing and s.imputed is None


# ----------------------------------------------------------------------------------- readers


def test_mean_of_readers():
    r1 = {"C2i": 0, "C3s": 2, "C3i": None, "C4s": 3}
    r2 = {"C2i": 1, "C3s": 3, "C3i": None, "C4s": None}
    r3 = {"C2i": 2, "C3s": 2, "C3i": None}
    assert mean_of_readers([r1, r2, r3]) == {
        "C2i": 1.0,  # (0 + 1 + 2) / 3
        "C3s": pytest.approx(7 / 3),  # (2 + 3 + 2) / 3
        "C3i": None,  # nobody scored it
        "C4s": 3.0,  # only reader 1 scored it
    }


def test_reader_means_can_be_scored():
    means = mean_of_readers([grades_of(CERVICAL_SITES, [1] * 12), grades_of(CERVICAL_SITES, [2] * 12)])
    assert segment_score(means, "cervical").imputed == pytest.approx(18.0)  # 12 * 1.5


# ----------------------------------------------------------------------------------- progression


def test_progression_new_syndesmophyte_and_bridge():
    base = grades_of(CERVICAL_SITES, [0] * 12) | grades_of(LUMBAR_SITES, [1] * 12)  # 0 + 12 = 12
    follow = dict(base)
    follow["L3s"] = 2  # 1 -> 2: new syndesmophyte
    follow["L4i"] = 3  # 1 -> 3: new syndesmophyte and new bridge
    follow["C5s"] = 1  # 0 -> 1: neither
    p = progression(base, follow)
    assert p.baseline_total == 12.0 and p.followup_total == 16.0  # +1 +2 +1
    assert p.change == pytest.approx(4.0) and p.progressor is True
    assert p.new_syndesmophytes == ["L3s", "L4i"]
    assert p.new_bridges == ["L4i"]


def test_progression_below_and_at_sdc():
    base = grades_of(CERVICAL_SITES, [0] * 12) | grades_of(LUMBAR_SITES, [0] * 12)
    one = dict(base, L1s=1)
    two = dict(base, L1s=1, L2s=1)
    assert progression(base, one).progressor is False  # change 1 < 2
    assert progression(base, two).progressor is True  # change 2 >= 2
    assert progression(base, two, sdc=2.5).progressor is False
    assert progression(base, two).new_syndesmophytes == []


def test_progression_with_missing_total():
    base = grades_of(CERVICAL_SITES, [0] * 12)  # no lumbar rows
    p = progression(base, base)
    assert p.change is None and p.progressor is None
