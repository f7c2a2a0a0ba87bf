"""The township's view of a case's state: what an arriving envelope does to it and which
console decisions it allows."""

from __future__ import annotations

from enum import StrEnum


class CaseState(StrEnum):
    RECEIVED = "received"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    REFUSED = "refused"
    COMPLETED = "completed"
    WITHDRAWN = "withdrawn"
    DELIVERED = "delivered"


_OPEN = (CaseState.RECEIVED, CaseState.ACCEPTED, CaseState.RETURNED)

# Envelope kind -> {state before: state after}; kinds and states not named change nothing.
_ON_ENVELOPE: dict[str, dict[CaseState, CaseState]] = {
    "submission": {CaseState.RETURNED: CaseState.RECEIVED},
    "withdrawal": {state: CaseState.WITHDRAWN for state in _OPEN},
    "delivery": {CaseState.COMPLETED: CaseState.DELIVERED},
}

# Decision (event kind) -> the states it may be taken in, and the state it leads to.
DECISIONS: dict[str, tuple[tuple[CaseState, ...], CaseState]] = {
    "accepted": ((CaseState.RECEIVED,), CaseState.ACCEPTED),
    "returned": ((CaseState.RECEIVED,), CaseState.RETURNED),
    "refused": ((CaseState.RECEIVED,), CaseState.REFUSED),
    "completed": ((CaseState.ACCEPTED,), CaseState.COMPLETED),
}


def first_state(kind: str) -> CaseState:
    """The state of a case the township first hears of through an envelope of ``kind``."""
    return CaseState.WITHDRAWN if kind == "withdrawal" else CaseState.RECEIVED


def after_envelope(state: str, kind: str) -> CaseState:
    """The state once the newest revision, an envelope of ``kind``, has arrived."""
    current = CaseState(state)
    return _ON_ENVELOPE.get(kind, {}).get(current, current)
