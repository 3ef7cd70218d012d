"""What the command line and the AxSpA Scoring panel say about mSASSS results: segment scores and
totals, a radiograph's line, grades of control points, reader agreement and progression."""

from __future__ import annotations

from typing import Any, Mapping, Optional

from axspa.spine.rules import SegmentScore, TotalScore
from axspa.texts import interval, number

# How scores are written: whole numbers without decimals; the terminal shows two decimals, the panel one.
TERMINAL = {"fmt": ".2f", "missing": "missing", "whole": True}
PANEL = {"fmt": ".1f", "missing": "-", "whole": True}

# ------------------------------------------------------------------------------------ command line


def _segment_line(name: str, seg: SegmentScore) -> str:
    line = f"{name:<9} raw {number(seg.raw, **TERMINAL)}, score {number(seg.imputed, **TERMINAL)}"
    if seg.imputed_sites:
        line += f" (imputed {', '.join(seg.imputed_sites)})"
    elif seg.missing and seg.n_scored == 0 and len(seg.unscorable) == 12:
        line += " (no scored sites)"
    elif seg.missing:
        line += f" ({len(seg.unscorable)} unscorable: {', '.join(seg.unscorable)})"
    return line


def summary(score: TotalScore) -> str:
    """``axspa msasss``: each segment's raw and imputed score, the imputed sites and the total."""
    return "\n".join([_segment_line("cervical", score.cervical), _segment_line("lumbar", score.lumbar),
                      f"{'total':<9} {number(score.total, **TERMINAL)} (0-72)"])


def radiograph_line(path: str, doc: Mapping[str, Any]) -> str:
    """``axspa spine``: one line per scored radiograph."""
    score = doc["score"]
    imputed = number(score["imputed"], missing="missing (more than 3 sites unscorable)", whole=True)
    review = sum(1 for s in doc["sites"] if s.get("review"))
    return (f"{path}: {doc['region']} raw {score['raw']}, imputed {imputed}"
            + (f"; {review} site(s) flagged for review" if review else "")
            + ("; region flagged for review (see warnings)" if doc.get("region_review") else ""))


def study_line(study: Mapping[str, Any]) -> str:
    return f"study total (0-72): {number(study['total'], missing='missing', whole=True)}"


def grade_description(grade: Optional[int]) -> str:
    """A control point's description in ``<stem>.mrk.json``."""
    return "unscorable" if grade is None else f"grade {grade}"


# ------------------------------------------------------------------------------------------- panel

def segment_text(segment: Mapping[str, Any]) -> str:
    """'raw 5, score 5.5 (imputed: C3s)' or 'missing (raw 2; more than 3 sites unscorable)'."""
    if segment.get("missing") or segment.get("imputed") is None:
        return f"missing (raw {number(segment.get('raw'), **PANEL)}; more than 3 sites unscorable or not read)"
    text = f"raw {number(segment.get('raw'), **PANEL)}, score {number(segment.get('imputed'), **PANEL)}"
    if segment.get("imputed_sites"):
        text += f" (imputed: {', '.join(segment['imputed_sites'])})"
    return text


def msasss_summary(score: Mapping[str, Any]) -> dict[str, str]:
    """Label texts for a ``TotalScore.to_dict()``: cervical, lumbar, total, imputed_sites."""
    imputed = [*score["cervical"].get("imputed_sites", []), *score["lumbar"].get("imputed_sites", [])]
    total = score.get("total")
    return {"cervical": segment_text(score["cervical"]), "lumbar": segment_text(score["lumbar"]),
            "total": (f"{number(total, **PANEL)} / 72" if total is not None
                      else "missing (needs both segments scored)"),
            "imputed_sites": ", ".join(imputed) if imputed else "none"}


# -------------------------------------------------------------------------------- agreement, progression

def agreement_text(doc: dict) -> str:
    """``axspa agree scores``: the per-site table, the pooled line and the totals block."""
    lines = [f"readers: {', '.join(r['name'] for r in doc['readers'])}; studies: {doc['n_studies']}",
             f"per site ({doc['site_comparison']}; kappa 95% CI by bootstrap, n={doc['bootstrap']['n']}, "
             f"seed={doc['bootstrap']['seed']}):",
             f"  {'site':<5} {'n':>4} {'exact':>6}  {'kappa linear':<22} {'kappa quadratic':<22}"]
    rows = list(doc["sites"].items()) + [("all", doc["all_sites"])]
    for site, r in rows:
        lines.append(f"  {site:<5} {r['n']:>4} {number(r['exact_agreement']):>6}  "
                     f"{(number(r['kappa_linear']) + interval(r['kappa_linear_ci'])):<22} "
                     f"{(number(r['kappa_quadratic']) + interval(r['kappa_quadratic_ci'])):<22}")
    t = doc["total"]
    lines.append(f"total mSASSS ({t['n_complete']} of {t['n_studies']} studies with a total from every reader):")
    if t.get("icc_2_1") is None:
        lines.append(f"  {t.get('note', 'not enough data')}")
        return "\n".join(lines)
    lines += [f"  ICC(2,1) {number(t['icc_2_1'])}{interval(t['icc_2_1_ci'])}   ICC(3,1) {number(t['icc_3_1'])}"
              f"{interval(t['icc_3_1_ci'])}   ICC(1,1) {number(t['icc_1_1'])}{interval(t['icc_1_1_ci'])}",
              f"  {t['readers'][1]} - {t['readers'][0]}: mean difference {number(t['mean_difference'])}, "
              f"limits of agreement {number(t['loa'][0])} to {number(t['loa'][1])}",
              f"  SEM {number(t['sem'])}, smallest detectable change {number(t['sdc'])} units"]
    return "\n".join(lines)


def progression_text(doc: dict) -> str:
    """``axspa progression``: one line per interval and a cohort line."""
    lines = [f"{'patient':<10} {'from':<10} {'to':<10} {'years':>5} {'base':>6} {'follow':>6} {'change':>6} "
             f"{'per 2y':>6}  progressor  new syndesmophytes / bridges"]
    for r in doc["intervals"]:
        prog = "n/a" if r["progressor"] is None else ("yes" if r["progressor"] else "no")
        lines.append(f"{r['patient']:<10} {r['baseline_date']:<10} {r['followup_date']:<10} {r['years']:>5.2f} "
                     f"{number(r['baseline_total'], '.1f'):>6} {number(r['followup_total'], '.1f'):>6} "
                     f"{number(r['change'], '.1f'):>6} {number(r['change_2y'], '.1f'):>6}  {prog:<10}  "
                     f"{' '.join(r['new_syndesmophytes']) or '-'} / {' '.join(r['new_bridges']) or '-'}")
    lines.append(f"{doc['n_patients']} patients, {doc['n_visits']} visits; progressors (first to last visit, "
                 f">= {doc['threshold']:g} units per 2 years): {doc['n_progressors']} of {doc['n_with_change']}")
    lines += [f"warning: {w}" for w in doc.get("warnings", [])]
    return "\n".join(lines)
