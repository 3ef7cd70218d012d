"""One self-contained HTML report of an output folder: a run summary (every input, its job, scored / skipped /
failed and why), then per family the results named by their input, with the source of every score (model and
version, or a reader's segmentation), the settings used, units, ranges and one-line definitions, thumbnails
(the radiograph with its sites labelled and coloured by grade; click to enlarge), cohort distributions, and
agreement/progression sections when the folder holds their outputs. Figures are PNGs embedded as data URIs,
so the file can be mailed or archived on its own; the page reads on a phone (tables scroll sideways).

What it reads (recursively under DIR): ``run.json`` (what ``axspa demo`` ran, skipped and why),
``*.spine.json``, ``study.json``, ``*.sij.json``, ``hip.json`` (and ``<stem>.hip.json``), ``agreement.json``
(+ ``bland_altman.png``) from ``axspa agree scores --plot``, ``overlap.json`` from ``axspa agree masks --out``,
``progression.json`` (+ ``cumulative_probability.png``) from ``axspa progression --out``, ``clinical.json`` (or
``clinical.csv`` alone) from ``axspa clinical --out`` or AxSpA Scoring's export, and ``failures.csv`` of a batch.
A ``*.sij.json`` shows its heat map (``<stem>.heatmap.nrrd`` beside it) over the radiograph. docs/formats.md
describes each file.
"""

from __future__ import annotations

import base64
import csv
import json
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from axspa import __version__
from axspa.image import InputError
from axspa.report.figures import GRADE_COLORS
from axspa.results import InvalidDocumentError, PathLike, validate, write_text_output
from axspa.texts import interval, number

DASH = "–"  # what a missing value shows

CSS = """
*{box-sizing:border-box}html{-webkit-text-size-adjust:100%}
body{font-family:system-ui,Segoe UI,Helvetica,Arial,sans-serif;margin:0 auto;padding:.8em 1em 3em;color:#222;
max-width:1200px;line-height:1.4}
h1{font-size:1.5em;margin:.3em 0}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.8em}
h3{margin:1.2em 0 .3em}p,li,dd,dt,figcaption,h1,h2,h3{overflow-wrap:anywhere}
.scroll{overflow-x:auto;max-width:100%;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;margin:.4em 0;font-size:.9em}
td,th{border:1px solid #ddd;padding:3px 7px;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f4f4f4}.num{text-align:right;white-space:nowrap}td.what{color:#555;font-size:.92em;min-width:14em}
.grade{display:inline-block;min-width:1.6em;text-align:center;border-radius:3px;color:#000}
.site{display:inline-block;margin:0 .5em .2em 0;white-space:nowrap}
.scored{color:#1b6e20;font-weight:bold}.skipped{color:#8a5a00;font-weight:bold}.failed{color:#b00020;font-weight:bold}
.warn{color:#a15c00}.note{color:#555;font-size:.9em}
.notice{background:#fff4e0;border-left:4px solid #e69500;padding:.4em .7em;margin:.4em 0}
.cards{display:flex;flex-wrap:wrap;gap:1em;align-items:flex-start}
figure{margin:0}figure.card{flex:1 1 300px;max-width:460px;border:1px solid #ddd;padding:.5em;border-radius:4px}
figure.chart{flex:1 1 320px;max-width:520px}
img{max-width:100%;height:auto}figure.card img{display:block;width:100%;cursor:zoom-in}
img.big{position:fixed;top:0;left:0;width:100vw;height:100vh;max-width:none;object-fit:contain;
background:rgba(0,0,0,.9);z-index:10;cursor:zoom-out;margin:0}
dl.defs{font-size:.92em;margin:.5em 0}dl.defs dt{font-weight:bold;margin-top:.3em}dl.defs dd{margin:0 0 0 1.2em}
nav ul{padding-left:1.2em;margin:.3em 0}
"""
# Clicking a thumbnail shows it full screen; clicking again (or Escape) puts it back.
ENLARGE = ("onclick=\"this.classList.toggle('big')\" "
           "onkeydown=\"if(event.key==='Escape')this.classList.remove('big')\" tabindex='0'")


def find_results(folder: Path) -> dict[str, list[Path]]:
    """Result files by kind under ``folder`` (sorted, so the report is the same on every run)."""
    kinds = {"run": ("run.json",), "spine": ("*.spine.json",), "study": ("study.json", "*.study.json"),
             "sij": ("*.sij.json",), "hip": ("hip.json", "*.hip.json"), "agreement": ("agreement.json",),
             "overlap": ("overlap.json",), "progression": ("progression.json",), "failures": ("failures.csv",),
             "clinical": ("clinical.json", "clinical.csv")}
    # Hidden files and folders are skipped: a writer's temporary file left by a killed process, or a batch's
    # half-built case in .batch/, is no result.
    return {k: sorted(p for pattern in patterns for p in folder.rglob(pattern)
                      if not any(part.startswith(".") for part in p.relative_to(folder).parts))
            for k, patterns in kinds.items()}


def _load(path: Path) -> Optional[dict]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


# ------------------------------------------------------------------------------------------------ the page

@dataclass
class Row:
    """One line of the run summary: a job on its inputs, and what came of it."""
    job: str
    inputs: list[str]
    status: str  # scored, skipped or failed
    detail: str = ""


@dataclass
class Report:
    """What the sections share while the page is built."""
    folder: Path
    tmp: Path
    thumbnails: bool
    names: dict[str, str] = field(default_factory=dict)  # input path -> the short name rows show
    rows: list[Row] = field(default_factory=list)  # the run summary
    not_included: list[str] = field(default_factory=list)  # files found that are not results
    n_figures: int = 0

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.folder))
        except ValueError:
            return str(path)

    def skip(self, path: Path, why: str) -> None:
        self.not_included.append(f"{self.rel(path)}: {why}")

    def name(self, path: Optional[str]) -> str:
        """An input as the rows name it: its file name (more of its path when two inputs share one), the
        whole path on hover."""
        if not path:
            return "<span class='note'>input not recorded</span>"
        return f"<span title='{escape(path)}'>{escape(self.names.get(path, Path(path).name))}</span>"

    def tmp_png(self, stem: str) -> Path:
        self.n_figures += 1
        return self.tmp / f"{stem}{self.n_figures}.png"


