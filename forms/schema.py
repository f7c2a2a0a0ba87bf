"""Structural validation of definitions with JSON Schema (Draft 2020-12).

The schemas are data files in ``forms/data/``. Errors of the ``jsonschema`` library are
translated into :class:`~forms.errors.DefinitionError` naming the field involved and the
key path inside it, one per problem.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaViolation

from forms.errors import DefinitionError
from forms.i18n import _

MATTER = "matter"
CATALOG = "catalog"


@functools.cache
def schema(name: str) -> dict[str, Any]:
    """The JSON Schema ``name`` (matter or catalog) as a dict."""
    text = resources.files("forms").joinpath("data", f"{name}.schema.json").read_text("utf-8")
    return json.loads(text)


@functools.cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name))


def problems(name: str, data: Any, *, file: str | None = None) -> list[DefinitionError]:
    """Every way ``data`` breaks the schema ``name``, in document order (empty if none)."""
    matter = data.get("code") if isinstance(data, Mapping) else None
    matter = matter if isinstance(matter, str) else None
    found = sorted(_validator(name).iter_errors(data), key=lambda error: _sort_key(error.path))
    return [_translate(error, data, file=file, matter=matter) for error in found]


def _sort_key(path: Iterable[Any]) -> list[tuple[int, Any]]:
    return [(0, step) if isinstance(step, int) else (1, str(step)) for step in path]


def _translate(
    error: SchemaViolation, data: Any, *, file: str | None, matter: str | None
) -> DefinitionError:
    field, where = locate(data, list(error.path))
    message = _explain(error)
    if where:
        message = f"{where}: {message}"
    return DefinitionError(message, file=file, matter=matter, field=field)


def locate(data: Any, path: list[Any]) -> tuple[str | None, str]:
    """The innermost field id on ``path`` and the key path below it, e.g. ("age", "type").

    List items are shown by their ``id`` or ``code`` when they have one.
    """
    field, steps, node, parent_key = None, [], data, None
    for step in path:
        node = node[step] if _can_index(node, step) else None
        if not isinstance(step, int):
            steps.append(str(step))
        elif parent_key == "fields" and isinstance(node, Mapping) and _is_name(node.get("id")):
            field, steps = node["id"], []
        else:
            label = _item_label(node, step)
            steps[-1:] = [f"{steps[-1]}[{label}]" if steps else f"[{label}]"]
        parent_key = step
    return field, ".".join(steps)


def _can_index(node: Any, step: Any) -> bool:
    if isinstance(step, int):
        return isinstance(node, list) and 0 <= step < len(node)
    return isinstance(node, Mapping) and step in node


def _item_label(node: Any, index: int) -> str:
    if isinstance(node, Mapping):
        for key in ("id", "code", "value"):
            if _is_name(node.get(key)):
                return node[key]
    return str(index)


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(value)


def _explain(error: SchemaViolation) -> str:
    explain = _EXPLANATIONS.get(error.validator)
    return explain(error) if explain else error.message


def _missing(error: SchemaViolation) -> str:
    missing = [key for key in error.validator_value if key not in error.instance]
    return _("Missing required key '{key}'.").format(key=", ".join(missing))


def _unknown(error: SchemaViolation) -> str:
    known = set(error.schema.get("properties", {}))
    patterns = [re.compile(pattern) for pattern in error.schema.get("patternProperties", {})]
    extra = [
        str(key)
        for key in error.instance
        if key not in known and not any(pattern.search(str(key)) for pattern in patterns)
    ]
    return _("Unknown key '{key}'.").format(key=", ".join(extra))


def _wrong_type(error: SchemaViolation) -> str:
    expected = error.validator_value
    names = [expected] if isinstance(expected, str) else list(expected)
    words = " / ".join(_type_word(name) for name in names)
    if isinstance(error.instance, (dict, list)):
        return _("Must be {expected}.").format(expected=words)
    return _("Must be {expected}, not {value}.").format(
        expected=words, value=json.dumps(error.instance, ensure_ascii=False)
    )


def _type_word(name: str) -> str:
    words = {
        "string": _("text"),
        "integer": _("a whole number"),
        "number": _("a number"),
        "boolean": _("true or false"),
        "array": _("a list"),
        "object": _("a mapping"),
        "null": _("null"),
    }
    return words.get(name, name)


def _not_allowed(error: SchemaViolation) -> str:
    allowed = ", ".join(str(option) for option in error.validator_value)
    return _("'{value}' is not allowed; use one of: {allowed}.").format(
        value=error.instance, allowed=allowed
    )


def _not_constant(error: SchemaViolation) -> str:
    return _("Must be {expected}.").format(expected=json.dumps(error.validator_value))


def _bad_pattern(error: SchemaViolation) -> str:
    return _("'{value}' does not match the pattern {pattern}.").format(
        value=error.instance, pattern=error.validator_value
    )


def _too_small(error: SchemaViolation) -> str:
    return _("Must be at least {limit}.").format(limit=error.validator_value)


def _too_large(error: SchemaViolation) -> str:
    return _("Must be at most {limit}.").format(limit=error.validator_value)


def _too_short(error: SchemaViolation) -> str:
    if isinstance(error.instance, str):
        return _("Must not be empty.")
    return _("Needs at least {limit} item(s).").format(limit=error.validator_value)


def _too_long(error: SchemaViolation) -> str:
    if isinstance(error.instance, str):
        return _("Must be at most {limit} characters.").format(limit=error.validator_value)
    return _("Allows at most {limit} item(s).").format(limit=error.validator_value)


def _duplicates(error: SchemaViolation) -> str:
    return _("Lists an item twice.")


_EXPLANATIONS = {
    "required": _missing,
    "additionalProperties": _unknown,
    "type": _wrong_type,
    "enum": _not_allowed,
    "const": _not_constant,
    "pattern": _bad_pattern,
    "minimum": _too_small,
    "maximum": _too_large,
    "minLength": _too_short,
    "minItems": _too_short,
    "maxLength": _too_long,
    "maxItems": _too_long,
    "uniqueItems": _duplicates,
}
