"""Prepared training arrays cached on disk, keyed by what they were made from, so that a resumed run
(or the second bundle trained on the same data) skips reading every case again."""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path
from typing import Any, Callable


def cached(work_dir: Path, prefix: str, key_parts: Any, build: Callable[[], Any]) -> Any:
    """``build()``'s result, stored as ``work_dir/<prefix>-<hash of key_parts>.pkl`` (written atomically)
    and read back when the same key is asked for again."""
    key = hashlib.sha256(json.dumps(key_parts).encode()).hexdigest()[:16]
    cache = Path(work_dir) / f"{prefix}-{key}.pkl"
    if cache.is_file():
        return pickle.loads(cache.read_bytes())
    value = build()
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(value, protocol=4))
    tmp.replace(cache)
    return value