def build_report(folder: PathLike, out: Optional[PathLike] = None, thumbnails: bool = True,
                 overwrite: bool = False) -> Optional[Path]:
    """Write the HTML report of ``folder`` (default ``folder/report.html``) and return its path; None when
    an existing report that differs (other than in its date) was kept (results.write_output)."""
    folder = Path(folder)
    if folder.is_file() and folder.suffix.lower() == ".csv":
        folder = folder.parent  # the cohort.csv of `axspa batch`: the results it lists are in its folder
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder; give the output folder of a batch (or its cohort.csv)")
    found = find_results(folder)
    if not any(found[k] for k in found if k not in ("failures", "run")):
        if not found["run"]:
            raise InputError(f"{folder}: no results found (*.spine.json, *.sij.json, hip.json, agreement.json, "
                             f"overlap.json, progression.json or clinical.json)")
    out = Path(out) if out else folder / "report.html"
    docs = _load_all(folder, found)
    with tempfile.TemporaryDirectory() as tmp:
        report = Report(folder, Path(tmp), thumbnails)
        report.not_included = docs.pop("_skipped")
        report.names = short_names(_input_paths(docs))
        sections = [
            ("reading", "mSASSS of readings done by hand", _reading_section(report, docs["run"])),
            ("spine", "mSASSS per radiograph", _spine_section(report, docs["spine"], docs["study"])),
            ("sij", "Sacroiliitis (modified New York)", _sij_section(report, docs["sij"])),
            ("hip", "Hip STIR inflammation", _hip_section(report, docs["hip"])),
            ("agreement", "Reader agreement", _agreement_section(report, docs["agreement"])),
            ("overlap", "Segmentation agreement", _overlap_section(report, docs["overlap"])),
            ("progression", "Progression", _progression_section(report, docs["progression"])),
            ("clinical", "Clinical indices", _clinical_section(report, found["clinical"])),
            ("failures", "Failed cases", _failures_section(report, found["failures"])),
        ]
        summary = _run_summary(report, docs["run"])
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    present = [(key, title, html) for key, title, html in sections if html]
    nav = ("<nav><ul><li><a href='#summary'>Run summary</a></li>"
           + "".join(f"<li><a href='#{key}'>{escape(title)}</a></li>" for key, title, _ in present) + "</ul></nav>")
    body = summary + "".join(f"<section id='{key}'><h2>{escape(title)}</h2>{html}</section>"
                             for key, title, html in present)
    if report.not_included:
        body += ("<section id='not-included'><h2>Files not included</h2><ul>"
                 + "".join(f"<li>{escape(s)}</li>" for s in report.not_included) + "</ul></section>")
    html = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>AxSpA report: "
            f"{escape(folder.name)}</title><style>{CSS}</style></head><body><header><h1>AxSpA report: "
            f"{escape(folder.name)}</h1><p class='note'>Generated by axspa {escape(__version__)} on {stamp} from "
            f"{escape(str(folder))}. For research use; not validated on patients and not for clinical decisions."
            f"</p>{nav}</header>{body}</body></html>\n")
    if out.is_file() and _undated(_read_text(out)) == _undated(html):
        return out  # the same report; only its date would change
    return out if write_text_output(out, html, overwrite) else None


STAMP = re.compile(r" on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC from ")


def _undated(html: str) -> str:
    return STAMP.sub(" on DATE from ", html, count=1)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, ValueError):
        return ""


def _load_all(folder: Path, found: dict[str, list[Path]]) -> dict:
    """The documents of each kind that are what their names say, as (path, doc); the others under
    "_skipped" with the reason."""
    def rel(p: Path) -> str:
        try:
            return str(p.relative_to(folder))
        except ValueError:
            return str(p)

    def is_sided(doc: dict) -> bool:
        sides = doc.get("sides")
        return isinstance(sides, dict) and isinstance(sides.get("right"), dict) and isinstance(sides.get("left"),
                                                                                                 dict)

    checks = {
        "run": ("not an axspa.run/1 record", _valid_run),
        "spine": ("not an axspa.spine/1 result",
                  lambda d: d.get("schema") == "axspa.spine/1" and isinstance(d.get("sites"), list)),
        "study": ("not a study result", lambda d: "total" in d),
        "sij": ("not an axspa.sij/1 result", is_sided),
        "hip": ("not an axspa.hip/1 result", is_sided),
        "agreement": ("not an agreement result", lambda d: "sites" in d and "total" in d),
        "overlap": ("not an overlap result", lambda d: d.get("schema") == "axspa.overlap/1"),
        "progression": ("not a progression result", lambda d: d.get("schema") == "axspa.progression/1"),
    }
    docs: dict = {"_skipped": []}
    for kind, (why, ok) in checks.items():
        docs[kind] = []
        for p in found[kind]:
            doc = _load(p)
            if doc is not None and ok(doc):
                docs[kind].append((p, doc))
            else:
                docs["_skipped"].append(f"{rel(p)}: {why}")
    return docs


def _valid_run(doc: dict) -> bool:
    try:
        validate(doc, "run")
    except InvalidDocumentError:
        return False
    return True


def _input_paths(docs: dict) -> list[str]:
    paths = []
    for kind in ("spine", "sij", "hip"):
        paths += [(d.get("input") or {}).get("path") for _, d in docs[kind]]
    for _, d in docs["study"]:
        paths += list(d.get("inputs") or [])
    for _, d in docs["agreement"]:
        paths += [r.get("path") for r in d.get("readers") or [] if isinstance(r, dict)]
    for _, d in docs["run"]:
        paths += [i for s in d["steps"] for i in s["inputs"]]
    return [p for p in paths if isinstance(p, str) and p]


def short_names(paths: Sequence[str]) -> dict[str, str]:
    """Each path's file name, with as many parent folders in front as it takes to tell two inputs apart."""
    unique = sorted(set(paths))
    parts = {p: Path(p).parts for p in unique}
    depth = dict.fromkeys(unique, 1)
    while True:
        names = {p: "/".join(parts[p][-depth[p]:]) for p in unique}
        clash = [p for p in unique if sum(1 for q in unique if names[q] == names[p]) > 1 and depth[p] < len(parts[p])]
        if not clash:
            return names
        for p in clash:
            depth[p] += 1


