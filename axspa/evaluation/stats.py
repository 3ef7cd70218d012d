"""Agreement statistics as reader studies report them: Cohen's kappa (unweighted, linear, quadratic),
the Shrout & Fleiss intraclass correlations with their F-based confidence intervals, Bland–Altman limits
of agreement and the smallest detectable change. numpy + scipy only.

Sources:
- Cohen J. Weighted kappa. Psychol Bull 1968;70:213-20. Linear weights 1 - |i-j|/(k-1) (Cicchetti-Allison),
  quadratic weights 1 - (i-j)^2/(k-1)^2 (Fleiss-Cohen).
- Shrout PE, Fleiss JL. Intraclass correlations: uses in assessing rater reliability.
  Psychol Bull 1979;86:420-8 (the three single-measure forms and their confidence intervals;
  McGraw KO, Wong SP, Psychol Methods 1996;1:30-46, give the same intervals for
  ICC(A,1) = ICC(2,1) and ICC(C,1) = ICC(3,1)).
- Bland JM, Altman DG. Lancet 1986;i:307-10 (mean difference ± 1.96 SD).
- Area under the ROC curve as the Mann-Whitney U statistic over (positive, negative) pairs, ties counted
  one half (Hanley JA, McNeil BJ. Radiology 1982;143:29-36).
- Smallest detectable change: SDC = 1.96 · √2 · SEM, with SEM = √(σ²_raters + σ²_error) from the two-way
  random-effects ANOVA behind ICC(2,1) (de Vet HCW, Terwee CB, Knol DL, Bouter LM. When to use agreement
  versus reliability measures. J Clin Epidemiol 2006;59:1033-9). This is the change in one patient's total
  that exceeds measurement error between two readings by any reader with 95% confidence.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np
from scipy import stats as _st

WEIGHTINGS = ("none", "linear", "quadratic")


def confusion_matrix(a: Sequence, b: Sequence, categories: Sequence) -> np.ndarray:
    """Counts of (a, b) pairs: rows are ``a``'s category, columns ``b``'s, in ``categories`` order."""
    index = {c: n for n, c in enumerate(categories)}
    table = np.zeros((len(categories), len(categories)), dtype=int)
    for x, y in zip(a, b):
        table[index[x], index[y]] += 1
    return table


def agreement_weights(k: int, weighting: str = "none") -> np.ndarray:
    """k×k agreement weights (1 on the diagonal): none, linear or quadratic (see module docstring)."""
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting must be one of {WEIGHTINGS}, not {weighting!r}")
    i, j = np.indices((k, k))
    if weighting == "none" or k == 1:
        return (i == j).astype(float)
    d = np.abs(i - j) / (k - 1)
    return 1.0 - d if weighting == "linear" else 1.0 - d ** 2


def kappa_from_table(table: np.ndarray, weighting: str | np.ndarray = "none") -> float:
    """Cohen's (weighted) kappa of a square table of counts; ``weighting`` is a name or a k×k agreement-weight
    matrix. NaN when chance agreement is 1 (both readers used a single category: kappa is undefined)."""
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or t.shape[0] != t.shape[1] or t.sum() <= 0:
        raise ValueError("kappa needs a non-empty square table of counts")
    w = agreement_weights(len(t), weighting) if isinstance(weighting, str) else np.asarray(weighting, float)
    p = t / t.sum()
    observed = float((w * p).sum())
    expected = float((w * np.outer(p.sum(axis=1), p.sum(axis=0))).sum())
    if np.isclose(expected, 1.0):
        return float("nan")
    return (observed - expected) / (1.0 - expected)


def cohen_kappa(a: Sequence, b: Sequence, weighting: str = "none",
                categories: Sequence | None = None) -> float:
    """Kappa of two paired ratings; ``categories`` fixes the ordinal scale (default: the sorted values)."""
    cats = list(categories) if categories is not None else sorted(set(a) | set(b))
    return kappa_from_table(confusion_matrix(a, b, cats), weighting)


def kappa_with_ci(a: Sequence, b: Sequence, weighting: str, categories: Sequence, n_boot: int = 2000,
                  seed: int = 0, groups: Sequence | None = None, level: float = 0.95) -> dict:
    """Kappa and its seeded percentile-bootstrap CI. Cases are resampled with replacement; with ``groups``
    (e.g. the study of each site reading) whole groups are resampled, which keeps the correlation of
    sites read on the same image. Resamples where kappa is undefined are dropped; CI None when most are."""
    k = len(categories)
    idx = {c: n for n, c in enumerate(categories)}
    cell = np.array([idx[x] * k + idx[y] for x, y in zip(a, b)], dtype=int)
    if len(cell) == 0:
        return {"kappa": None, "ci": None}
    labels = np.arange(len(cell)) if groups is None else np.unique(list(groups), return_inverse=True)[1]
    n_groups = int(labels.max()) + 1
    per_group = np.zeros((n_groups, k * k))
    np.add.at(per_group, (labels, cell), 1)
    w = agreement_weights(k, weighting)
    value = _kappa_batch(per_group.sum(axis=0)[None], w)[0]
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, n_groups, size=(n_boot, n_groups))
    counts = np.stack([np.bincount(row, minlength=n_groups) for row in picks])
    boot = _kappa_batch(counts @ per_group, w)
    boot = boot[np.isfinite(boot)]
    ci = None
    if len(boot) >= n_boot / 2:
        tail = (1.0 - level) / 2.0 * 100.0
        ci = [float(v) for v in np.percentile(boot, [tail, 100.0 - tail])]
    return {"kappa": _clean(value), "ci": ci}


def _kappa_batch(flat_tables: np.ndarray, w: np.ndarray) -> np.ndarray:
    # Weighted kappa of many k×k tables at once (rows flattened), NaN where chance agreement is 1.
    k = w.shape[0]
    t = flat_tables.reshape(-1, k, k)
    p = t / t.sum(axis=(1, 2), keepdims=True)
    observed = (w * p).sum(axis=(1, 2))
    expected = np.einsum("ij,bi,bj->b", w, p.sum(axis=2), p.sum(axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = (observed - expected) / (1.0 - expected)
    return np.where(np.isclose(expected, 1.0), np.nan, kappa)


def roc_auc(scores: Sequence[float], labels: Sequence) -> float:
    """Area under the ROC curve of ``scores`` for the binary ``labels`` (True/1 positive): the share of
    (positive, negative) pairs the scores order rightly, a tie counting one half. ValueError when the labels
    hold a single class (the area is undefined)."""
    s = np.asarray(scores, dtype=float).reshape(-1)
    y = np.asarray(labels).astype(bool).reshape(-1)
    if s.size != y.size:
        raise ValueError(f"{s.size} scores but {y.size} labels")
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError("AUC needs positive and negative cases")
    ranks = _st.rankdata(s)  # average ranks: ties share
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


@dataclass
class AnovaTable:
    """Two-way ANOVA of an n targets × k raters table (Shrout & Fleiss 1979, Table 2)."""

    n: int
    k: int
    bms: float  # between targets
    wms: float  # within targets (one-way)
    jms: float  # between judges
    ems: float  # residual


def anova_two_way(ratings: np.ndarray) -> AnovaTable:
    """Mean squares of a complete n×k table (rows targets, columns raters)."""
    x = np.asarray(ratings, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2:
        raise ValueError("ICC needs at least 2 targets rated by at least 2 raters")
    if not np.all(np.isfinite(x)):
        raise ValueError("ICC needs a complete table (no missing ratings)")
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_total = ((x - grand) ** 2).sum()
    ss_within = ss_total - ss_rows
    ss_error = ss_within - ss_cols
    return AnovaTable(n=n, k=k, bms=ss_rows / (n - 1), wms=ss_within / (n * (k - 1)),
                      jms=ss_cols / (k - 1), ems=ss_error / ((n - 1) * (k - 1)))


@dataclass
class ICCResult:
    icc_1_1: float
    icc_1_1_ci: list[float]
    icc_2_1: float
    icc_2_1_ci: list[float]
    icc_3_1: float
    icc_3_1_ci: list[float]
    sem: float
    sdc: float
    n_targets: int
    n_raters: int

    def to_dict(self) -> dict:
        return {key: _clean(v) for key, v in asdict(self).items()}


def icc(ratings: np.ndarray, level: float = 0.95) -> ICCResult:
    """ICC(1,1), ICC(2,1) (two-way random, absolute agreement, single measure) and ICC(3,1) (two-way mixed,
    consistency), each with its F-based CI (Shrout & Fleiss 1979; McGraw & Wong 1996), and the SEM/SDC
    of agreement (de Vet et al. 2006)."""
    a = anova_two_way(ratings)
    n, k, bms, wms, jms, ems = a.n, a.k, a.bms, a.wms, a.jms, a.ems
    q = 1.0 - (1.0 - level) / 2.0  # upper quantile of the two-sided interval
    icc1 = _ratio(bms - wms, bms + (k - 1) * wms)
    icc2 = _ratio(bms - ems, bms + (k - 1) * ems + k * (jms - ems) / n)
    icc3 = _ratio(bms - ems, bms + (k - 1) * ems)
    ci1 = _ci_f(_ratio(bms, wms), n - 1, n * (k - 1), k, q)
    ci3 = _ci_f(_ratio(bms, ems), n - 1, (n - 1) * (k - 1), k, q)
    ci2 = _ci_icc2(a, icc2, q)
    # Rater variance + error variance from the two-way random model (negative estimates set to zero).
    var_raters = max((jms - ems) / n, 0.0)
    sem = float(np.sqrt(var_raters + ems))
    return ICCResult(icc1, ci1, icc2, ci2, icc3, ci3, sem, 1.96 * np.sqrt(2.0) * sem, n, k)


def _ci_f(f_obs: float, df1: int, df2: int, k: int, q: float) -> list[float]:
    # ICC(1,1) and ICC(3,1): exact F intervals, Shrout & Fleiss 1979 eqs. for cases 1 and 3.
    if not np.isfinite(f_obs):
        return [float("nan"), float("nan")]
    f_lower = f_obs / _st.f.ppf(q, df1, df2)
    f_upper = f_obs * _st.f.ppf(q, df2, df1)
    return [(f_lower - 1) / (f_lower + k - 1), (f_upper - 1) / (f_upper + k - 1)]


def _ci_icc2(a: AnovaTable, icc2: float, q: float) -> list[float]:
    # ICC(2,1): Satterthwaite degrees of freedom, Shrout & Fleiss 1979 (case 2) = McGraw & Wong ICC(A,1).
    n, k, bms, jms, ems = a.n, a.k, a.bms, a.jms, a.ems
    if not np.isfinite(icc2):
        return [float("nan"), float("nan")]
    if ems <= 0:  # no residual error: the interval collapses on the estimate
        return [icc2, icc2]
    fj = jms / ems
    r = icc2
    num = (k - 1) * (n - 1) * (k * r * fj + n * (1 + (k - 1) * r) - k * r) ** 2
    den = (n - 1) * k ** 2 * r ** 2 * fj ** 2 + (n * (1 + (k - 1) * r) - k * r) ** 2
    v = num / den
    f_star = _st.f.ppf(q, n - 1, v)
    f_star2 = _st.f.ppf(q, v, n - 1)
    lower = n * (bms - f_star * ems) / (f_star * (k * jms + (k * n - k - n) * ems) + n * bms)
    upper = n * (f_star2 * bms - ems) / (k * jms + (k * n - k - n) * ems + n * f_star2 * bms)
    return [float(lower), float(upper)]


@dataclass
class BlandAltman:
    n: int
    mean_difference: float
    sd_difference: float
    loa: list[float]
    mean_difference_ci: list[float]

    def to_dict(self) -> dict:
        return {key: _clean(v) for key, v in asdict(self).items()}


def bland_altman(a: Sequence[float], b: Sequence[float]) -> BlandAltman:
    """Mean of ``b - a`` and the 95% limits of agreement mean ± 1.96 SD (Bland & Altman 1986), with the
    t-based 95% CI of the mean difference (the bias)."""
    d = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    if len(d) < 2:
        raise ValueError("Bland-Altman needs at least 2 paired values")
    mean, sd = float(d.mean()), float(d.std(ddof=1))
    half = float(_st.t.ppf(0.975, len(d) - 1) * sd / np.sqrt(len(d)))
    return BlandAltman(len(d), mean, sd, [mean - 1.96 * sd, mean + 1.96 * sd], [mean - half, mean + half])


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den != 0 else float("nan")


def _clean(value):
    """JSON-safe: numpy scalars to float, NaN to None, recursively through lists."""
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else float(value)
    return value
