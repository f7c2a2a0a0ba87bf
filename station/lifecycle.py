"""The case lifecycle of DESIGN.md section 5 as a transition table.

``draft → queued → uploaded → accepted | returned | refused``;
``returned → (supplement) queued``; ``accepted → completed → delivered → closed``;
a draft can be discarded; a queued or accepted case withdrawn at the applicant's request.
"""

from __future__ import annotations

from enum import StrEnum

from station.errors import StationError
from station.i18n import _, pgettext


class CaseState(StrEnum):
    DRAFT = "draft"
    QUEUED = "queued"
    UPLOADED = "uploaded"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    REFUSED = "refused"
    COMPLETED = "completed"
    DELIVERED = "delivered"
    CLOSED = "closed"
    DISCARDED = "discarded"
    WITHDRAWN = "withdrawn"


class Transition(StrEnum):
    QUEUE = "queue"
    DISCARD = "discard"
    UPLOAD = "upload"
    ACCEPT = "accept"
    RETURN = "return"
    REFUSE = "refuse"
    COMPLETE = "complete"
    DELIVER = "deliver"
    CLOSE = "close"
    WITHDRAW = "withdraw"


_TABLE: dict[tuple[CaseState, Transition], CaseState] = {
    (CaseState.DRAFT, Transition.QUEUE): CaseState.QUEUED,
    (CaseState.DRAFT, Transition.DISCARD): CaseState.DISCARDED,
    (CaseState.QUEUED, Transition.UPLOAD): CaseState.UPLOADED,
    (CaseState.QUEUED, Transition.WITHDRAW): CaseState.WITHDRAWN,
    (CaseState.UPLOADED, Transition.ACCEPT): CaseState.ACCEPTED,
    (CaseState.UPLOADED, Transition.RETURN): CaseState.RETURNED,
    (CaseState.UPLOADED, Transition.REFUSE): CaseState.REFUSED,
    (CaseState.RETURNED, Transition.QUEUE): CaseState.QUEUED,
    (CaseState.ACCEPTED, Transition.COMPLETE): CaseState.COMPLETED,
    (CaseState.ACCEPTED, Transition.WITHDRAW): CaseState.WITHDRAWN,
    (CaseState.COMPLETED, Transition.DELIVER): CaseState.DELIVERED,
    (CaseState.DELIVERED, Transition.CLOSE): CaseState.CLOSED,
}

# States in which the station may still change answers and materials.
EDITABLE = frozenset({CaseState.DRAFT, CaseState.RETURNED})
# Transitions that only the township's signed status events may cause.
TOWNSHIP_TRANSITIONS = frozenset(
    {
        Transition.UPLOAD,
        Transition.ACCEPT,
        Transition.RETURN,
        Transition.REFUSE,
        Transition.COMPLETE,
    }
)


class InvalidTransitionError(StationError):
    """The requested change is not allowed from the case's current state."""

    def __init__(self, state: CaseState, transition: Transition) -> None:
        super().__init__(
            _("A case that is {state} cannot be {action}.").format(
                state=state_label(state), action=transition_label(transition)
            )
        )
        self.state = state
        self.transition = transition


def next_state(state: CaseState, transition: Transition) -> CaseState:
    """The state after ``transition``; raises InvalidTransitionError."""
    try:
        return _TABLE[(CaseState(state), transition)]
    except KeyError:
        raise InvalidTransitionError(CaseState(state), transition) from None


def allowed(state: CaseState) -> list[Transition]:
    """The transitions possible from ``state``."""
    return [t for (s, t) in _TABLE if s == state]


def state_label(state: CaseState) -> str:
    """The state as the agent reads it."""
    labels = {
        CaseState.DRAFT: _("a draft"),
        CaseState.QUEUED: _("queued for upload"),
        CaseState.UPLOADED: _("uploaded"),
        CaseState.ACCEPTED: _("accepted"),
        CaseState.RETURNED: _("returned for supplement"),
        CaseState.REFUSED: _("refused"),
        CaseState.COMPLETED: _("completed"),
        CaseState.DELIVERED: _("delivered"),
        CaseState.CLOSED: _("closed"),
        CaseState.DISCARDED: _("discarded"),
        CaseState.WITHDRAWN: _("withdrawn"),
    }
    return labels[CaseState(state)]


def transition_label(transition: Transition) -> str:
    """The transition as a verb phrase the agent reads."""
    labels = {
        Transition.QUEUE: pgettext("action", "submitted"),
        Transition.DISCARD: pgettext("action", "discarded"),
        Transition.UPLOAD: pgettext("action", "marked uploaded"),
        Transition.ACCEPT: pgettext("action", "accepted"),
        Transition.RETURN: pgettext("action", "returned for supplement"),
        Transition.REFUSE: pgettext("action", "refused"),
        Transition.COMPLETE: pgettext("action", "completed"),
        Transition.DELIVER: pgettext("action", "delivered"),
        Transition.CLOSE: pgettext("action", "closed"),
        Transition.WITHDRAW: pgettext("action", "withdrawn"),
    }
    return labels[transition]
