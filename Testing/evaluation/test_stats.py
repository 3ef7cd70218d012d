"""Agreement statistics against published answers (sources cited per test)."""

from __future__ import annotations

import numpy as np
import pytest

from axspa.evaluation import stats

# Shrout PE, Fleiss JL (1979) Psychol Bull 86:420-428, Table 2: 6 targets rated by 4 judges.
SHROUT_FLEISS = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]])

# Altman DG (1991) Practical Statistics for Medical Research, pp. 403-405 (Boyd et al. 1982): two radiologists
# classify 85 xeromammograms as normal / benign / suspected cancer / cancer; rows radiologist A, columns B.
ALTMAN_RADIOLOGISTS = np.array([[21, 12, 0, 0], [4, 17, 1, 0], [3, 9, 15, 2], [0, 0, 0, 1]])

# SAS/STAT User's Guide, PROC FREQ "Getting Started: Agreement Study" (skin condition data, Fleiss, Levin &
# Paik 2003): two dermatologists rate 88 patients terrible / poor / marginal / clear.
SAS_SKIN = np.array([[10, 4, 1, 0], [5, 10, 12, 2], [2, 4, 12, 5], [0, 2, 6, 13]])


def test_icc_forms_reproduce_shrout_fleiss_1979():
    r = stats.icc(SHROUT_FLEISS)
    # Published in Shrout & Fleiss (1979), Table 4: ICC(1,1) = .17, ICC(2,1) = .29, ICC(3,1) = .71.
    assert round(r.icc_1_1, 2) == 0.17
    assert round(r.icc_2_1, 2) == 0.29
    assert round(r.icc_3_1, 2) == 0.71


def test_icc_confidence_intervals_match_psych_icc_on_the_same_data():
    # R package psych, ICC() help page example on the Shrout & Fleiss data prints the F-based 95% bounds:
    # ICC1 -0.133 to 0.72, ICC2 0.019 to 0.76, ICC3 0.342 to 0.95.
    r = stats.icc(SHROUT_FLEISS)
    assert r.icc_1_1_ci == pytest.approx([-0.133, 0.72], abs=0.005)
    assert r.icc_2_1_ci == pytest.approx([0.019, 0.76], abs=0.005)
    assert r.icc_3_1_ci == pytest.approx([0.342, 0.95], abs=0.005)
    assert r.n_targets == 6 and r.n_raters == 4


def test_weighted_kappa_reproduces_altman_radiologist_table():
    # Stata Base Reference Manual, [R] kappa, on the same table: kappa 0.4728; wgt(w) (linear) 0.5684;
    # wgt(w2) (quadratic) 0.6713.
    assert stats.kappa_from_table(ALTMAN_RADIOLOGISTS) == pytest.approx(0.4728, abs=1e-4)
    assert stats.kappa_from_table(ALTMAN_RADIOLOGISTS, "linear") == pytest.approx(0.5684, abs=1e-4)
    assert stats.kappa_from_table(ALTMAN_RADIOLOGISTS, "quadratic") == pytest.approx(0.6713, abs=1e-4)


def test_weighted_kappa_reproduces_sas_skin_condition_example():
    # SAS prints simple kappa 0.3449 and weighted kappa (Cicchetti-Allison = linear weights) 0.5082.
    assert stats.kappa_from_table(SAS_SKIN) == pytest.approx(0.3449, abs=1e-4)
    assert stats.kappa_from_table(SAS_SKIN, "linear") == pytest.approx(0.5082, abs=1e-4)


def test_kappa_from_paired_ratings_equals_table_form():
    table = ALTMAN_RADIOLOGISTS
    a = [i for i in range(4) for j in range(4) for _ in range(table[i, j])]
    b = [j for i in range(4) for j in range(4) for _ in range(table[i, j])]
    assert stats.confusion_matrix(a, b, range(4)).tolist() == table.tolist()
    assert stats.cohen_kappa(a, b, "quadratic", range(4)) == pytest.approx(0.6713, abs=1e-4)


def test_kappa_undefined_when_both_readers_use_one_grade():
    assert np.isnan(stats.cohen_kappa([0, 0, 0], [0, 0, 0], categories=[0, 1, 2, 3]))


def test_bootstrap_ci_is_seeded_and_contains_the_estimate():
    a = [i for i in range(4) for j in range(4) for _ in range(ALTMAN_RADIOLOGISTS[i, j])]
    b = [j for i in range(4) for j in range(4) for _ in range(ALTMAN_RADIOLOGISTS[i, j])]
    first = stats.kappa_with_ci(a, b, "linear", range(4), n_boot=500, seed=7)
    again = stats.kappa_with_ci(a, b, "linear", range(4), n_boot=500, seed=7)
    other = stats.kappa_with_ci(a, b, "linear", range(4), n_boot=500, seed=8)
    assert first == again
    assert first["ci"] != other["ci"]
    lo, hi = first["ci"]
    assert lo < first["kappa"] < hi
    # The asymptotic SE Stata prints for linear kappa is about 0.079: a 95% interval roughly 0.26 wide.
    assert 0.15 < hi - lo < 0.40


def test_bland_altman_and_sdc_by_hand():
    a = [10.0, 12.0, 20.0, 5.0]
    b = [11.0, 12.0, 22.0, 4.0]
    r = stats.bland_altman(a, b)
    # differences 1, 0, 2, -1: mean 0.5, SD sqrt(((.5)^2+(.5)^2+(1.5)^2+(1.5)^2)/3) = sqrt(5/3)
    sd = np.sqrt(5 / 3)
    assert r.mean_difference == pytest.approx(0.5)
    assert r.sd_difference == pytest.approx(sd)
    assert r.loa == pytest.approx([0.5 - 1.96 * sd, 0.5 + 1.96 * sd])
    # SDC = 1.96 * sqrt(2) * SEM, SEM^2 = rater variance + error variance of the two-way model. By hand:
    # reader means 11.75 and 12.25 -> JMS = 4 * (0.25^2 + 0.25^2) = 0.5; EMS = SD_diff^2 / 2 = 5/6. JMS < EMS,
    # so the rater variance (JMS - EMS)/n is negative and taken as 0: SEM = sqrt(5/6), and then
    # SDC = 1.96 * SD_diff, the half-width of the limits of agreement.
    a2 = stats.anova_two_way(np.column_stack([a, b]))
    assert a2.jms == pytest.approx(0.5) and a2.ems == pytest.approx(5 / 6)
    res = stats.icc(np.column_stack([a, b]))
    assert res.sem == pytest.approx(np.sqrt(5 / 6))
    assert res.sdc == pytest.approx(1.96 * sd)


def test_perfect_agreement_gives_icc_one():
    x = np.array([[1.0, 1.0], [5.0, 5.0], [9.0, 9.0]])
    r = stats.icc(x)
    assert r.icc_2_1 == pytest.approx(1.0) and r.icc_3_1 == pytest.approx(1.0)
    assert r.sdc == pytest.approx(0.0)


def test_icc_rejects_incomplete_tables():
    with pytest.raises(ValueError, match="complete"):
        stats.icc(np.array([[1.0, np.nan], [2.0, 2.0]]))
