"""Option types of the ``axspa`` commands: every number range-checked by the parser, so a bad value is one
line of usage naming the option, never a traceback."""

from __future__ import annotations

import argparse
import math
from typing import Callable, Optional


def integer(low: Optional[int] = None, high: Optional[int] = None) -> Callable[[str], int]:
    """An argparse type: a whole number in [low, high] (either end open when None)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        _check_range(text, value, low, high)
        return value
    parse.__name__ = "integer"  # what argparse names in its message
    return parse


def number(low: Optional[float] = None, high: Optional[float] = None) -> Callable[[str], float]:
    """An argparse type: a finite number in [low, high] (either end open when None)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
        _check_range(text, value, low, high)
        return value
    parse.__name__ = "number"
    return parse


def _check_range(text: str, value: float, low: Optional[float], high: Optional[float]) -> None:
    if low is not None and value < low or high is not None and value > high:
        if high is None:
            raise argparse.ArgumentTypeError(f"{text} is below the smallest allowed value {low:g}")
        if low is None:
            raise argparse.ArgumentTypeError(f"{text} is above the largest allowed value {high:g}")
        raise argparse.ArgumentTypeError(f"{text} is not in the allowed range {low:g} to {high:g}")


PROBABILITY = number(0.0, 1.0)
SEED = integer(0, 2**32 - 1)  # what numpy's random generators accept
