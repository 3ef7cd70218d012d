"""axspa: axSpA imaging scoring engine; families spine/, sij/, hip/ on io/, mrml/, evaluation/, training/.

Scoring of axial spondyloarthritis imaging: mSASSS on spine radiographs, sacroiliitis on pelvic
radiographs, hip inflammation on STIR MRI. The core modules here are shared by every family: cli,
image, results, bundles, jobs, texts, clinical and slicer_support (README: Layout).

Pure Python (numpy); no Qt and no Slicer application objects, so the same code runs in
Slicer's Python, in a plain virtual environment and behind the ``axspa`` command.
"""

__version__ = "0.1.0"
