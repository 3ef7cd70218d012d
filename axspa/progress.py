"""What stands in for tqdm where it is not installed (3D Slicer's Python does not bundle it): the same calls,
no bar. Used as

    try:
        from tqdm import tqdm
    except ImportError:
        from axspa.progress import tqdm
"""

from __future__ import annotations

import sys
from typing import Any, Iterable, Iterator, Optional


class PlainProgress:
    """The part of tqdm's interface the engine uses (iterate, update, set_postfix, close, write), showing
    nothing: ``disable`` is always true, so callers that print a line per case when the bar is off do so."""

    def __init__(self, iterable: Optional[Iterable[Any]] = None, *args: Any, total: Optional[int] = None,
                 initial: int = 0, **kwargs: Any) -> None:
        self.iterable = iterable
        self.total = total
        self.n = initial
        self.disable = True

    def __iter__(self) -> Iterator[Any]:
        for item in self.iterable or ():
            yield item
            self.n += 1

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def update(self, n: int = 1) -> None:
        self.n += n

    def set_postfix(self, *args: Any, **kwargs: Any) -> None:
        pass

    def set_description(self, *args: Any, **kwargs: Any) -> None:
        pass

    def refresh(self, *args: Any, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass

    @staticmethod
    def write(message: str, file: Any = None, end: str = "\n") -> None:
        print(message, file=file if file is not None else sys.stdout, end=end)


# The name callers import in place of tqdm's.
tqdm = PlainProgress
