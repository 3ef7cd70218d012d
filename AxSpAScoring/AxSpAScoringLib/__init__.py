"""Helpers of the AxSpA Scoring module that keep AxSpAScoring.py short.

All but the widget's files use MRML classes and vtk only (no Qt, no slicer.util beyond its confirmation dialog),
so they run inside Slicer and under the slicer-core wheel that the repository's tests use. The widget's files
touch widgets only through their properties, so the tests drive them with stand-ins: one class per workflow
(spine_panel.py model scoring, reading_panel.py manual reading, sij_panel.py sacroiliac joints, compare_panel.py
reader comparison, clinical_panel.py the clinical indices, their table in clinical.py) on what they share
(workflow.py), the glue (panel.py: live totals, the "Selected site" box, place mode) and the widget's life cycle
(widget.py). selftest.py holds self-tests of AxSpAScoringTest.
"""
