"""Export the hip result as it stands ("Export..."), in the files ``axspa hip`` writes (axspa.hip.outputs):
the document ``hip.json`` (or ``<stem>.hip.json`` when the folder holds another case's ``hip.json``),
``<stem>.slices.csv`` and the segments as ``<stem>.seg.nrrd``.

Each file is written atomically (a temporary file renamed into place); a file already there that differs
(edited, or another result) is kept unless ``overwrite`` and listed in "kept". Never into the folders the
extension is installed in. MRML classes only.
"""

import os
import re
from pathlib import Path

import numpy as np

_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')


def checkOutputFolder(outputDir, installFolders=()) -> Path:
    """The export folder as a Path; ValueError for an empty choice or a folder inside the installation."""
    if not outputDir:
        raise ValueError("Select a folder to export to.")
    out = Path(os.path.realpath(str(outputDir)))
    for folder in installFolders:
        if not folder:
            continue
        inside = Path(os.path.realpath(str(folder)))
        if out == inside or inside in out.parents:
            raise ValueError(f"{out} is inside the installation ({inside}); export into a folder of your own, "
                             "e.g. in your documents")
    return out


def exportNames(volumeNode, document: dict, out: Path) -> tuple:
    """(stem, document file name): as ``axspa hip`` names them for a volume loaded from a file; for a volume
    without a file, the node's name and ``hip.json`` unless the folder's ``hip.json`` is another case's."""
    import json

    from axspa.hip import outputs

    path = document["input"].get("path") or ""
    if path:
        return outputs.output_names(path, out)
    name = volumeNode.GetName() or "volume"
    stem = _UNSAFE.sub("_", name).strip("._") or "volume"
    caseDoc = out / "hip.json"
    ours = False
    if caseDoc.exists():
        try:
            recorded = json.loads(caseDoc.read_text(encoding="utf-8")).get("input", {})
            ours = not recorded.get("path") and recorded.get("node") == name
        except (OSError, ValueError, AttributeError):
            ours = False
    return stem, ("hip.json" if ours or not caseDoc.exists() else f"{stem}.hip.json")


def exportFiles(outputDir, volumeNode, document: dict, masks: dict, overwrite: bool = False,
                installFolders=()) -> dict:
    """Write the three files of ``document`` and the hip ``masks`` ([k, j, i] on the volume's grid) into
    ``outputDir``. Returns {"files": [paths], "kept": [messages about files kept]}."""
    from axspa.hip import outputs
    from axspa.hip.segments import HIP_SEGMENTS
    from axspa.io.segfile import write_seg_nrrd
    from axspa.results import dumps, write_file_safely, write_text_safely
    from axspa.slicer.volumes import ijk_to_ras_of

    out = checkOutputFolder(outputDir, installFolders)
    stem, docName = exportNames(volumeNode, document, out)
    ijkToRas = ijk_to_ras_of(volumeNode)
    if not masks:  # no hip segment at all: an empty segmentation on the volume's grid
        dims = volumeNode.GetImageData().GetDimensions()
        masks = {HIP_SEGMENTS[0].name: np.zeros((dims[2], dims[1], dims[0]), bool)}
    writers = (
        (out / f"{stem}.seg.nrrd", lambda path: write_file_safely(
            path, lambda tmp: write_seg_nrrd(tmp, masks, ijkToRas, segments=HIP_SEGMENTS), overwrite)),
        (out / docName, lambda path: write_text_safely(path, dumps(document), overwrite)),
        (out / f"{stem}.slices.csv", lambda path: write_text_safely(path, outputs.slices_csv(document), overwrite)),
    )
    files, kept = [], []
    for path, write in writers:
        if not write(path):
            kept.append(f"{path}: differs from this result (edited, or another result?); kept")
        files.append(str(path))
    return {"files": files, "kept": kept}