def _img(path: Path, alt: str, attributes: str = "") -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"<img alt='{escape(alt)}' src='data:image/png;base64,{data}' {attributes}>".replace(" >", ">")


def _num(value, fmt: str = ".2f") -> str:
    """A number cell: floats formatted with ``fmt``, other values as they are, '–' when missing."""
    return f"<td class='num'>{escape(number(value, fmt if isinstance(value, float) else '', DASH))}</td>"


def _grade_badge(grade, colors: Optional[dict] = None) -> str:
    text = DASH if grade is None else str(grade)
    return f"<span class='grade' style='background:{(colors or GRADE_COLORS).get(grade, '#9e9e9e')}'>{text}</span>"


# Modified New York grades 0-4: the mSASSS colours for 0-3, purple for 4 (total ankylosis).
SIJ_GRADE_COLORS = {**GRADE_COLORS, 4: "#8e44ad"}


def _table(header: Sequence[str], rows: Sequence[str]) -> str:
    """A table that scrolls sideways inside its own box when the page is narrower than it."""
    return ("<div class='scroll'><table><tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr>" + "".join(rows)
            + "</table></div>")


def _definitions(items: Sequence[tuple[str, str]]) -> str:
    return "<dl class='defs'>" + "".join(f"<dt>{escape(t)}</dt><dd>{d}</dd>" for t, d in items) + "</dl>"


def _model_name(model_id: str) -> str:
    """'spine-corners@0.1.0' -> 'spine-corners 0.1.0'."""
    name, _, version = str(model_id).partition("@")
    return f"{name} {version}" if version else name


def _yes_no(value) -> str:
    return DASH if value is None else ("yes" if value else "no")


# ------------------------------------------------------------------------------------------------ summary

def _run_summary(report: Report, runs: list[tuple[Path, dict]]) -> str:
    """Every job and input of the run: from run.json when the folder has one (what the demo ran, skipped and
    why), else one line per result found, plus the failed cases of a batch and files that are no result."""
    rows: list[Row] = []
    commands = []
    for _, doc in runs:
        commands.append(doc.get("command", ""))
        for s in doc["steps"]:
            detail = s.get("reason") or _step_detail(s)
            for path in sorted(s["inputs"], key=len, reverse=True):  # inputs by the names the rows use
                detail = detail.replace(path, report.names.get(path, path))
            rows.append(Row(s["job"], s["inputs"], s["status"], detail))
    if not runs:
        rows = report.rows
    else:  # a batch's failed cases are the run's too
        rows += [r for r in report.rows if r.status == "failed"]
    rows += [Row("(not a result)", [s.split(": ", 1)[0]], "skipped", s.split(": ", 1)[-1])
             for s in report.not_included]
    counts = {status: sum(1 for r in rows if r.status == status) for status in ("scored", "skipped", "failed")}
    lines = [f"<tr><td>{escape(r.job)}</td><td>{'<br>'.join(report.name(i) for i in r.inputs) or DASH}</td>"
             f"<td class='{r.status}'>{r.status}</td><td>{escape(r.detail)}</td></tr>" for r in rows]
    what = "; ".join(escape(c) for c in commands if c)
    head = (f"<p><b>{len(rows)} job{'s' if len(rows) != 1 else ''}: {counts['scored']} scored, {counts['skipped']} "
            f"skipped, {counts['failed']} failed.</b>" + (f" Run: <code>{what}</code>." if what else "") + "</p>")
    return ("<section id='summary'><h2>Run summary</h2>" + head
            + _table(["job", "input", "status", "details"], lines)
            + "<p class='note'>scored: a result was written; skipped: the job could not run here (e.g. its model "
              "is not installed) and nothing was written; failed: it ran and stopped on an error, with the "
              "reason.</p></section>")


def _step_detail(step: dict) -> str:
    lines = [line for line in step.get("lines") or [] if not line.startswith("outputs in ")]
    return "; ".join(lines[:3]) + ("; …" if len(lines) > 3 else "")


# ------------------------------------------------------------------------------------------------ readings

SEGMENT_DEFINITIONS = [
    ("raw (0–36)", "the sum of the grades of a segment's sites that could be scored (each 0–3)."),
    ("score, imputed (0–36)", "the segment score: with 1–3 unscorable sites each of them gets the mean grade of "
                              "the segment's scored sites (listed as imputed sites); with more than 3 the segment "
                              "score is missing (–). Without unscorable sites it equals raw."),
    ("total (0–72)", "cervical + lumbar imputed scores; missing when either is."),
]


def _segment_rows(label_html: str, seg: dict) -> str:
    return (f"<tr><td>{label_html}</td>{_num(seg.get('raw'))}{_num(seg.get('imputed'))}"
            f"<td>{escape(', '.join(seg.get('imputed_sites') or [])) or DASH}</td>"
            f"<td>{_yes_no(seg.get('missing'))}</td></tr>")


def _reading_section(report: Report, runs: list[tuple[Path, dict]]) -> str:
    """The scores of readings done by hand that a run scored (axspa msasss; the demo's first step)."""
    parts = []
    for _, doc in runs:
        for step in doc["steps"]:
            result = step.get("result") or {}
            if result.get("kind") != "msasss" or step["status"] != "scored":
                continue
            rows = [_segment_rows(region, result.get(region) or {}) for region in ("cervical", "lumbar")]
            rows.append(f"<tr><td><b>total (0–72)</b></td><td></td>{_num(result.get('total'))}<td></td><td>"
                        f"{_yes_no(result.get('total') is None)}</td></tr>")
            parts.append(f"<h3>{' + '.join(report.name(i) for i in step['inputs'])}</h3>"
                         f"<p class='note'>Source: a reader's grades (site, grade table); rule set msasss-chen2024."
                         f"</p>" + _table(["segment", "raw", "score (imputed)", "imputed sites", "missing"], rows))
    return "".join(parts) + _definitions(SEGMENT_DEFINITIONS) if parts else ""


