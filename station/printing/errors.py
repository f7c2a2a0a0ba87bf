"""The typed errors of printing. Messages are for the agent and carry no personal data."""

from __future__ import annotations

from station.errors import StationError


class PrintingError(StationError):
    """Base class of the printing errors."""


class DocumentUnavailableError(PrintingError):
    """The document asked for cannot be made for this case in its current state."""


class MatterMismatchError(PrintingError):
    """The matter definition given is not the one the case was started with."""
