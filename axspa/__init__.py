"""axspa: scoring engine for axial spondyloarthritis imaging (mSASSS, sacroiliitis, hip STIR MRI).

Pure Python (numpy); no Qt and no Slicer application objects, so the same code runs in
Slicer's Python, in a plain virtual environment and behind the ``axspa`` command.
"""

__version__ = "0.1.0"
