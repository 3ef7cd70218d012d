"""AP pelvis radiograph phantom: grades, canvas, joints, soft_tissue, bones, texture, render, case (truth, files).

AP pelvis radiograph phantom with a modified New York grade (0-4) for each sacroiliac joint.

Anatomy in millimetres (x toward the image right = patient left, y inferior, origin on the
midline at the top of the SI joints): L5 with pedicles and transverse processes, the sacrum
with its foramina, iliac wings, both SI joints, acetabula and femoral heads, pubic and ischial
rami around the obturator foramina, soft tissue and bowel gas.

Each SI joint is seen obliquely, so it shows two joint lines (the anterior and posterior margins)
converging inferiorly, with sacrum and ilium overlapping between them. Its grade is drawn as:
0 a crisp gap of even width; 1 slightly blurred margins and faint sclerosis; 2 a few small
erosions and subchondral sclerosis, width unchanged; 3 many erosions (irregular, pseudo-widened
margins), marked sclerosis and partial ankylosis (bone bridges); 4 total ankylosis (the gap is
filled, a ghost line at most). Grades per side are drawn from configurable probabilities; the
two sides are often equal (symmetry), with each side's marginal distribution kept exactly.
"""

from __future__ import annotations

from axspa.phantom.pelvis.case import PelvisCase, make_pelvis_case, write_pelvis_case
from axspa.phantom.pelvis.grades import DEFAULT_GRADE_PROBS, PelvisConfig, sample_grades
from axspa.phantom.pelvis.render import render_pelvis

__all__ = ["DEFAULT_GRADE_PROBS", "PelvisCase", "PelvisConfig", "make_pelvis_case", "render_pelvis", "sample_grades",
           "write_pelvis_case"]
