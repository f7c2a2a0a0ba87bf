"""The ledger (台账): a period's cases as a printable .xlsx, and the station's daily summary.

No Tk here: the UI calls these from a worker thread, passing ``progress`` and ``cancel``.
"""

from station.ledger.daily import DailySummary, DeferredDue, daily_summary
from station.ledger.daily_sheet import export_daily_summary
from station.ledger.export import ExportCancelledError, LedgerReport, export_ledger
from station.ledger.files import LedgerWriteError
from station.ledger.period import LedgerPeriodError, month_period
from station.ledger.rows import Deferral, LedgerRow, ledger_batches

__all__ = [
    "DailySummary",
    "Deferral",
    "DeferredDue",
    "ExportCancelledError",
    "LedgerPeriodError",
    "LedgerReport",
    "LedgerRow",
    "LedgerWriteError",
    "daily_summary",
    "export_daily_summary",
    "export_ledger",
    "ledger_batches",
    "month_period",
]
