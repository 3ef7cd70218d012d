"""A JSON Schema checker for exactly the part of draft 2020-12 that axspa/schemas/*.json use, for where the
jsonschema package is absent (3D Slicer's own Python does not bundle it). ``results.validate`` uses jsonschema
when it can be imported and this otherwise; Testing/test_schema_check.py runs both on the same documents.

Keywords checked: type (one name or a list; "null" included), enum, const, properties, required,
additionalProperties (false or a schema), items (one schema), minItems, maxItems, minimum, maximum,
exclusiveMinimum, exclusiveMaximum, minLength, maxLength, pattern, $ref to "#/..." (e.g. "#/$defs/side"),
oneOf, anyOf and allOf. Annotations ($schema, $id, title, description, $defs, $comment, default, examples)
are skipped. A schema using any other keyword is refused (ValueError), so a schema that outgrows this
checker fails its tests instead of being checked loosely. Messages are worded as jsonschema words them.
"""

from __future__ import annotations

import numbers
import re
from typing import Any, Iterator, List, Tuple

# (path to the offending value: keys and list indexes from the document's top, message)
Error = Tuple[Tuple[Any, ...], str]

ANNOTATIONS = frozenset({"$schema", "$id", "title", "description", "$defs", "$comment", "default", "examples"})
CHECKED = frozenset({"type", "enum", "const", "properties", "required", "additionalProperties", "items", "minItems",
                     "maxItems", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
                     "maxLength", "pattern", "$ref", "oneOf", "anyOf", "allOf"})


