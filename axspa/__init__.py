"""axspa: axSpA imaging scoring engine; families spine/, sij/, hip/ on io/, evaluation/, training/;
the Slicer roof is slicer/.

Scoring of axial spondyloarthritis imaging: mSASSS on spine radiographs, sacroiliitis on pelvic
radiographs, hip inflammation on STIR MRI. The core modules here are shared by every family: cli,
image, results, bundles, jobs, texts and clinical (README: Layout).

Pure Python (numpy) outside slicer/ (MRML, Qt: the engine never imports it), so the same code runs in
Slicer's Python, in a plain virtual environment and behind the ``axspa`` command.
"""

__version__ = "0.1.0"
