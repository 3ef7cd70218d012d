"""axspa.schema_check, the JSON Schema checker ``results.validate`` falls back on where jsonschema is not installed
(3D Slicer's Python): it accepts and rejects exactly what jsonschema does, with the same paths and messages, on
every schema's valid documents (the sample data's phantom truths, the examples of docs/formats.md, results the
engine writes) and on over a thousand mutations of them; and ``validate`` works with jsonschema unimportable."""

from __future__ import annotations

import copy
import json
import random
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from axspa import schema_check
from axspa.results import KINDS, SCHEMA_DIR, InvalidDocumentError, load_schema, validate

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "Resources" / "SampleData"
FORMATS = REPO / "docs" / "formats.md"
MUTATIONS_PER_DOCUMENT = 120


def _formats_example(kind: str) -> dict:
    """The JSON example of the section of docs/formats.md that names ``axspa.<kind>/1`` (as test_docs finds it)."""
    text = FORMATS.read_text(encoding="utf-8")
    heading = re.search(rf"^## .*`axspa\.{kind}/1`.*$", text, flags=re.M)
    rest = text[heading.end():]
    following = re.search(r"^## ", rest, flags=re.M)
    block = re.search(r"```json\n(.*?)```", rest[:following.start()] if following else rest, flags=re.S)
    return json.loads(block.group(1))


def _spine_results() -> list[dict]:
    """Spine results as the engine builds them: a model's (with findings), a reader's edit of it, an empty one."""
    from axspa.image import Radiograph
    from axspa.spine.edits import edited_document, empty_document
    from axspa.spine.pipeline import build_spine_document
    from axspa.spine.sites import CERVICAL_SITES

    radiograph = Radiograph(pixels=np.zeros((200, 100), np.float32), spacing_mm=(0.2, 0.1), path="c.dcm")
    points = {s: (40.0, 10.0 * (n + 1)) for n, s in enumerate(CERVICAL_SITES)}
    findings = {s: {} for s in CERVICAL_SITES}
    findings["C4s"] = {"syndesmophyte": 0.8}
    model = build_spine_document(radiograph, "cervical", [], points, findings, {"landmarks": "l@1", "corners": "c@1"})
    edited = edited_document(model, {"C4s": {"grade": 1, "source": "reader"}, "C2i": {"review": True}},
                             ["grades from a reader (override): C4s"])
    empty = empty_document({"path": "", "sha256": "", "rows": 200, "columns": 100, "pixel_spacing_mm": None,
                            "photometric": "MONOCHROME2"}, "lumbar")
    return [model, edited, empty]


def _hip_result(tmp_path: Path) -> dict:
    from axspa.cli import main

    out = tmp_path / "hip"
    assert main(["hip", str(SAMPLES / "AxSpA-HipSTIR.nrrd"), "--seg", str(SAMPLES / "AxSpA-HipSTIR.seg.nrrd"),
                 "--out", str(out)]) == 0
    return json.loads((out / "hip.json").read_text())


@pytest.fixture(scope="module")
def valid_documents(tmp_path_factory) -> list[tuple[str, dict]]:
    docs: list[tuple[str, dict]] = []
    for truth in sorted(SAMPLES.glob("*.truth.json")):
        doc = json.loads(truth.read_text())
        docs.append((doc["schema"].split(".")[1].split("/")[0], doc))
    docs += [(kind, _formats_example(kind)) for kind in KINDS]
    docs += [("spine", doc) for doc in _spine_results()]
    docs.append(("hip", _hip_result(tmp_path_factory.mktemp("hip-result"))))
    assert {kind for kind, _ in docs} == set(KINDS)
    return docs