def unsupported_keywords(schema: Any) -> set[str]:
    """Keywords anywhere in ``schema`` (its $defs included) that this checker does not know."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.update(k for k in node if k not in CHECKED and k not in ANNOTATIONS)
            for key, value in node.items():
                if key in ("properties", "$defs"):
                    for sub in value.values():
                        walk(sub)
                elif key in ("items", "additionalProperties"):
                    walk(value)
                elif key in ("oneOf", "anyOf", "allOf"):
                    for sub in value:
                        walk(sub)

    walk(schema)
    return found


def iter_errors(instance: Any, schema: dict) -> List[Error]:
    """Every violation of ``schema`` by ``instance``, in the order jsonschema finds them (schema keyword order)."""
    unknown = unsupported_keywords(schema)
    if unknown:
        raise ValueError(f"schema uses keywords the built-in checker does not support: {sorted(unknown)}")
    return list(_Checker(schema).errors(instance, schema, ()))


def is_type(instance: Any, name: str) -> bool:
    if name == "object":
        return isinstance(instance, dict)
    if name == "array":
        return isinstance(instance, list)
    if name == "string":
        return isinstance(instance, str)
    if name == "boolean":
        return isinstance(instance, bool)
    if name == "null":
        return instance is None
    if isinstance(instance, bool):  # bool is an int to Python, never a number to JSON Schema
        return False
    if name == "number":
        return isinstance(instance, numbers.Number)
    if name == "integer":
        return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())
    raise ValueError(f"unknown JSON Schema type {name!r}")


def equal(one: Any, two: Any) -> bool:
    """JSON equality: true and 1 differ, lists and objects compare element by element."""
    if isinstance(one, str) or isinstance(two, str):
        return one == two
    if isinstance(one, (list, tuple)) and isinstance(two, (list, tuple)):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(equal(one[k], two[k]) for k in one)
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    return one == two


class _Checker:
    def __init__(self, root: dict):
        self.root = root

    def resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise ValueError(f"$ref {ref!r}: only references inside the same schema ('#/...') are supported")
        node: Any = self.root
        for part in [p for p in ref[1:].split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(part)] if isinstance(node, list) else node[part]
            except (KeyError, IndexError, ValueError):
                raise ValueError(f"$ref {ref!r} does not resolve in the schema") from None
        return node

    def valid(self, instance: Any, schema: Any) -> bool:
        return next(iter(self.errors(instance, schema, ())), None) is None

    def errors(self, instance: Any, schema: Any, path: Tuple[Any, ...]) -> Iterator[Error]:
        if schema is True:
            return
        if schema is False:
            yield path, f"False schema does not allow {instance!r}"
            return
        for key, value in schema.items():
            check = getattr(self, "_" + key.lstrip("$"), None) if key in CHECKED else None
            if check is not None:
                yield from check(value, instance, schema, path)

    # ------------------------------------------------------------------------------------- keywords

    def _type(self, types, instance, schema, path):
        names = types if isinstance(types, list) else [types]
        if not any(is_type(instance, t) for t in names):
            yield path, f"{instance!r} is not of type {', '.join(repr(t) for t in names)}"

    def _enum(self, enums, instance, schema, path):
        if all(not equal(each, instance) for each in enums):
            yield path, f"{instance!r} is not one of {enums!r}"

    def _const(self, const, instance, schema, path):
        if not equal(instance, const):
            yield path, f"{const!r} was expected"

    def _properties(self, properties, instance, schema, path):
        if isinstance(instance, dict):
            for name, sub in properties.items():
                if name in instance:
                    yield from self.errors(instance[name], sub, path + (name,))

    def _required(self, required, instance, schema, path):
        if isinstance(instance, dict):
            for name in required:
                if name not in instance:
                    yield path, f"{name!r} is a required property"

    def _additionalProperties(self, extra_schema, instance, schema, path):
        if not isinstance(instance, dict):
            return
        extras = [k for k in instance if k not in schema.get("properties", {})]
        if isinstance(extra_schema, dict):
            for name in extras:
                yield from self.errors(instance[name], extra_schema, path + (name,))
        elif not extra_schema and extras:
            names = sorted(extras, key=str)
            verb = "was" if len(names) == 1 else "were"
            yield path, f"Additional properties are not allowed ({', '.join(repr(n) for n in names)} {verb} unexpected)"

    def _items(self, items, instance, schema, path):
        if isinstance(instance, list):
            for index, item in enumerate(instance):
                yield from self.errors(item, items, path + (index,))

    def _minItems(self, limit, instance, schema, path):
        if isinstance(instance, list) and len(instance) < limit:
            yield path, f"{instance!r} {'should be non-empty' if limit == 1 else 'is too short'}"

    def _maxItems(self, limit, instance, schema, path):
        if isinstance(instance, list) and len(instance) > limit:
            yield path, f"{instance!r} {'is expected to be empty' if limit == 0 else 'is too long'}"

    def _minLength(self, limit, instance, schema, path):
        if isinstance(instance, str) and len(instance) < limit:
            yield path, f"{instance!r} {'should be non-empty' if limit == 1 else 'is too short'}"

    def _maxLength(self, limit, instance, schema, path):
        if isinstance(instance, str) and len(instance) > limit:
            yield path, f"{instance!r} {'is expected to be empty' if limit == 0 else 'is too long'}"

    def _minimum(self, limit, instance, schema, path):
        if is_type(instance, "number") and instance < limit:
            yield path, f"{instance!r} is less than the minimum of {limit!r}"

    def _maximum(self, limit, instance, schema, path):
        if is_type(instance, "number") and instance > limit:
            yield path, f"{instance!r} is greater than the maximum of {limit!r}"

    def _exclusiveMinimum(self, limit, instance, schema, path):
        if is_type(instance, "number") and instance <= limit:
            yield path, f"{instance!r} is less than or equal to the minimum of {limit!r}"

    def _exclusiveMaximum(self, limit, instance, schema, path):
        if is_type(instance, "number") and instance >= limit:
            yield path, f"{instance!r} is greater than or equal to the maximum of {limit!r}"

    def _pattern(self, pattern, instance, schema, path):
        if isinstance(instance, str) and not re.search(pattern, instance):
            yield path, f"{instance!r} does not match {pattern!r}"

    def _ref(self, ref, instance, schema, path):
        yield from self.errors(instance, self.resolve(ref), path)

    def _allOf(self, subschemas, instance, schema, path):
        for sub in subschemas:
            yield from self.errors(instance, sub, path)

    def _anyOf(self, subschemas, instance, schema, path):
        if not any(self.valid(instance, sub) for sub in subschemas):
            yield path, f"{instance!r} is not valid under any of the given schemas"

    def _oneOf(self, subschemas, instance, schema, path):
        valid = [sub for sub in subschemas if self.valid(instance, sub)]
        if not valid:
            yield path, f"{instance!r} is not valid under any of the given schemas"
        elif len(valid) > 1:
            # jsonschema lists the later valid subschemas, then the first one
            reprs = ", ".join(repr(sub) for sub in valid[1:] + valid[:1])
            yield path, f"{instance!r} is valid under each of {reprs}"
