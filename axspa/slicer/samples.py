"""Sample data: ``Resources/SampleData/manifest.json`` read into the arguments of
``SampleData.SampleDataLogic.registerCustomSampleDataSource`` (``file://`` URIs + SHA256 checksums), and the
registration both modules do once Slicer has started (``register_samples``).

Manifest format (the lead fills it; a missing file means no sample data)::

    {"samples": [{"name": "Phantom cervical spine", "module": "AxSpAScoring", "category": "AxSpA",
                  "file": "spine_cervical.dcm", "sha256": "<64 hex>", "node_name": "PhantomCervical",
                  "load_file_type": "VolumeFile", "thumbnail": "spine_cervical.png",
                  "properties": {"singleFile": true}}]}

``sha256`` may be left out; it is then computed from the file.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from axspa.image import InputError
from axspa.results import sha256_file

MANIFEST_NAME = "manifest.json"
DEFAULT_CATEGORY = "AxSpA"

@dataclass
class SampleSource:
    """One sample data set, as registerCustomSampleDataSource takes it."""

    category: str
    sample_name: str
    uri: str
    file_name: str
    checksum: str
    node_name: str
    load_file_type: str = "VolumeFile"
    thumbnail: Optional[str] = None
    properties: dict = field(default_factory=dict)

    def register_kwargs(self, register: Optional[Callable] = None) -> dict:
        """Keyword arguments for SampleData.SampleDataLogic.registerCustomSampleDataSource (``register``;
        by default the one of the running Slicer): ``loadFileTypes`` where it takes it (``loadFileType`` is
        deprecated there), ``loadFileType`` in the Slicer releases that know only that."""
        kwargs = {"category": self.category, "sampleName": self.sample_name, "uris": self.uri,
                  "fileNames": self.file_name, "nodeNames": self.node_name, "checksums": self.checksum,
                  load_file_types_keyword(register): self.load_file_type, "thumbnailFileName": self.thumbnail}
        if self.properties:
            kwargs["loadFileProperties"] = dict(self.properties)
        return kwargs


def load_file_types_keyword(register: Optional[Callable] = None) -> str:
    """``loadFileTypes`` when ``register`` (default: Slicer's registerCustomSampleDataSource) takes it,
    else ``loadFileType``."""
    if register is None:
        try:
            import SampleData  # only inside Slicer

            register = SampleData.SampleDataLogic.registerCustomSampleDataSource
        except (ImportError, AttributeError):
            return "loadFileType"
    try:
        parameters = inspect.signature(register).parameters
    except (TypeError, ValueError):
        return "loadFileType"
    return "loadFileTypes" if "loadFileTypes" in parameters else "loadFileType"


def find_resources_dir(module_file: str | Path, sub: str) -> Optional[Path]:
    """``Resources/<sub>`` for a module: beside the installed module (qt-scripted-modules/Resources)
    or, when run from the source tree, at the repository root one level up."""
    module_dir = Path(module_file).resolve().parent
    for base in (module_dir, module_dir.parent):
        candidate = base / "Resources" / sub
        if candidate.is_dir():
            return candidate
    return None


def read_sample_manifest(folder: str | Path | None, module: Optional[str] = None) -> list[SampleSource]:
    """Sample sources listed in ``folder/manifest.json`` (for one module when ``module`` is given).

    A missing folder or manifest gives an empty list; a listed file that is absent is skipped (a
    partial install must not break Slicer's startup); a malformed manifest raises InputError naming it.
    """
    if folder is None:
        return []
    path = Path(folder) / MANIFEST_NAME
    if not path.is_file():
        return []
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable JSON sample-data manifest ({exc})") from exc
    entries = doc.get("samples") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise InputError(f"{path}: expected an object with a 'samples' list")
    sources = []
    for number, entry in enumerate(entries, start=1):
        source = _sample_source(path, number, entry)
        if source is not None and (module is None or entry.get("module", module) == module):
            sources.append(source)
    return sources


def _sample_source(manifest: Path, number: int, entry: Any) -> Optional[SampleSource]:
    if not isinstance(entry, dict) or not isinstance(entry.get("file"), str) or not entry.get("name"):
        raise InputError(f"{manifest}: sample {number} needs at least 'name' and 'file'")
    data = manifest.parent / entry["file"]
    if not data.is_file():
        return None
    digest = str(entry.get("sha256") or sha256_file(data)).lower()
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise InputError(f"{manifest}: sample {number} ({entry['file']}): sha256 is not 64 hex digits")
    thumbnail = manifest.parent / entry["thumbnail"] if entry.get("thumbnail") else None
    return SampleSource(
        category=str(entry.get("category", DEFAULT_CATEGORY)), sample_name=str(entry["name"]),
        uri=data.resolve().as_uri(), file_name=data.name, checksum=f"SHA256:{digest}",
        node_name=str(entry.get("node_name") or Path(entry["file"]).name.split(".")[0]),
        load_file_type=str(entry.get("load_file_type", "VolumeFile")),
        thumbnail=str(thumbnail) if thumbnail is not None and thumbnail.is_file() else None,
        properties=dict(entry.get("properties") or {}))


def register_samples(module_file: str | Path, module: str, title: str) -> list[SampleSource]:
    """What a module's ``registerSampleData`` does once Slicer has started: add the samples of ``module`` listed
    in its ``Resources/SampleData/manifest.json`` to the Sample Data module. A broken manifest is logged
    (naming ``title``), never raised: it must not break Slicer's startup. Returns the sources registered."""
    import SampleData  # only inside Slicer

    try:
        sources = read_sample_manifest(find_resources_dir(module_file, "SampleData"), module=module)
    except Exception as exc:  # noqa: BLE001 (a broken manifest must not break Slicer's startup)
        logging.warning(f"{title} sample data not registered: {exc}")
        return []
    register = SampleData.SampleDataLogic.registerCustomSampleDataSource
    for source in sources:
        register(**source.register_kwargs(register))
    return sources