def _leaves(node, path=()):
    """Every (path, value) in a document, containers included."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, path + (index,))


def _replaced(doc, path, value):
    out = copy.deepcopy(doc)
    if not path:
        return value
    parent = out
    for part in path[:-1]:
        parent = parent[part]
    if value is _DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return out


_DELETE = object()
_REPLACEMENTS = (None, True, False, 0, -1, 1.5, -0.5, 2.0, 3, 4, 99, 1e9, "", "x", "cervical", "C2i", "axspa.hip/1",
                 [], [0], [1.0, 2.0], [1.0, 2.0, 3.0], [0.0, -1.0], {}, {"extra": 1})


def _mutations(doc, seed: int):
    """Documents one change away from ``doc``: a key deleted, a value replaced by one of another type or range,
    an item appended to or removed from a list, a key added to an object."""
    candidates = []
    for path, value in _leaves(doc):
        if path:
            candidates.append((path, _DELETE))
        candidates += [(path, r) for r in _REPLACEMENTS]
        if isinstance(value, list):
            candidates.append((path, value + value[-1:]))
            candidates.append((path, value[:-1]))
        if isinstance(value, dict):
            candidates.append((path, {**value, "zz_unexpected": 1}))
    rng = random.Random(seed)
    for path, value in rng.sample(candidates, min(MUTATIONS_PER_DOCUMENT, len(candidates))):
        yield _replaced(doc, path, value)


def _jsonschema_errors(jsonschema, doc, kind):
    validator = jsonschema.Draft202012Validator(load_schema(kind))
    return sorted((tuple(map(str, e.absolute_path)), e.message) for e in validator.iter_errors(doc))


def _fallback_errors(doc, kind):
    return sorted((tuple(map(str, p)), m) for p, m in schema_check.iter_errors(doc, load_schema(kind)))


@pytest.mark.parametrize("kind", KINDS)
def test_the_checker_knows_every_keyword_of_the_schemas(kind):
    assert schema_check.unsupported_keywords(load_schema(kind)) == set()
    assert sorted(p.name for p in SCHEMA_DIR.glob("*.schema.json")) == sorted(f"{k}.schema.json" for k in KINDS)


def test_a_schema_with_a_keyword_it_does_not_know_is_refused():
    with pytest.raises(ValueError, match=r"does not support: \['format'\]"):
        schema_check.iter_errors("a", {"type": "string", "format": "date"})


def test_valid_documents_are_valid_to_both(valid_documents):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is the reference the checker is held to")
    for kind, doc in valid_documents:
        assert _jsonschema_errors(jsonschema, doc, kind) == []
        assert _fallback_errors(doc, kind) == []


def test_both_find_the_same_errors_in_mutated_documents(valid_documents):
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is the reference the checker is held to")
    n_invalid = n_valid = 0
    for seed, (kind, doc) in enumerate(valid_documents):
        for mutated in _mutations(doc, seed):
            expected = _jsonschema_errors(jsonschema, mutated, kind)
            assert _fallback_errors(mutated, kind) == expected, (kind, mutated)
            n_invalid += bool(expected)
            n_valid += not expected
    # Most mutations break the document; some (an optional key deleted, a number still in range) do not.
    assert n_invalid > 700 and n_valid > 100


def test_jsonschema_type_rules_are_kept():
    schema = {"type": "object", "properties": {"n": {"type": "integer"}, "x": {"type": ["number", "null"]},
                                                "e": {"enum": [0, 1]}, "c": {"const": False}}}
    assert schema_check.iter_errors({"n": 2.0, "x": None, "e": 0, "c": False}, schema) == []
    errors = dict(schema_check.iter_errors({"n": True, "x": "1", "e": False, "c": 0}, schema))
    assert errors == {("n",): "True is not of type 'integer'", ("x",): "'1' is not of type 'number', 'null'",
                      ("e",): "False is not one of [0, 1]", ("c",): "False was expected"}


def test_validate_without_jsonschema(monkeypatch):
    """As in 3D Slicer's Python: jsonschema cannot be imported, and validate still checks, worded the same."""
    monkeypatch.setitem(sys.modules, "jsonschema", None)  # `import jsonschema` now raises ImportError
    with pytest.raises(ImportError):
        import jsonschema  # noqa: F401
    calls = []
    checker = schema_check.iter_errors
    monkeypatch.setattr(schema_check, "iter_errors", lambda doc, schema: calls.append(doc) or checker(doc, schema))
    truth = json.loads((SAMPLES / "AxSpA-HipSTIR.truth.json").read_text())
    validate(truth, "hip")
    assert calls == [truth]
    with pytest.raises(InvalidDocumentError) as err:
        validate({"schema": "axspa.spine/1", "region": "thoracic"}, "spine")
    text = str(err.value)
    assert text.startswith("invalid axspa.spine/1 document:\n  (top): 'input' is a required property\n")
    assert "\n  region: 'thoracic' is not one of ['cervical', 'lumbar']" in text


def test_validate_words_errors_the_same_with_and_without_jsonschema(monkeypatch):
    pytest.importorskip("jsonschema", reason="jsonschema is the reference the checker is held to")
    doc = json.loads((SAMPLES / "AxSpA-CervicalSpine.truth.json").read_text())
    doc["sites"][3]["grade"] = 7
    doc["region"] = "thoracic"
    del doc["warnings"]
    messages = []
    for hide in (False, True):
        if hide:
            monkeypatch.setitem(sys.modules, "jsonschema", None)
        with pytest.raises(InvalidDocumentError) as err:
            validate(doc, "spine")
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert "sites/3/grade: 7 is not valid under any of the given schemas" in messages[0]