# ------------------------------------------------------------------------------------------------ spine

def _spine_source(doc: dict) -> str:
    model = doc.get("model") or {}
    ids = [model.get(k) for k in ("landmarks", "corners") if model.get(k)]
    if ids and all(i == "phantom-truth" for i in ids):
        return "phantom ground truth"
    if ids and all(i == "reader" for i in ids):
        return "a reader's reading"
    return "models " + " + ".join(_model_name(i) for i in ids) if ids else "not recorded"


def _spine_section(report: Report, docs: list[tuple[Path, dict]], studies: list[tuple[Path, dict]]) -> str:
    if not docs and not studies:
        return ""
    from axspa.report import figures

    rows, cards, scores = [], [], {"cervical": [], "lumbar": []}
    for p, doc in docs:
        score = doc.get("score") or {}
        region = doc.get("region", "?")
        path = (doc.get("input") or {}).get("path")
        if score.get("imputed") is not None and region in scores:
            scores[region].append(score["imputed"])
        flagged = [f"{s['id']} to review" for s in doc["sites"] if s.get("review")]
        source = _spine_source(doc)
        threshold = (doc.get("settings") or {}).get("threshold")
        if threshold is not None:
            source += f"; finding threshold {number(threshold, 'g')}"
        rows.append(f"<tr><td>{report.name(path)}<br><span class='note'>{escape(report.rel(p))}</span></td>"
                    f"<td>{escape(region)}</td><td>{escape(source)}</td>{_num(score.get('raw'))}"
                    f"{_num(score.get('imputed'))}<td>{escape(', '.join(score.get('imputed_sites') or [])) or DASH}"
                    f"</td><td>{_yes_no(score.get('missing'))}</td>"
                    f"<td class='warn'>{escape('; '.join((doc.get('warnings') or []) + flagged))}</td></tr>")
        grades = "".join(f"<span class='site'>{escape(s['id'])}&nbsp;{_grade_badge(s.get('grade'))}</span>"
                         for s in doc["sites"])
        figure, notice = "", ""
        if report.thumbnails:
            pixels, why = _pixels(doc)
            if pixels is None:
                notice = (f"<p class='notice'>The radiograph could not be opened ({escape(why)}); the dots show "
                          f"where the sites were placed, on a blank background.</p>")
            png = figures.site_thumbnail(pixels, doc["sites"], report.tmp_png("thumb"),
                                         missing_text="radiograph could not be opened")
            figure = _img(png, f"{Path(path or p.name).name}: sites coloured by grade", ENLARGE)
        cards.append(f"<figure class='card'>{notice}{figure}<figcaption><b>{report.name(path)}</b> ({escape(region)}, "
                     f"score {escape(number(score.get('imputed'), '.2f', DASH))} of 36)<br>{grades}</figcaption>"
                     f"</figure>")
    html = []
    if rows:
        html.append(_table(["input", "region", "source", "raw (0–36)", "score, imputed (0–36)", "imputed sites",
                            "missing", "warnings, sites to review"], rows))
        legend = " ".join(f"{_grade_badge(g)} {'unscorable' if g is None else f'grade {g}'}" for g in GRADE_COLORS)
        html.append(f"<h3>Sites</h3><p class='note'>Site grades (0–3; – unscorable): {legend}. "
                    + ("Click an image to enlarge it; each dot is labelled with its site and grade." if
                       report.thumbnails else "") + "</p><div class='cards'>" + "".join(cards) + "</div>")
    html.append(_study_table(report, studies))
    if rows:
        html.append(_definitions(SEGMENT_DEFINITIONS + [
            ("sites", "the 24 anterior vertebral corners of mSASSS (s upper, i lower corner; C2i–T1s cervical, "
                      "T12i–S1s lumbar). Grade 0 normal, 1 erosion, sclerosis or squaring, 2 syndesmophyte, "
                      "3 bridging; unscorable when an osteophyte, another lesion or a hidden corner prevents a "
                      "grade (rule set msasss-chen2024).")]))
    dist = []
    for region, values in scores.items():
        if len(values) >= 3:  # a histogram of one or two studies says nothing
            png = figures.histogram(values, report.tmp_png(f"hist_{region}"), f"{region} mSASSS",
                                    "segment score (0-36)")
            dist.append(f"<figure class='chart'>{_img(png, f'{region} mSASSS distribution')}</figure>")
    if dist:
        html.append("<h3>Cohort distribution</h3><div class='cards'>" + "".join(dist) + "</div>")
    for _, doc in docs:
        imputed = number((doc.get("score") or {}).get("imputed"), ".2f", DASH)
        report.rows.append(Row("mSASSS, spine radiograph", [(doc.get("input") or {}).get("path") or ""], "scored",
                               f"{doc.get('region')} score {imputed} (0–36); {_spine_source(doc)}"))
    return "".join(html)


def _pixels(doc: dict):
    """The radiograph behind a result and '' when its input path still opens; else None and why not."""
    path = (doc.get("input") or {}).get("path")
    if not path:
        return None, "the result does not record its input"
    if not Path(path).is_file():
        return None, f"{path} not found"
    try:
        from axspa.io.radiograph import read_radiograph

        return read_radiograph(path).pixels, ""
    except Exception as exc:  # noqa: BLE001 - a thumbnail is optional; the table still reports the result
        return None, f"{path}: {' '.join(str(exc).split()) or type(exc).__name__}"


def _study_table(report: Report, studies: list[tuple[Path, dict]]) -> str:
    rows = []
    for p, doc in studies:
        c, lum = doc.get("cervical") or {}, doc.get("lumbar") or {}
        inputs = doc.get("inputs") or []
        rows.append(f"<tr><td>{' + '.join(report.name(i) for i in inputs) or escape(report.rel(p))}</td>"
                    f"{_num(c.get('imputed'))}{_num(lum.get('imputed'))}{_num(doc.get('total'))}</tr>")
        report.rows.append(Row("mSASSS study total", list(inputs), "scored",
                               f"total {number(doc.get('total'), '.2f', DASH)} (0–72)"))
    if not rows:
        return ""
    return ("<h3>Studies: cervical + lumbar radiographs of one visit</h3>"
            + _table(["radiographs", "cervical (0–36)", "lumbar (0–36)", "total (0–72)"], rows))


