"""Build a :class:`~forms.model.Matter` from schema-valid plain data, checking its meaning.

The checks the JSON Schema cannot express live here: unique ids, reserved words, choices
of choice fields, constraint messages, time limits, fees, and every expression compiled
(unknown references, type mistakes, cycles). All problems are collected, not just the
first, each a :class:`~forms.errors.DefinitionError` naming the field.
"""

from __future__ import annotations

import dataclasses
import datetime
import keyword
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from forms.calls import FUNCTION_NAMES
from forms.dependencies import evaluation_order
from forms.errors import DefinitionError, ValidationError
from forms.expressions import Expression, Symbol, compile_expression
from forms.i18n import _
from forms.model import (
    CHOICE_TYPES,
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
from forms.values import read_value

RESERVED_WORDS: frozenset[str] = frozenset(keyword.kwlist) | FUNCTION_NAMES | {"value"}
_GROUP_KEYS = ("fields", "min_items", "max_items")
_NO_COPIES_FORMS = ("copy", "original_and_copy")


class MatterBuilder:
    """Turns one schema-valid matter mapping into a Matter, collecting problems."""

    def __init__(self, data: Mapping[str, Any], *, file: str | None = None) -> None:
        self.data = data
        self.file = file
        self.problems: list[DefinitionError] = []
        self.symbols: dict[str, Symbol] = {}

    def build(self) -> Matter | None:
        """The matter, or None when ``problems`` is not empty."""
        data = self.data
        self._collect_symbols(data["fields"], ())
        fields = tuple(self._field(raw, ()) for raw in data["fields"])
        index = _index(fields)
        matter = Matter(
            code=data["code"],
            name=data["name"],
            short_name=data.get("short_name"),
            category=data["category"],
            type=data["type"],
            department=data["department"],
            handling_level=data["handling_level"],
            station_role=data["station_role"],
            legal_basis=tuple(data["legal_basis"]),
            conditions=tuple(data["conditions"]),
            keywords=tuple(data.get("keywords", ())),
            materials=self._materials(data["materials"]),
            fields=fields,
            process=tuple(ProcessStep(**step) for step in _plain(data["process"])),
            time_limits=self._time_limits(data["time_limits"]),
            fees=self._fees(data["fees"]),
            delivery=Delivery(tuple(data["delivery"]["methods"]), data["delivery"].get("note")),
            guide=data["guide"],
            format=data["format"],
            source=self.file,
            order=self._order(index.values()),
            data=data,
            field_index=index,
        )
        return None if self.problems else matter

    def problem(self, message: str, field: str | None = None) -> None:
        """Record a problem with this matter (and ``field``)."""
        self.problems.append(
            DefinitionError(message, file=self.file, matter=self.data["code"], field=field)
        )

    # fields ------------------------------------------------------------------------------

    def _collect_symbols(self, raws: list[Mapping[str, Any]], groups: tuple[str, ...]) -> None:
        for raw in raws:
            field_id = raw["id"]
            if field_id in RESERVED_WORDS:
                self.problem(_("'{id}' is a reserved word.").format(id=field_id), field_id)
            if field_id in self.symbols:
                self.problem(_("The field id '{id}' is used twice.").format(id=field_id), field_id)
                continue
            choices = raw.get("choices")
            self.symbols[field_id] = Symbol(
                field_id,
                raw["type"],
                groups[-1] if groups else None,
                len(groups),
                frozenset(c["value"] for c in choices) if choices else None,
            )
            if raw["type"] == "group":
                self._collect_symbols(raw.get("fields", []), (*groups, field_id))

    def _field(self, raw: Mapping[str, Any], groups: tuple[str, ...]) -> Field:
        field_id, field_type = raw["id"], raw["type"]
        self._check_shape(raw)
        inner = (*groups, field_id) if field_type == "group" else groups
        owner = self.symbols.get(field_id)
        required = raw.get("required", False)
        field = Field(
            id=field_id,
            type=field_type,
            label=raw["label"],
            hint=raw.get("hint"),
            required=(self._expression(raw, "required", groups) or False)
            if isinstance(required, str) else required,
            relevant=self._expression(raw, "relevant", groups),
            constraint=self._expression(raw, "constraint", groups, owner),
            constraint_message=raw.get("constraint_message"),
            calculate=self._expression(raw, "calculate", groups),
            choices=tuple(Choice(c["value"], c["label"]) for c in raw.get("choices", ())),
            min_items=raw.get("min_items"),
            max_items=raw.get("max_items"),
            fields=tuple(self._field(member, inner) for member in raw.get("fields", ())),
            groups=groups,
        )
        return self._with_default(field, raw)

    def _check_shape(self, raw: Mapping[str, Any]) -> None:
        field_id, field_type = raw["id"], raw["type"]
        is_choice, is_group = field_type in CHOICE_TYPES, field_type == "group"
        if is_choice and "choices" not in raw:
            self.problem(_("A {type} field needs choices.").format(type=field_type), field_id)
        if not is_choice and "choices" in raw:
            self.problem(_("Only choice fields have choices."), field_id)
        values = [choice["value"] for choice in raw.get("choices", ())]
        if len(values) != len(set(values)):
            self.problem(_("A choice value is listed twice."), field_id)
        if is_group and not raw.get("fields"):
            self.problem(_("A group needs fields."), field_id)
        for key in _GROUP_KEYS:
            if not is_group and key in raw:
                self.problem(_("Only groups have '{key}'.").format(key=key), field_id)
        if raw.get("min_items", 0) > raw.get("max_items", raw.get("min_items", 0)):
            self.problem(_("min_items is larger than max_items."), field_id)
        if ("constraint" in raw) != ("constraint_message" in raw):
            self.problem(_("constraint and constraint_message go together."), field_id)
        if "calculate" in raw and (is_group or "default" in raw):
            self.problem(_("A calculated field has no default and is not a group."), field_id)

    def _expression(
        self,
        raw: Mapping[str, Any],
        key: str,
        groups: tuple[str, ...],
        owner: Symbol | None = None,
    ) -> Expression | None:
        source = raw.get(key)
        if source is None:
            return None
        return self.compile(source, groups, owner, where=key, field=raw["id"])

    def compile(
        self,
        source: str,
        groups: tuple[str, ...],
        owner: Symbol | None,
        *,
        where: str,
        field: str | None,
    ) -> Expression | None:
        """Compile ``source``; record a problem and return None when it does not compile."""
        try:
            return compile_expression(source, self.symbols, groups=groups, owner=owner)
        except DefinitionError as error:
            self.problem(f"{where}: {error.message}", field)
            return None

    def _with_default(self, field: Field, raw: Mapping[str, Any]) -> Field:
        if "default" not in raw:
            return field
        if field.type == "group":
            self.problem(_("A group has no default."), field.id)
            return field
        try:
            value, _warning = read_value(field, raw["default"], datetime.date.today())
        except ValidationError as error:
            self.problem(f"default: {error.message}", field.id)
            return field
        return dataclasses.replace(field, default=value)

    def _order(self, fields: Iterable[Field]) -> tuple[str, ...]:
        if self.problems:
            return ()
        try:
            return evaluation_order(fields)
        except DefinitionError as error:
            self.problem(error.message, error.field)
            return ()

    # the rest of the matter --------------------------------------------------------------

    def _materials(self, raws: list[Mapping[str, Any]]) -> tuple[MaterialRequirement, ...]:
        seen: set[str] = set()
        materials = []
        for raw in raws:
            code = raw["code"]
            where = f"materials[{code}]"
            if code in seen:
                self.problem(_("{where}: the material code is used twice.").format(where=where))
            seen.add(code)
            if raw["copies"] == 0 and raw["form"] in _NO_COPIES_FORMS:
                self.problem(
                    _("{where}: a material handed in as a copy needs at least one copy.")
                    .format(where=where)
                )
            relevant = raw.get("relevant")
            materials.append(
                MaterialRequirement(
                    code=code,
                    name=raw["name"],
                    form=raw["form"],
                    copies=raw["copies"],
                    deferrable=raw["deferrable"],
                    relevant=self.compile(relevant, (), None, where=f"{where}.relevant", field=None)
                    if relevant is not None else None,
                    notes=raw.get("notes"),
                )
            )
        return tuple(materials)

    def _time_limits(self, raw: Mapping[str, Any]) -> TimeLimits:
        statutory, promised = raw["statutory_days"], raw["promised_days"]
        if statutory is not None and promised > statutory:
            self.problem(
                _("time_limits: promised_days ({promised}) exceeds statutory_days "
                  "({statutory}).").format(promised=promised, statutory=statutory)
            )
        return TimeLimits(statutory, promised, raw.get("note"))

    def _fees(self, raw: Mapping[str, Any]) -> Fees:
        items = tuple(
            Fee(item["name"], Decimal(item["amount"]), item["basis"])
            for item in raw.get("items", ())
        )
        if raw["free"] and items:
            self.problem(_("fees: a free matter lists no fee items."))
        if not raw["free"] and not items:
            self.problem(_("fees: a matter that is not free lists its fee items."))
        return Fees(raw["free"], items)


def _index(fields: tuple[Field, ...]) -> dict[str, Field]:
    index: dict[str, Field] = {}
    for field in fields:
        index.setdefault(field.id, field)
        for key, member in _index(field.fields).items():
            index.setdefault(key, member)
    return index


def _plain(items: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Items without extension keys (``x-...``), ready to be passed as keyword arguments."""
    return [
        {key: value for key, value in item.items() if not key.startswith("x-")} for item in items
    ]
