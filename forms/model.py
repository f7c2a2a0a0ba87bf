"""The frozen model of a matter definition, as built by :mod:`forms.builder`.

Everything here is immutable after load; expressions are already compiled.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from forms.expressions import Expression

FIELD_TYPES = (
    "text", "long_text", "integer", "decimal", "money", "date", "choice", "multi_choice",
    "yes_no", "id_number", "credit_code", "phone", "name", "address", "group",
)
CHOICE_TYPES = ("choice", "multi_choice")
ADDRESS_PARTS = ("province", "city", "county", "township", "village", "detail")


@dataclass(frozen=True)
class Choice:
    """One allowed answer of a choice or multi-choice field."""

    value: str
    label: str


@dataclass(frozen=True)
class Field:
    """One form field; a ``group`` field holds the fields of one row in ``fields``.

    ``groups`` names the enclosing groups, outermost first (empty at top level).
    ``required`` is a bool or a compiled expression. ``default`` is in engine form
    (Decimal, date, ...), None when there is none.
    """

    id: str
    type: str
    label: str
    hint: str | None = None
    required: bool | Expression = False
    relevant: Expression | None = None
    constraint: Expression | None = None
    constraint_message: str | None = None
    calculate: Expression | None = None
    default: Any = None
    choices: tuple[Choice, ...] = ()
    min_items: int | None = None
    max_items: int | None = None
    fields: tuple[Field, ...] = ()
    groups: tuple[str, ...] = ()

    @property
    def choice_values(self) -> frozenset[str]:
        """The allowed values of a choice field (empty for other types)."""
        return frozenset(choice.value for choice in self.choices)

    def choice_label(self, value: str) -> str | None:
        """The label of the choice ``value``, None when there is no such choice."""
        return next((choice.label for choice in self.choices if choice.value == value), None)


@dataclass(frozen=True)
class MaterialRequirement:
    """A material the applicant must bring; ``relevant`` limits it to some answers."""

    code: str
    name: str
    form: str
    copies: int
    deferrable: bool
    relevant: Expression | None = None
    notes: str | None = None


@dataclass(frozen=True)
class ProcessStep:
    """One step of the handling process."""

    name: str
    actor: str
    description: str
    days: int | None = None


@dataclass(frozen=True)
class TimeLimits:
    """Statutory and promised time limits in working days."""

    statutory_days: int | None
    promised_days: int
    note: str | None = None


@dataclass(frozen=True)
class Fee:
    """One fee item."""

    name: str
    amount: Decimal
    basis: str


@dataclass(frozen=True)
class Fees:
    """Whether the matter is free, and otherwise the fee items."""

    free: bool
    items: tuple[Fee, ...] = ()


@dataclass(frozen=True)
class Delivery:
    """How the result reaches the applicant."""

    methods: tuple[str, ...]
    note: str | None = None


@dataclass(frozen=True)
class Matter:
    """A government service item of the catalog, with its form.

    ``order`` lists every field id (groups' fields included) in an order where each
    field comes after the fields its relevance and calculation read; ``field_index`` maps
    every field id to its field, in definition order. ``data`` is the plain
    (JSON-compatible) definition it was built from, for releases; read only.
    """

    code: str
    name: str
    category: str
    type: str
    department: str
    handling_level: str
    station_role: str
    legal_basis: tuple[str, ...]
    conditions: tuple[str, ...]
    materials: tuple[MaterialRequirement, ...]
    fields: tuple[Field, ...]
    process: tuple[ProcessStep, ...]
    time_limits: TimeLimits
    fees: Fees
    delivery: Delivery
    guide: str
    short_name: str | None = None
    keywords: tuple[str, ...] = ()
    format: int = 1
    source: str | None = dataclasses.field(default=None, compare=False)
    order: tuple[str, ...] = ()
    data: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False, repr=False)
    field_index: Mapping[str, Field] = dataclasses.field(
        default_factory=dict, compare=False, repr=False
    )

    def field(self, field_id: str) -> Field:
        """The field ``field_id`` at any depth; raises KeyError when there is none."""
        return self.field_index[field_id]

    def all_fields(self) -> Iterator[Field]:
        """Every field in definition order, each group followed by its own fields."""
        return iter(self.field_index.values())

    def material(self, code: str) -> MaterialRequirement:
        """The material requirement ``code``; raises KeyError when there is none."""
        for material in self.materials:
            if material.code == code:
                return material
        raise KeyError(code)