# ------------------------------------------------------------------------------------------------ sij

def _sij_section(report: Report, docs: list[tuple[Path, dict]]) -> str:
    rows, cards, definite = [], [], 0
    for p, doc in docs:
        sides = doc["sides"]
        definite += bool(doc.get("definite"))
        model = (doc.get("model") or {}).get("grader")
        source = f"model {_model_name(model)}" if model else "not recorded"
        path = (doc.get("input") or {}).get("path")
        grades = "".join(f"<td>{_sij_grade(sides[side])}</td>" for side in ("right", "left"))
        rows.append(f"<tr><td>{report.name(path)}</td><td>{escape(source)}</td>{grades}"
                    f"<td>{_yes_no(doc.get('definite'))}</td>{_num(doc.get('definite_probability'), '.3f')}"
                    f"{_num(doc.get('definite_probability_direct'), '.3f')}<td>{_operating_points(doc)}</td>"
                    f"<td class='warn'>{escape('; '.join(doc.get('warnings') or []))}</td></tr>")
        report.rows.append(Row("sacroiliitis, pelvic radiograph", [path or ""], "scored",
                               f"grades right {sides['right'].get('grade')}, left {sides['left'].get('grade')}; "
                               f"{source}"))
        if report.thumbnails:
            cards.append(_sij_card(report, p, doc))
    if not rows:
        return ""
    cards = [c for c in cards if c]
    return (f"<p>{definite} of {len(rows)} radiographs with definite radiographic sacroiliitis.</p>"
            + _table(["input", "source", "right grade (0–4), P(grade 0–4)", "left grade (0–4), P(grade 0–4)",
                      "definite", "P(definite) from the grades (0–1)", "P(definite), direct (0–1)",
                      "operating points", "warnings"], rows)
            + ("<h3>Heat maps</h3><p class='note'>What the model used, in colour (blue low, red high; zero "
               "transparent) over the radiograph; click an image to enlarge it.</p><div class='cards'>"
               + "".join(cards) + "</div>" if cards else "")
            + _definitions([("grade (modified New York, 0–4)", "0 normal, 1 suspicious, 2 minimal (small erosions or "
                             "sclerosis), 3 unequivocal (erosions, sclerosis, widening or narrowing, partial "
                             "ankylosis), 4 total ankylosis; P(grade 0–4) the model's probability of each."),
                            ("definite", "grade ≥ 2 on both sides or ≥ 3 on one side."),
                            ("P(definite) from the grades", "the probability of definite radiographic sacroiliitis "
                             "from the two sides' grade probabilities by the rule above."),
                            ("P(definite), direct", "the model's own estimate of it, where the model gives one."),
                            ("operating points", "the verdict at the model's thresholds on P(definite) chosen on "
                             "validation data (favouring sensitivity, balanced, favouring specificity).")]))


def _sij_grade(side: dict) -> str:
    p = side.get("grade_probabilities") or []
    probabilities = " ".join(number(v, ".2f") for v in p)
    return (f"{_grade_badge(side.get('grade'), SIJ_GRADE_COLORS)}"
            + (f" <span class='note'>{escape(probabilities)}</span>" if probabilities else ""))


def _operating_points(doc: dict) -> str:
    from axspa.sij.texts import operating_points_text

    return escape(operating_points_text(doc)) or DASH


def _sij_card(report: Report, p: Path, doc: dict) -> str:
    """The heat map beside its pelvis: in colour over the radiograph when the input still opens, else alone; ''
    when the result names no heat map, and a notice when it cannot be read."""
    from axspa.report import figures

    name = doc.get("heatmap")
    if not name:
        return ""
    path = (doc.get("input") or {}).get("path")
    heatmap, why = _heatmap(p.parent / str(name))
    caption = (f"<figcaption><b>{report.name(path)}</b>: right {escape(str(doc['sides']['right'].get('grade')))}, "
               f"left {escape(str(doc['sides']['left'].get('grade')))}, definite {_yes_no(doc.get('definite'))}"
               f"</figcaption>")
    if heatmap is None:
        return f"<figure class='card'><p class='notice'>No heat map shown: {escape(why)}.</p>{caption}</figure>"
    pixels, why = _pixels(doc)
    notice = "" if pixels is not None else (f"<p class='notice'>The radiograph could not be opened ({escape(why)}); "
                                            f"the heat map is shown alone.</p>")
    joints = {side: [j["column"], j["row"]] for side in ("right", "left")
              for j in [(doc["sides"][side].get("joint") or {})] if j.get("column") is not None}
    png = figures.heatmap_thumbnail(pixels, heatmap, report.tmp_png("heat"), joints=joints)
    figure = _img(png, f"{Path(path or p.name).name}: heat map", ENLARGE)
    return f"<figure class='card'>{notice}{figure}{caption}</figure>"


def _heatmap(path: Path):
    """The heat map of a result as [rows, columns] and ''; else None and why not."""
    if not path.is_file():
        return None, f"{path.name} not found beside the result"
    try:
        from axspa.io.nrrdfile import read_nrrd

        array, _ = read_nrrd(path)
    except Exception as exc:  # noqa: BLE001 - a thumbnail is optional; the table still reports the result
        return None, " ".join(str(exc).split()) or type(exc).__name__
    array = np.asarray(array, dtype=float)
    while array.ndim > 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 2:
        return None, f"{path.name} is not one image (shape {tuple(array.shape)})"
    return np.nan_to_num(array), ""


# ------------------------------------------------------------------------------------------------ hip

def hip_source(doc: dict) -> str:
    """Where a hip result's segments came from: the model (name and version) or a reader's segmentation."""
    segmentation = str(doc.get("segmentation") or "")
    model = (doc.get("model") or {}).get("segmenter")
    if model:
        edited = segmentation.partition("; ")[2]
        return f"segmented by the model {_model_name(model)}" + (f" ({edited})" if edited else "")
    if segmentation and segmentation != "model":
        name = segmentation if segmentation.startswith("segmentation '") else Path(segmentation).name
        return f"scored from a reader's segmentation {name}"
    return "source not recorded"


