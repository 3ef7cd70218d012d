"""Helpers of the Hip Inflammation module that keep HipInflammation.py short.

They use MRML classes and vtk only (no Qt, no slicer.util), so they run inside Slicer and under the
slicer-core wheel that the repository's tests use.
"""
