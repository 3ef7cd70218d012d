"""docs/formats.md, the users' description of every output, agrees with the JSON schemas in axspa/schemas: each
schema has its section, every field a schema names is described there, and the section's JSON example validates
against the schema (so neither can change without the other)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from axspa.results import SCHEMA_DIR, validate

REPO = Path(__file__).resolve().parent.parent
FORMATS = REPO / "docs" / "formats.md"
SCHEMAS = sorted(SCHEMA_DIR.glob("*.schema.json"))


def _property_names(schema: dict) -> set[str]:
    """Every property name a schema (with its $defs) names, at any depth."""
    names: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, dict):
            for name, sub in (node.get("properties") or {}).items():
                names.add(name)
                walk(sub)
            names.update(node.get("required") or [])
            for key, sub in node.items():
                if key != "properties":
                    walk(sub)
        elif isinstance(node, list):
            for sub in node:
                walk(sub)

    walk(schema)
    return names


def _section(schema_id: str) -> str:
    text = FORMATS.read_text(encoding="utf-8")
    heading = re.search(rf"^## .*`{re.escape(schema_id)}`.*$", text, flags=re.M)
    assert heading, f"docs/formats.md has no '## ...' heading naming `{schema_id}`"
    rest = text[heading.end():]
    following = re.search(r"^## ", rest, flags=re.M)
    return rest[:following.start()] if following else rest


@pytest.mark.parametrize("schema_path", SCHEMAS, ids=lambda p: p.name)
def test_every_schema_field_is_described(schema_path):
    schema = json.loads(schema_path.read_text())
    section = _section(schema["$id"])
    missing = sorted(n for n in _property_names(schema) if f"`{n}`" not in section)
    assert not missing, f"{schema['$id']}: fields not described in docs/formats.md: {missing}"


@pytest.mark.parametrize("schema_path", SCHEMAS, ids=lambda p: p.name)
def test_the_example_validates_against_the_schema(schema_path):
    schema = json.loads(schema_path.read_text())
    block = re.search(r"```json\n(.*?)```", _section(schema["$id"]), flags=re.S)
    assert block, f"{schema['$id']}: no JSON example in docs/formats.md"
    validate(json.loads(block.group(1)), schema_path.name.split(".")[0])