def hip_settings(doc: dict) -> str:
    s = doc.get("settings") or {}
    hw, area = s.get("half_width"), s.get("min_lesion_area_mm2")
    if hw is None and area is None:
        return "settings not recorded"
    return (f"scoring slices: the largest femoral-head slice ± {hw} (up to {2 * hw + 1} slices); a lesion counts "
            f"in the HIMRISS-style sums from {number(area, 'g')} mm² on a slice")


HIP_ROWS = [
    # (label, getter key, format, range text, short definition)
    ("femoral head found", "found", "", "yes / no", ""),
    ("scoring slices", "slices", "", "count", "coronal slices scored (index range)"),
    ("UNet-score, gray value", "unet_gray", ".3f", "0 – number of slices", "Σ over slices of femoral BME "
     "signal / femoral-head signal"),
    ("UNet-score, area fraction", "unet_area", ".3f", "0 – number of slices", "Σ over slices of femoral BME "
     "area / femoral-head area"),
    ("femoral BME volume", "vol:femoral BME", ".2f", "mL", "bone marrow edema in the femoral head"),
    ("acetabular BME volume", "vol:acetabular BME", ".2f", "mL", "bone marrow edema in the acetabulum"),
    ("effusion-synovitis volume", "vol:effusion-synovitis", ".2f", "mL", "joint fluid / synovitis"),
    ("HIMRISS-style femoral BME", "him:femoral_bme", "", "0 – number of slices", "slices with femoral BME"),
    ("HIMRISS-style acetabular BME", "him:acetabular_bme", "", "0 – number of slices", "slices with acetabular BME"),
    ("HIMRISS-style effusion", "him:effusion", "", "0 – number of slices", "slices with effusion-synovitis"),
    ("HIMRISS-style total", "him:total", "", "0 – 3 × slices", "sum of the three above"),
]


def _hip_value(side: dict, key: str):
    if key == "found":
        return "yes" if side.get("femoral_head_found") else "no"
    if key == "slices":
        s = side.get("scoring_slices") or []
        return f"{len(s)} ({min(s)}–{max(s)})" if s else "0"
    if key == "unet_gray":
        return (side.get("unet_score") or {}).get("gray_value")
    if key == "unet_area":
        return (side.get("unet_score") or {}).get("area_fraction")
    kind, _, name = key.partition(":")
    if kind == "vol":
        for segment, value in (side.get("lesion_volume_ml") or {}).items():
            if segment.lower().endswith(name.lower()):
                return float(value)
        return None
    return (side.get("himriss") or {}).get(name)


def hip_reading(side_name: str, side: dict) -> str:
    """What a side's numbers say together, e.g. that a HIMRISS-style total with a UNet-score of 0 is effusion."""
    if not side.get("femoral_head_found"):
        return f"{side_name}: not scored ({side.get('reason') or 'no femoral head in the segmentation'})."
    him = side.get("himriss") or {}
    gray = (side.get("unet_score") or {}).get("gray_value") or 0.0
    parts = [f"{him.get(k, 0)} {label}" for k, label in (("femoral_bme", "femoral BME"),
                                                        ("acetabular_bme", "acetabular BME"),
                                                        ("effusion", "effusion-synovitis"))]
    text = f"{side_name}: HIMRISS-style total {him.get('total', 0)} = slices with " + " + ".join(parts) + "."
    if gray == 0 and him.get("total"):
        text += " The UNet-score is 0 because it measures femoral BME only, and there is none."
    return text


def _hip_section(report: Report, docs: list[tuple[Path, dict]]) -> str:
    parts = []
    for p, doc in docs:
        sides = doc["sides"]
        inp = doc.get("input") or {}
        path = inp.get("path")
        series = f" <span class='note'>series {escape(str(inp['series_uid']))}</span>" if inp.get("series_uid") else ""
        rows = []
        for label, key, fmt, rng, what in HIP_ROWS:
            values = [_hip_value(sides[s], key) for s in ("right", "left")]
            cells = "".join(_num(v, fmt) if fmt or isinstance(v, int) else f"<td>{escape(str(v))}</td>"
                            for v in values)
            rows.append(f"<tr><td>{escape(label)}</td>{cells}<td class='num'>{escape(rng)}</td>"
                        f"<td class='what'>{escape(what)}</td></tr>")
        readings = "".join(f"<li>{escape(hip_reading(s, sides[s]))}</li>" for s in ("right", "left"))
        warnings = "".join(f"<li class='warn'>{escape(w)}</li>" for w in doc.get("warnings") or [])
        parts.append(f"<h3>{report.name(path)}{series}</h3><p class='note'>{escape(hip_source(doc))}; "
                     f"{escape(hip_settings(doc))}. Result file: {escape(report.rel(p))}.</p>"
                     + _table(["measure", "right", "left", "unit / range", "what it is"], rows)
                     + f"<ul>{readings}{warnings}</ul>")
        totals = ", ".join(f"{s} UNet-score {number(_hip_value(sides[s], 'unet_gray'), '.3f', DASH)}, "
                           f"HIMRISS-style total {_hip_value(sides[s], 'him:total')}" for s in ("right", "left"))
        report.rows.append(Row("hip STIR scores", [path or ""], "scored", f"{totals}; {hip_source(doc)}"))
    if not parts:
        return ""
    return "".join(parts) + _definitions([
        ("sides", "the patient's right and left, from the image geometry (not the screen)."),
        ("UNet-score (Zheng et al. 2023)", "per scoring slice, the STIR signal summed over femoral bone marrow "
         "edema divided by the signal summed over the femoral head; summed over the scoring slices. 0 means no "
         "femoral BME; each slice adds at most 1. The area-fraction variant uses pixel counts instead of signal."),
        ("HIMRISS-style slice sums", "per scoring slice and region (femoral BME, acetabular BME, "
         "effusion-synovitis) 1 when the region's lesion covers at least the minimum area on that slice; summed over "
         "the slices. Computed from segmentations: HIMRISS-style, not the official HIMRISS reader protocol. "
         "Effusion-synovitis counts in the total but not in the UNet-score, so a total of 15 with a UNet-score of 0 "
         "is effusion on 15 slices without femoral edema."),
        ("lesion volumes", "the whole segment of that side in mL (all slices, not only the scoring ones), one per "
         "lesion type; they are not summed."),
    ])


