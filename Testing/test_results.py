"""Result documents and the safety rules around writing them."""

from __future__ import annotations

import pytest

from axspa.results import InvalidDocumentError, stem_of, validate, write_text_safely


@pytest.mark.parametrize("path, stem", [("a/scan.nii.gz", "scan"), ("x.dcm", "x"), ("IM0001", "IM0001"),
                                        ("case.seg.nrrd", "case"), ("lat.c.spine.png", "lat.c.spine")])
def test_stem_drops_only_the_format_extension(path, stem):
    assert stem_of(path) == stem


def test_a_different_existing_file_is_kept_unless_overwrite(tmp_path):
    path = tmp_path / "r.csv"
    assert write_text_safely(path, "a\n")
    assert write_text_safely(path, "a\n")  # same content: fine
    path.write_text("edited by hand\n")
    assert not write_text_safely(path, "a\n")
    assert path.read_text() == "edited by hand\n"
    assert write_text_safely(path, "a\n", overwrite=True) and path.read_text() == "a\n"
    assert not list(tmp_path.glob("*.part"))


def test_invalid_spine_document_lists_the_problem():
    with pytest.raises(InvalidDocumentError, match="region"):
        validate({"schema": "axspa.spine/1", "region": "thoracic"}, "spine")
