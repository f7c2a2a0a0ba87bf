"""Evaluating a matter's form against the answers given so far.

:func:`evaluate` reads the answers (type checks through :mod:`forms.values`), walks the
fields in dependency order to decide visibility and compute calculated values and
defaults, then checks the visible fields in definition order: required, constraints,
group sizes. Hidden fields are neither validated nor required, and their answers are left
out of ``values``. Paths name group rows by index: ``members[0].name``.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from forms.compiled import Env
from forms.errors import ValidationError
from forms.functions import blank
from forms.i18n import _
from forms.model import Field, MaterialRequirement, Matter
from forms.values import coerce_calculated, read_value, to_stored

Scopes = list[dict[str, Any]]


@dataclass(frozen=True)
class FieldIssue:
    """A problem with one field instance: its path, a stable code and a message."""

    path: str
    code: str
    message: str


@dataclass(frozen=True)
class Evaluation:
    """The state of a form for the given answers.

    ``values`` holds the visible answers in stored (JSON-compatible) form, with defaults
    and calculated values filled in. ``warnings`` are the overridable issues that have no
    override reason; those with one are in ``overridden``.
    """

    visible: frozenset[str]
    required: frozenset[str]
    values: dict[str, Any]
    errors: tuple[FieldIssue, ...]
    warnings: tuple[FieldIssue, ...]
    overridden: tuple[FieldIssue, ...]
    materials: tuple[MaterialRequirement, ...]

    @property
    def ok(self) -> bool:
        """True when there are no errors and every warning has been overridden."""
        return not self.errors and not self.warnings


def evaluate(
    matter: Matter,
    answers: Mapping[str, Any],
    *,
    overrides: Mapping[str, str | None] | None = None,
    today: datetime.date | None = None,
) -> Evaluation:
    """Evaluate ``matter``'s form for ``answers`` (stored form, see docs/forms.md).

    ``overrides`` maps the path of a warning to the agent's reason for accepting it; a
    blank reason does not count. ``today`` defaults to the system date. Never raises for
    bad answers: they come back as errors.
    """
    run = _Run(matter, today or datetime.date.today())
    top = run.read_row(matter.fields, answers, "")
    run.settle(top)
    run.check(top)
    reasons = {
        path for path, reason in (overrides or {}).items()
        if isinstance(reason, str) and reason.strip()
    }
    return Evaluation(
        visible=frozenset(run.visible),
        required=frozenset(run.required),
        values=_stored_row(matter.fields, top),
        errors=tuple(run.errors),
        warnings=tuple(issue for issue in run.warnings if issue.path not in reasons),
        overridden=tuple(issue for issue in run.warnings if issue.path in reasons),
        materials=tuple(m for m in matter.materials if _holds(m, Env([top], run.today))),
    )


class _Run:
    """The working state of one evaluation."""

    def __init__(self, matter: Matter, today: datetime.date) -> None:
        self.matter = matter
        self.today = today
        self.read_errors: dict[str, ValidationError] = {}
        self.read_warnings: dict[str, ValidationError] = {}
        self.visible: set[str] = set()
        self.required: set[str] = set()
        self.errors: list[FieldIssue] = []
        self.warnings: list[FieldIssue] = []

    def read_row(self, fields: tuple[Field, ...], raw: Any, prefix: str) -> dict[str, Any]:
        """Engine values of one row's answers; bad answers are remembered by path."""
        answers = raw if isinstance(raw, Mapping) else {}
        row: dict[str, Any] = {}
        for field in fields:
            if field.calculate is not None:
                continue
            path = prefix + field.id
            try:
                value, warning = read_value(field, answers.get(field.id), self.today)
            except ValidationError as error:
                self.read_errors[path] = error
                continue
            if warning is not None:
                self.read_warnings[path] = warning
            if field.type == "group" and value is not None:
                value = [
                    self.read_row(field.fields, item, f"{path}[{index}].")
                    for index, item in enumerate(value)
                ]
            if value is not None:
                row[field.id] = value
        return row

    def settle(self, top: dict[str, Any]) -> None:
        """Decide visibility and fill calculated values and defaults, in dependency order."""
        for field_id in self.matter.order:
            field = self.matter.field(field_id)
            for prefix, scopes in _instances(field.groups, top):
                self._settle_one(field, prefix + field.id, scopes)

    def _settle_one(self, field: Field, path: str, scopes: Scopes) -> None:
        row = scopes[-1]
        env = Env(scopes, self.today)
        if field.relevant is not None and not field.relevant(env):
            row.pop(field.id, None)
            return
        self.visible.add(path)
        if field.calculate is not None:
            value = coerce_calculated(field, field.calculate(env))
            if value is None:
                row.pop(field.id, None)
            else:
                row[field.id] = value
        elif field.id not in row and field.default is not None and path not in self.read_errors:
            row[field.id] = copy.copy(field.default)

    def check(self, top: dict[str, Any]) -> None:
        """Check every visible field instance, in definition order."""
        for field in self.matter.all_fields():
            for prefix, scopes in _instances(field.groups, top):
                path = prefix + field.id
                if path in self.visible:
                    self._check_one(field, path, scopes)

    def _check_one(self, field: Field, path: str, scopes: Scopes) -> None:
        required = self._is_required(field, scopes)
        if required:
            self.required.add(path)
        if path in self.read_errors:
            self._add(self.errors, path, self.read_errors[path])
            return
        if path in self.read_warnings:
            self._add(self.warnings, path, self.read_warnings[path])
        value = scopes[-1].get(field.id)
        if required and blank(value):
            self.errors.append(FieldIssue(path, "required", _("This field is required.")))
            return
        if field.type == "group":
            self._check_rows(field, path, value or [])
        constraint = field.constraint
        if constraint is not None and value is not None and not constraint(
            Env(scopes, self.today, value)
        ):
            self.errors.append(FieldIssue(path, "constraint", field.constraint_message or ""))

    def _is_required(self, field: Field, scopes: Scopes) -> bool:
        if field.calculate is not None:
            return False
        if isinstance(field.required, bool):
            return field.required
        return bool(field.required(Env(scopes, self.today)))

    def _check_rows(self, field: Field, path: str, rows: list) -> None:
        if field.min_items is not None and len(rows) < field.min_items:
            self.errors.append(
                FieldIssue(
                    path,
                    "min_items",
                    _("Add at least {count} row(s).").format(count=field.min_items),
                )
            )
        if field.max_items is not None and len(rows) > field.max_items:
            self.errors.append(
                FieldIssue(
                    path,
                    "max_items",
                    _("Enter at most {count} row(s).").format(count=field.max_items),
                )
            )

    @staticmethod
    def _add(issues: list[FieldIssue], path: str, error: ValidationError) -> None:
        issues.append(FieldIssue(path, error.code, error.message))


def _instances(groups: tuple[str, ...], top: dict[str, Any]) -> list[tuple[str, Scopes]]:
    """(path prefix, scope chain) of every row a field inside ``groups`` appears in."""
    found: list[tuple[str, Scopes]] = [("", [top])]
    for group in groups:
        found = [
            (f"{prefix}{group}[{index}].", [*scopes, row])
            for prefix, scopes in found
            for index, row in enumerate(scopes[-1].get(group) or ())
        ]
    return found


def _holds(material: MaterialRequirement, env: Env) -> bool:
    return material.relevant is None or bool(material.relevant(env))


def _stored_row(fields: tuple[Field, ...], row: Mapping[str, Any]) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    for field in fields:
        value = row.get(field.id)
        if value is None:
            continue
        if field.type == "group":
            stored[field.id] = [_stored_row(field.fields, item) for item in value]
        else:
            stored[field.id] = to_stored(field, value)
    return stored