# ------------------------------------------------------------------------------------------------ agreement

def _agreement_section(report: Report, docs: list[tuple[Path, dict]]) -> str:
    parts = []
    for p, doc in docs:
        t = doc["total"]
        readers = doc.get("readers", [])
        names = ", ".join(str(r.get("name")) for r in readers)
        rows = [f"<tr><td>{escape(site)}</td>{_num(r['n'])}<td>{number(r['exact_agreement'], missing=DASH)}</td>"
                f"<td>{number(r['kappa_linear'], missing=DASH)}{interval(r['kappa_linear_ci'])}</td>"
                f"<td>{number(r['kappa_quadratic'], missing=DASH)}{interval(r['kappa_quadratic_ci'])}</td></tr>"
                for site, r in list(doc["sites"].items()) + [("all sites", doc["all_sites"])]]
        parts.append(f"<h3>Readers {escape(names)}</h3><p class='note'>{escape(report.rel(p))}. Per site: "
                     f"{escape(doc.get('site_comparison', ''))}; kappa with its 95% CI by bootstrap.</p>"
                     + _table(["site", "n", "exact agreement (0–1)", "kappa linear (−1–1)", "kappa quadratic (−1–1)"],
                              rows))
        if t.get("icc_2_1") is not None:
            n = {k: number(v, missing=DASH) for k, v in (("icc_2_1", t["icc_2_1"]), ("icc_3_1", t["icc_3_1"]),
                                                         ("icc_1_1", t["icc_1_1"]), ("bias", t["mean_difference"]),
                                                         ("low", t["loa"][0]), ("high", t["loa"][1]),
                                                         ("sdc", t["sdc"]))}
            parts.append(f"<p>Total mSASSS ({t['n_complete']} studies): ICC(2,1) {n['icc_2_1']}"
                         f"{interval(t['icc_2_1_ci'])}, ICC(3,1) {n['icc_3_1']}, ICC(1,1) {n['icc_1_1']}; "
                         f"mean difference {n['bias']} units, limits of agreement {n['low']} "
                         f"to {n['high']}; smallest detectable change {n['sdc']} units.</p>")
        figure = p.parent / ((doc.get("figures") or {}).get("bland_altman") or "bland_altman.png")
        if figure.is_file():
            parts.append(f"<figure class='chart'>{_img(figure, 'Bland-Altman plot')}</figure>")
        report.rows.append(Row("reader agreement (mSASSS)", [str(r.get("path") or r.get("name")) for r in readers],
                               "scored", f"{doc.get('n_studies', t.get('n_complete'))} studies"))
    if not parts:
        return ""
    return "".join(parts) + _definitions([
        ("exact agreement", "the fraction of sites both readers graded the same."),
        ("kappa", "Cohen's kappa with linear or quadratic weights: 1 perfect agreement, 0 what chance gives."),
        ("ICC", "intraclass correlation of the totals: (2,1) absolute agreement, (3,1) consistency, (1,1) one-way; "
                "0–1, higher is better."),
        ("limits of agreement", "mean difference ± 1.96 SD of the differences (Bland–Altman), in mSASSS units."),
    ])


def _overlap_section(report: Report, docs: list[tuple[Path, dict]]) -> str:
    parts = []
    for p, doc in docs:
        pairs = doc.get("pairs") or [{"id": "pair", **doc}]
        rows = [f"<tr><td>{escape(str(r.get('id')))}</td><td>{escape(Path(str(r.get('a', ''))).name)} vs "
                f"{escape(Path(str(r.get('b', ''))).name)}</td><td>{number(r['dice'], '.3f', DASH)}</td>"
                f"<td>{number(r['volume_similarity'], '.3f', DASH)}</td>"
                f"{_num(r['volume_a_ml'])}{_num(r['volume_b_ml'])}"
                f"<td>{number(r['hd95_mm'], '.1f', DASH)}</td></tr>" for r in pairs]
        parts.append(f"<h3>{escape(report.rel(p))}</h3>"
                     + _table(["pair", "masks", "Dice (0–1)", "volume similarity (0–1)", "volume A mL", "volume B mL",
                               "HD95 mm"], rows))
        report.rows.append(Row("segmentation agreement", [str(r.get(k)) for r in pairs for k in ("a", "b")
                                                          if r.get(k)], "scored", f"{len(pairs)} pair(s)"))
    if not parts:
        return ""
    return "".join(parts) + _definitions([
        ("Dice", "2|A∩B| / (|A| + |B|): 1 identical, 0 no overlap."),
        ("volume similarity", "1 − |Va − Vb| / (Va + Vb)."),
        ("HD95", "95th percentile of the distances between the two surfaces, in mm."),
    ])


