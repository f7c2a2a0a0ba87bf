"""Loading matter definitions: YAML files or plain data into frozen :class:`Matter` objects.

The model classes are defined in :mod:`forms.model` and re-exported here. Loading checks
the structure against the JSON Schema, then the meaning (see :mod:`forms.builder`); every
error names the file, the matter and the field.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from forms import schema
from forms.builder import MatterBuilder
from forms.errors import DefinitionError
from forms.i18n import _
from forms.model import (
    Choice,
    Delivery,
    Fee,
    Fees,
    Field,
    MaterialRequirement,
    Matter,
    ProcessStep,
    TimeLimits,
)

_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

__all__ = [
    "Choice",
    "Delivery",
    "Fee",
    "Fees",
    "Field",
    "MaterialRequirement",
    "Matter",
    "ProcessStep",
    "TimeLimits",
    "check_matter",
    "check_matter_file",
    "load_matter",
    "parse_matter",
    "plain_data",
    "read_yaml",
]


def load_matter(path: str | Path) -> Matter:
    """Load and check the matter file ``path``, whose name must be the matter's code.

    Raises DefinitionError (the first problem found).
    """
    matter, problems = check_matter_file(path)
    if problems:
        raise problems[0]
    assert matter is not None
    return matter


def parse_matter(data: Mapping[str, Any], *, source: str | None = None) -> Matter:
    """Check ``data`` (as read from YAML or JSON) and build the matter.

    ``source`` names where the data came from in error messages. The caller's mapping is
    not modified. Raises DefinitionError (the first problem found).
    """
    matter, problems = check_matter(data, source=source)
    if problems:
        raise problems[0]
    assert matter is not None
    return matter


def check_matter(
    data: Any, *, source: str | None = None
) -> tuple[Matter | None, list[DefinitionError]]:
    """Build the matter from ``data``; return it (None on failure) and every problem found."""
    plain = plain_data(data)
    problems = schema.problems(schema.MATTER, plain, file=source)
    if problems:
        return None, problems
    builder = MatterBuilder(plain, file=source)
    matter = builder.build()
    return matter, builder.problems


def check_matter_file(path: str | Path) -> tuple[Matter | None, list[DefinitionError]]:
    """Like :func:`check_matter` for a file; also checks that its name is the matter code."""
    path = Path(path)
    try:
        data = read_yaml(path)
    except DefinitionError as error:
        return None, [error]
    matter, problems = check_matter(data, source=str(path))
    code = data.get("code") if isinstance(data, Mapping) else None
    if isinstance(code, str) and code != path.stem:
        problems.append(
            DefinitionError(
                _("The file name must be the matter code ({code}.yaml).").format(code=code),
                file=str(path),
                matter=code,
            )
        )
        matter = None
    return matter, problems


def read_yaml(path: str | Path) -> Any:
    """Read a YAML file as ``yaml.safe_load`` does (libyaml's loader when available).

    Raises DefinitionError naming the file.
    """
    try:
        with open(path, encoding="utf-8") as stream:
            return yaml.load(stream, Loader=_SAFE_LOADER)
    except OSError as error:
        raise DefinitionError(
            _("Cannot read the file: {reason}.").format(reason=error.strerror), file=str(path)
        ) from None
    except UnicodeDecodeError:
        raise DefinitionError(_("The file is not UTF-8 text."), file=str(path)) from None
    except (yaml.YAMLError, ValueError) as error:
        raise DefinitionError(
            _("The file is not valid YAML: {reason}.").format(reason=_yaml_reason(error)),
            file=str(path),
        ) from None


def _yaml_reason(error: Exception) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    if mark is None:
        return problem
    return _("{problem} at line {line}, column {column}").format(
        problem=problem, line=mark.line + 1, column=mark.column + 1
    )


def plain_data(data: Any) -> Any:
    """A deep copy of ``data`` in JSON form: dates become ISO strings, keys strings.

    Mappings become dicts and tuples lists; the input is never modified.
    """
    if isinstance(data, Mapping):
        return {_key(key): plain_data(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [plain_data(item) for item in data]
    if isinstance(data, (datetime.date, datetime.datetime)):
        return data.isoformat()
    return data


def _key(key: Any) -> str:
    if isinstance(key, (datetime.date, datetime.datetime)):
        return key.isoformat()
    return key if isinstance(key, str) else str(key)
