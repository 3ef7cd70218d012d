"""axspa.texts: the one number formatter every text of the engine uses, confidence intervals, CSV cells."""

from __future__ import annotations

from axspa.texts import cell, interval, number


def test_number_formats_whole_numbers_and_missing_values():
    assert number(0.8666) == "0.87" and number(None) == "n/a"
    assert number(None, missing="-") == "-" and number(3.14159, ".1f") == "3.1"
    assert number(18.0, ".2f", whole=True) == "18" and number(18.55, ".2f", whole=True) == "18.55"
    assert number(7, "") == "7" and number("yes", "") == "yes"  # as they are: table cells that are not numbers


def test_interval_and_csv_cells():
    assert interval([0.612, 0.9]) == " [0.61, 0.90]" and interval(None) == "" and interval([None, 1]) == " [n/a, 1.00]"
    assert [cell(v) for v in (None, 0.123456, 3, "C2i", True, ["L1s", "L2i"])] == \
        ["", "0.1235", "3", "C2i", "1", "L1s L2i"]
