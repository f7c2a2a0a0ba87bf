"""Applicant services: record villagers once, find them again by name, ID number or phone."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from forms import validators
from station.audit import Action
from station.context import NotFoundError, ServiceContext
from station.errors import StationError
from station.i18n import _
from station.models import Applicant


class ApplicantNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__(_("No such applicant on this station."))


class DuplicateApplicantError(StationError):
    """Another applicant already has this ID number."""

    def __init__(self) -> None:
        super().__init__(
            _("Another applicant already has this ID number: open that applicant instead.")
        )


@dataclass(frozen=True)
class ApplicantInput:
    """What the agent typed about an applicant; validated by ``ApplicantService.save``."""

    name: str
    id_number: str | None = None
    phone: str | None = None
    address: dict[str, Any] = field(default_factory=dict)


class ApplicantService:
    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    def save(self, data: ApplicantInput, applicant_uuid: str | None = None) -> Applicant:
        """Create an applicant, or update one; an ID number already known updates that record.

        Raises the ``forms`` validation errors for a bad name, ID number or phone,
        ApplicantNotFoundError, DuplicateApplicantError when updating ``applicant_uuid``
        would give it another applicant's ID number.
        """
        name = validators.check_name(data.name)
        info = validators.check_id_number(data.id_number) if data.id_number else None
        phone = validators.check_phone(data.phone) if data.phone else None
        ctx = self._ctx
        with ctx.atomic():
            applicant = self._existing(applicant_uuid, info.number if info else None)
            now = ctx.clock.now()
            created = applicant is None
            if created:
                applicant = Applicant(uuid=str(uuid.uuid4()), created_at=now)
            applicant.name = name
            applicant.id_number = info.number if info else None
            applicant.birth_date = info.birth_date if info else None
            applicant.sex = info.sex if info else None
            applicant.phone = phone
            applicant.address = data.address or None
            applicant.updated_at = now
            applicant.save(force_insert=created)
            ctx.record(Action.CREATE if created else Action.EDIT, "applicant", applicant.uuid)
        return applicant

    @staticmethod
    def _existing(applicant_uuid: str | None, id_number: str | None) -> Applicant | None:
        holder = Applicant.get_or_none(Applicant.id_number == id_number) if id_number else None
        if not applicant_uuid:
            return holder
        applicant = Applicant.get_or_none(Applicant.uuid == applicant_uuid)
        if applicant is None:
            raise ApplicantNotFoundError()
        if holder is not None and holder.id != applicant.id:
            raise DuplicateApplicantError()
        return applicant

    def get(self, applicant_uuid: str) -> Applicant:
        """The applicant (recorded as a view); raises ApplicantNotFoundError."""
        with self._ctx.atomic():
            applicant = Applicant.get_or_none(Applicant.uuid == applicant_uuid)
            if applicant is None:
                raise ApplicantNotFoundError()
            self._ctx.record(Action.VIEW, "applicant", applicant.uuid)
        return applicant

    def search(self, text: str, limit: int = 20) -> list[Applicant]:
        """Applicants whose name, ID number or phone starts with ``text``."""
        text = text.strip()
        if not text:
            return []
        columns = _search_columns(text)
        if len(columns) > 1:
            text = text.upper()  # the X of an ID number
        condition = None
        for column in columns:
            match = (column >= text) & (column < text + "\U0010ffff")
            condition = match if condition is None else condition | match
        query = Applicant.select().where(condition).order_by(Applicant.name).limit(limit)
        with self._ctx.atomic():
            found = list(query)
            by = "number" if len(columns) > 1 else "name"
            self._ctx.record(Action.SEARCH, "applicant", None, {"by": by, "hits": len(found)})
        return found


def _search_columns(text: str) -> list:
    """Which columns a typed search means: digits are an ID number or a phone number."""
    if text[:1].isdigit():
        return [Applicant.id_number, Applicant.phone]
    return [Applicant.name]
