"""Helpers of the Hip Inflammation module that keep HipInflammation.py short.

All but panel.py use MRML classes and vtk only (no Qt, no slicer.util beyond its confirmation dialog and the
slice viewers in logic.py), so they run inside Slicer and under the slicer-core wheel that the repository's
tests use. logic.py holds the Logic's methods (mixins of HipInflammationLogic); panel.py is the widget's
glue (the score hint, the results table, outputs that follow the input, the edited-segments question).
"""
