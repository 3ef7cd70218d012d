"""Spine radiograph phantom: findings, anatomy, painter, vertebrae, context, lesions, case (truth and files).

Lateral spine radiograph phantom (cervical C2-T1 or lumbar T12-S1) with exact mSASSS truth.

A case is made in three steps, all from one numpy Generator so the same seed gives the same bytes:

1. ``sample_findings`` draws the patient's severity and the findings at every site. Prevalences
   are per unit: per disc level for bridging, per vertebra for squaring, per site for the rest,
   so each is also the expected per-site frequency (the test checks this).
2. ``build_anatomy`` lays the vertebrae on a lordotic/kyphotic curve in millimetres (x anterior,
   y inferior) with random sizes, disc heights, rotation, scale, facing and field of view.
3. ``render_density`` draws the attenuation map (soft tissue, airway or bowel gas, bodies with
   cortex and trabecular texture, posterior elements, skull base and mandible or ribs and pelvis,
   shoulders, lesions, implants); ``xray.acquire`` turns it into stored pixels.

The truth document follows the axspa.spine/1 schema with findings 0/1; grades and the segment
score are computed by the engine (axspa.spine.rules), never here.
"""

from __future__ import annotations

from axspa.phantom.spine.anatomy import Layout, Vertebra, build_anatomy, plan_layout
from axspa.phantom.spine.case import SpineCase, build_truth, make_spine_case, render_density, write_spine_case
from axspa.phantom.spine.findings import DEFAULT_PREVALENCE, SEVERITY_DRIVEN, SpineConfig, sample_findings

__all__ = ["DEFAULT_PREVALENCE", "SEVERITY_DRIVEN", "Layout", "SpineCase", "SpineConfig", "Vertebra", "build_anatomy",
           "build_truth", "make_spine_case", "plan_layout", "render_density", "sample_findings", "write_spine_case"]
