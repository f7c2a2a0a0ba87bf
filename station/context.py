"""What every domain service needs: the store, the clock, the audit log, the outbox, the actor."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from station.audit import Action, AuditLog
from station.clock import Clock
from station.errors import StationError
from station.i18n import _
from station.models import Agent, Case, Station
from station.outbox import Outbox
from station.store import StoreDatabase


class NotFoundError(StationError):
    """The case, page or applicant asked for does not exist."""


class CaseNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__(_("No such case on this station."))


@dataclass
class ServiceContext:
    """Shared by the services of one logged-in session."""

    db: StoreDatabase
    clock: Clock
    station: Station
    agent: Agent

    def __post_init__(self) -> None:
        self.audit = AuditLog(self.clock.now)
        self.outbox = Outbox(self.clock.now)

    def record(
        self,
        action: Action,
        object_type: str,
        object_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Append an audit entry in the name of the logged-in agent."""
        self.audit.record(
            action, object_type, object_id, agent_login=self.agent.login, detail=detail
        )

    def atomic(self):  # noqa: ANN201 - peewee's transaction context manager
        """A write transaction (takes the write lock at BEGIN)."""
        return self.db.atomic()


def get_case(case_uuid: str) -> Case:
    """The case with ``case_uuid``; raises CaseNotFoundError."""
    case = Case.get_or_none(Case.uuid == case_uuid)
    if case is None:
        raise CaseNotFoundError()
    return case
