"""Helpers of the AxSpA Scoring module that keep AxSpAScoring.py short.

All but panel.py use MRML classes and vtk only (no Qt, no slicer.util beyond its confirmation dialog), so they
run inside Slicer and under the slicer-core wheel that the repository's tests use. panel.py is the widget's
glue (live totals, the "Selected site" box, place mode); it touches widgets only through their properties, so
the tests drive it with stand-ins.
"""