def _progression_section(report: Report, docs: list[tuple[Path, dict]]) -> str:
    parts = []
    for p, doc in docs:
        patients = [r for r in doc.get("patients") or [] if isinstance(r, dict)]
        per_patient = [
            f"<tr><td>{escape(str(r['patient']))}</td>{_num(r.get('visits'))}"
            f"<td>{escape(str(r.get('first_visit') or DASH))}</td><td>{escape(str(r.get('last_visit') or DASH))}</td>"
            f"{_num(r.get('years'), '.2f')}"
            f"{_num(r.get('change'), '.1f')}{_num(r.get('change_2y'), '.1f')}<td>{_yes_no(r.get('progressor'))}</td>"
            f"<td>{escape(' '.join(r.get('new_syndesmophytes') or [])) or DASH}</td>"
            f"<td>{escape(' '.join(r.get('new_bridges') or [])) or DASH}</td></tr>" for r in patients]
        intervals = [
            f"<tr><td>{escape(r['patient'])}</td><td>{r['baseline_date']}</td><td>{r['followup_date']}</td>"
            f"{_num(r['baseline_total'], '.1f')}{_num(r['followup_total'], '.1f')}{_num(r['change'], '.1f')}"
            f"{_num(r['change_2y'], '.1f')}<td>{_yes_no(r['progressor'])}</td>"
            f"<td>{escape(' '.join(r['new_syndesmophytes'])) or DASH}</td>"
            f"<td>{escape(' '.join(r['new_bridges'])) or DASH}</td></tr>" for r in doc["intervals"]]
        parts.append(f"<p>{doc['n_patients']} patients, {doc['n_visits']} visits; {doc['n_progressors']} of "
                     f"{doc['n_with_change']} progressed by ≥ {doc['threshold']:g} units per 2 years from their "
                     f"first to their last visit. <span class='note'>{escape(report.rel(p))}</span></p>")
        if per_patient:
            parts.append("<h3>Per patient: first to last visit</h3>"
                         + _table(["patient", "visits", "first visit", "last visit", "years", "change (units)",
                                   "change per 2 y", "progressor", "new syndesmophytes", "new bridges"], per_patient))
        parts.append("<h3>Per interval: consecutive visits</h3>"
                     + _table(["patient", "from", "to", "total before (0–72)", "total after (0–72)", "change",
                               "change per 2 y", "progressor", "new syndesmophytes", "new bridges"], intervals))
        figure = p.parent / ((doc.get("figures") or {}).get("cumulative_probability") or "cumulative_probability.png")
        if figure.is_file():
            parts.append(f"<figure class='chart'>{_img(figure, 'cumulative probability plot')}</figure>")
        report.rows.append(Row("progression", [str(doc.get("manifest") or "")], "scored",
                               f"{doc['n_patients']} patients, {doc['n_visits']} visits"))
    if not parts:
        return ""
    return "".join(parts) + _definitions([
        ("change", "total mSASSS (0–72) at the later visit minus the earlier one, in mSASSS units."),
        ("change per 2 y", "the change scaled to 2 years; intervals shorter than the minimum interval get none."),
        ("progressor", "change per 2 years ≥ the threshold (2 units, the smallest detectable change used in the "
                       "literature)."),
        ("new syndesmophytes / bridges", "sites that reach grade 2 / grade 3 between the visits."),
    ])


def _clinical_section(report: Report, paths: list[Path]) -> str:
    """ASDAS-CRP/ESR with their disease-activity states, BASDAI, BASFI and the high-risk flags of each visit in
    ``clinical.json`` (axspa.clinical/1), or in ``clinical.csv`` where no clinical.json is beside it."""
    from axspa import clinical

    rows = []
    jsons = {p.parent for p in paths if p.name == "clinical.json"}
    for p in paths:
        if p.name == "clinical.csv" and p.parent in jsons:
            continue
        visits = _clinical_visits(p)
        if visits is None:
            report.skip(p, "not a clinical indices table (axspa clinical --out)")
            continue
        for v in visits:
            notes = v.get("notes") or ""
            rows.append(f"<tr><td>{escape(str(v.get('patient') or DASH))}</td>"
                        f"<td>{escape(str(v.get('visit_date') or DASH))}</td>"
                        f"{_num(_float(v.get('asdas_crp')))}<td>{escape(v.get('asdas_crp_state') or DASH)}</td>"
                        f"{_num(_float(v.get('asdas_esr')))}<td>{escape(v.get('asdas_esr_state') or DASH)}</td>"
                        f"{_num(_float(v.get('basdai')))}{_num(_float(v.get('basfi')))}"
                        f"<td>{_yes_no(_flag(v.get('basdai_high')))}</td><td>{_yes_no(_flag(v.get('basfi_high')))}</td>"
                        f"<td class='note'>{escape(report.rel(p))}{'; ' + escape(notes) if notes else ''}</td></tr>")
    if not rows:
        return ""
    return (_table(["patient", "visit", "ASDAS-CRP", "state", "ASDAS-ESR", "state", "BASDAI (0–10)", "BASFI (0–10)",
                    f"BASDAI ≥ {clinical.BASDAI_HIGH:g}", f"BASFI ≥ {clinical.BASFI_HIGH:g}", "file; not computed"],
                   rows)
            + _definitions([("ASDAS-CRP, ASDAS-ESR", "Ankylosing Spondylitis Disease Activity Score with CRP (mg/L) "
                             "or ESR (mm/h); state: inactive < 1.3 ≤ low < 2.1 ≤ high ≤ 3.5 < very high."),
                            ("BASDAI, BASFI", "Bath AS disease activity and functional indices (0–10)."),
                            ("high-risk flags", f"BASDAI ≥ {clinical.BASDAI_HIGH:g} and BASFI ≥ "
                             f"{clinical.BASFI_HIGH:g}, the cut-offs of the pelvic-radiograph AS study.")]))


def _clinical_visits(path: Path) -> Optional[list[dict]]:
    if path.suffix == ".json":
        doc = _load(path)
        visits = doc.get("visits") if doc and doc.get("schema") == "axspa.clinical/1" else None
        return [v for v in visits if isinstance(v, dict)] if isinstance(visits, list) else None
    try:
        with path.open(newline="", encoding="utf-8") as f:
            table = list(csv.DictReader(f))
    except (OSError, ValueError, csv.Error):
        return None
    return table if table and {"asdas_crp", "basdai", "basfi"} <= set(table[0]) else None


def _float(value):
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _flag(value):
    """A flag from JSON (true/false/null) or CSV text ("True", "False", "")."""
    if isinstance(value, bool) or value is None:
        return value
    return {"true": True, "false": False, "yes": True, "no": False}.get(str(value).strip().lower())


def _failures_section(report: Report, paths: list[Path]) -> str:
    rows = []
    for p in paths:
        try:
            with open(p, newline="", encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    rows.append(f"<tr><td>{escape(row.get('input', ''))}</td><td>{escape(row.get('reason', ''))}"
                                f"</td><td>{escape(report.rel(p.parent))}</td></tr>")
                    report.rows.append(Row(f"batch in {report.rel(p.parent)}", [row.get("input", "")], "failed",
                                           row.get("reason", "")))
        except OSError:
            continue
    return _table(["input", "reason", "output folder"], rows) if rows else ""
