"""Reconciliation as the console shows it: per station, what its ledger and heartbeats
report against what arrived, and a county-wide summary flagging stations with gaps or
silent for more than N days; the same rows as an xlsx workbook."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from forms.i18n import _
from sync.township.config import MAX_NUMBER
from sync.township.console.deadlines import local_time
from sync.township.overview import Figures, Overview
from sync.township.models import Station

_RANGE = re.compile(r"\s*([0-9]{1,10})\s*(?:-\s*([0-9]{1,10})\s*)?")
MAX_RESEND = 1000


@dataclass(frozen=True)
class StationReconciliation:
    station: str
    name: str
    revoked: bool
    figures: Figures
    silent: bool

    @property
    def has_gaps(self) -> bool:
        return bool(self.figures.gaps or self.figures.missing)

    @property
    def attention(self) -> bool:
        return self.has_gaps or self.silent or bool(self.figures.mismatched)

    @property
    def to_resend(self) -> tuple[int, ...]:
        """What the station should send again: gaps and what its ledger says is missing."""
        return tuple(sorted(set(self.figures.gaps) | set(self.figures.missing)))


def county(overview: Overview, now: datetime, silent_days: int) -> list[StationReconciliation]:
    """Every station's reconciliation, by name."""
    rows = Station.select(Station.id, Station.name, Station.revoked_at).order_by(Station.name)
    return [reconcile(overview, row.id, row.name, row.revoked_at is not None, now, silent_days)
            for row in rows]


def reconcile(overview: Overview, station: str, name: str, revoked: bool, now: datetime,
              silent_days: int) -> StationReconciliation:
    """One station's figures; silent when its last heartbeat (or none) is older than
    ``silent_days``. Raises NotFoundError."""
    figures = overview.figures(station)
    last = figures.last_heartbeat_at
    silent = last is None or now - last > timedelta(days=silent_days)
    return StationReconciliation(station, name, revoked, figures, silent)


def parse_seqs(text: str) -> tuple[int, ...] | None:
    """Sequence numbers written as ``3, 5-7``; None when the text is not such a list, names
    none, or more than MAX_RESEND."""
    seqs: set[int] = set()
    for part in filter(None, (p.strip() for p in text.replace("，", ",").split(","))):
        match = _RANGE.fullmatch(part)
        if match is None:
            return None
        low = int(match.group(1))
        high = int(match.group(2) or low)
        if not 1 <= low <= high <= MAX_NUMBER or high - low >= MAX_RESEND:
            return None
        seqs.update(range(low, high + 1))
    return tuple(sorted(seqs)) if seqs and len(seqs) <= MAX_RESEND else None


def workbook(rows: Iterable[StationReconciliation], silent_days: int) -> bytes:
    """The county summary as an xlsx file."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Reconciliation"))
    sheet.append(_headings(silent_days))
    for row in rows:
        sheet.append([_cell(sheet, value) for value in _line(row)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _headings(silent_days: int) -> list[str]:
    return [_("Station"), _("Station name"), _("Revoked"), _("Envelopes received"),
            _("Highest sequence received"), _("Highest sequence reported"),
            _("Agreed through"), _("Gaps"), _("Missing by the ledger"),
            _("Digest mismatches"), _("Duplicates refused"), _("Quarantined (refused)"),
            _("Quarantined at the station"), _("Last heartbeat"), _("Last ledger"),
            _("Silent more than {n} days").format(n=silent_days)]


def _line(row: StationReconciliation) -> list[object]:
    f = row.figures
    return [row.station, row.name, _yes(row.revoked), f.received, f.highest_received,
            f.reported_highest_seq, f.ledger_through, _numbers(f.gaps), _numbers(f.missing),
            _numbers(f.mismatched), f.duplicates_refused, f.quarantined,
            f.reported_quarantined, _time(f.last_heartbeat_at), _time(f.last_report_at),
            _yes(row.silent)]


def _cell(sheet: Any, value: object) -> object:
    """Text stays text: a station name starting with '=' is no formula."""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def _numbers(values: tuple[int, ...]) -> str:
    return ", ".join(str(value) for value in values)


def _time(moment: datetime | None) -> str:
    return local_time(moment).strftime("%Y-%m-%d %H:%M") if moment is not None else ""


def _yes(value: bool) -> str:
    return _("Yes") if value else _("No")
