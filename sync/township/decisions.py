"""What township staff decide, each turned into a signed event for the station: accept,
return for supplement with the list of what is missing, refuse, complete with a result
text and an optional file, a message, a request to resend sequences.

Every call is one transaction. A decision repeated on the same case revision (a
double-click, a retried request) returns the event it made the first time.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sync.township.casestate import DECISIONS, CaseState
from sync.township.config import MAX_NAME
from sync.township.context import Context
from sync.township.errors import DecisionError, NotFoundError
from sync.township.events import EventLog
from sync.township.models import Case, Event, ResultFile, Station


@dataclass(frozen=True)
class MissingItem:
    """One thing a returned case lacks: a requirement code (or None), its name, why."""

    code: str | None
    name: str
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "reason": self.reason}


@dataclass(frozen=True)
class ResultUpload:
    """A result file to hand to the station with a ``completed`` decision."""

    name: str
    media_type: str
    data: bytes


class DecisionService:
    def __init__(self, context: Context, events: EventLog) -> None:
        self._context = context
        self._events = events

    def accept(self, station: str, case: str) -> Event:
        """Raises DecisionError when the case is unknown or not awaiting a decision."""
        with self._context.database.atomic():
            row = self._case(station, case)
            return self._decide(row, "accepted", {"township_number": row.township_number})

    def return_case(self, station: str, case: str, reason: str,
                    missing: Sequence[MissingItem]) -> Event:
        """Return for supplement (补正). Raises DecisionError."""
        payload = {"reason": _text(reason, "reason"),
                   "missing": [item.to_json() for item in missing]}
        with self._context.database.atomic():
            return self._decide(self._case(station, case), "returned", payload)

    def refuse(self, station: str, case: str, reason: str) -> Event:
        """Raises DecisionError."""
        with self._context.database.atomic():
            return self._decide(self._case(station, case), "refused",
                                {"reason": _text(reason, "reason")})

    def complete(self, station: str, case: str, approved: bool, result_text: str,
                 file: ResultUpload | None = None) -> Event:
        """Complete (办结) an accepted case. Raises DecisionError."""
        with self._context.database.atomic():
            row = self._case(station, case)
            earlier = self._repeated(row, "completed")
            if earlier is not None:
                return earlier
            if not isinstance(result_text, str):
                raise DecisionError("a result text is required")
            payload = {"approved": bool(approved), "result_text": result_text,
                       "file": None if file is None else self._store_file(row, file)}
            return self._decide(row, "completed", payload)

    def message(self, station: str, text: str, case: str | None = None) -> Event:
        """A message to the station, about one of its cases or not. Raises DecisionError."""
        with self._context.database.atomic():
            _station(station)
            row = None if case is None else self._case(station, case)
            return self._events.append(station, "message", row, {"text": _text(text, "text")})

    def request_resend(self, station: str, seqs: Sequence[int]) -> Event:
        """Ask the station to send these sequences again. Raises DecisionError."""
        if not seqs or any(type(seq) is not int or seq < 1 for seq in seqs):
            raise DecisionError("sequences to resend must be positive integers")
        with self._context.database.atomic():
            _station(station)
            return self._events.append(station, "resend", None,
                                       {"seqs": sorted(set(seqs))})

    def _decide(self, row: Case, kind: str, payload: Mapping[str, Any]) -> Event:
        earlier = self._repeated(row, kind)
        if earlier is not None:
            return earlier
        allowed, target = DECISIONS[kind]
        if CaseState(row.state) not in allowed:
            raise DecisionError(f"a {row.state} case cannot be {kind}")
        row.state, row.updated_at = target, self._context.clock()
        row.save()
        return self._events.append(row.station_id, kind, row, payload)

    @staticmethod
    def _repeated(row: Case, kind: str) -> Event | None:
        last = row.events.where(Event.kind != "message").order_by(Event.cursor.desc()).first()
        if last is not None and last.kind == kind and last.revision == row.revision:
            return last
        return None

    def _store_file(self, row: Case, file: ResultUpload) -> dict[str, Any]:
        if len(file.data) > self._context.limits.max_result_file:
            raise DecisionError("the result file is too large")
        _text(file.name, "file name", MAX_NAME)
        _text(file.media_type, "media type", MAX_NAME)
        file_id = self._context.new_id()
        digest = hashlib.sha256(file.data).hexdigest()
        _write_durably(self._context.files / file_id, file.data)
        ResultFile.create(id=file_id, station=row.station_id, case=row, sha256=digest,
                          size=len(file.data), media_type=file.media_type, name=file.name,
                          created_at=self._context.clock())
        return {"id": file_id, "sha256": digest, "size": len(file.data),
                "media_type": file.media_type, "name": file.name}

    @staticmethod
    def _case(station: str, case: str) -> Case:
        row = Case.get_or_none(Case.station == station, Case.case_uuid == case)
        if row is None:
            raise DecisionError("no such case")
        return row


class ResultFiles:
    """Result files as the API hands them to the station the event was for."""

    def __init__(self, context: Context) -> None:
        self._context = context

    def find(self, station: str, file_id: str) -> tuple[ResultFile, Path]:
        """Raises NotFoundError for an unknown file or another station's."""
        row = ResultFile.get_or_none(ResultFile.id == file_id, ResultFile.station == station)
        if row is None:
            raise NotFoundError("no such file")
        return row, self._context.files / row.id


def _station(station: str) -> None:
    if Station.get_or_none(Station.id == station) is None:
        raise DecisionError("no such station")


def _text(value: Any, name: str, limit: int | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DecisionError(f"a {name} is required")
    if limit is not None and len(value) > limit:
        raise DecisionError(f"the {name} is too long")
    return value


def _write_durably(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
