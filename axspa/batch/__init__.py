"""Cohorts: ``axspa batch MANIFEST.csv|FOLDER --out DIR`` and the modules' ``processCohort``.

- ``plan``: the cases of a manifest or of a folder scan (``scan``: DICOM grouped into series, a job per
  series from its tags, the reason recorded), and every file or row that will not run, with why;
- ``work``: one case scored by its family's pipeline into bytes (run in this process, a worker process
  or a Dask worker alike);
- ``store``: per-case folders written atomically with a record of what made them (input hash, options,
  model versions), so a rerun skips what is done and re-scores only what changed; ``summary.csv``,
  ``cohort.csv``, ``failures.csv`` and ``plan.csv``;
- ``executors``: in-process, worker processes (per-case time limit, models loaded once per worker) and
  Dask (``--scheduler``, ``--cluster slurm``);
- ``run``: the batch itself, with progress and cancel.

Nothing here imports torch, MONAI, tqdm or Dask at module level: Slicer's Python runs the in-process path.
"""
