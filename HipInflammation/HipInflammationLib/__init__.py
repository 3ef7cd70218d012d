"""Helpers of the Hip Inflammation module that keep HipInflammation.py short.

All but the widget's files use MRML classes and vtk only (no Qt, no slicer.util beyond its confirmation dialog
and the slice viewers in logic.py), so they run inside Slicer and under the slicer-core wheel that the
repository's tests use. logic.py holds the Logic's methods (mixins of HipInflammationLogic). The widget's files:
hip_panel.py is the panel's workflow (segment with model, score a segmentation, export, the buttons' state),
panel.py its glue (the score hint, the results table, outputs that follow the input, the edited-segments
question), widget.py the widget's life cycle; selftest.py holds self-tests of HipInflammationTest.
"""
