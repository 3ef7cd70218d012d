"""Loading a shipped model bundle in tests: absent skips, present but broken fails."""

from __future__ import annotations

from typing import Any, Callable

import pytest


def shipped_or_skip(load: Callable[[], Any]) -> Any:
    """``load()``'s model; a skip when the bundle is not installed, the error when it is there but broken."""
    from axspa.bundles import ModelCorruptError, ModelMissingError

    try:
        return load()
    except ModelCorruptError:
        raise  # there but broken: a failure, not an absence
    except ModelMissingError as exc:
        pytest.skip(str(exc))
